"""OpenAI Responses as a stream: typed events numbered from 0, ending on `response.completed`.

`response.completed` carries the same Response the non-streaming call answers, with the item
ids announced by `response.output_item.added`. There is no `[DONE]`.
"""

from __future__ import annotations

from typing import Any, Iterator

from emulator.completion import ChatRequest, Completion
from emulator.dialects import RenderContext
from emulator.dialects.openai_responses import final_response, output_items, response_object
from emulator.streaming import StreamPlan, StreamRenderer, sse


class OpenAIResponsesStream(StreamRenderer):
    def __init__(self, req: ChatRequest, completion: Completion, ctx: RenderContext, plan: StreamPlan) -> None:
        self.req = req
        self.completion = completion
        self.plan = plan
        self.output = output_items(req, completion, ctx)
        self.response_id = ctx.ids.response()
        self.final = final_response(req, completion, ctx, self.response_id, self.output)
        self.started = response_object(
            req.body, response_id=self.response_id, created_at=int(ctx.now), model=ctx.model,
            status="in_progress", output=[], usage=None,
        )
        self.sequence_number = 0

    def event(self, kind: str, **fields: Any) -> str:
        frame = sse({"type": kind, "sequence_number": self.sequence_number, **fields}, kind)
        self.sequence_number += 1
        return frame

    def events(self) -> Iterator[str]:
        yield self.event("response.created", response=self.started)
        yield self.event("response.in_progress", response=self.started)
        for index, item in enumerate(self.output):
            if item["type"] == "message":
                yield from self._message(index, item)
            elif item["type"] == "reasoning":
                yield from self._reasoning(index, item)
            else:
                yield from self._function_call(index, item)
        terminal = "response.incomplete" if self.final["status"] == "incomplete" else "response.completed"
        yield self.event(terminal, response=self.final)

    def _message(self, index: int, item: dict[str, Any]) -> Iterator[str]:
        where = {"item_id": item["id"], "output_index": index, "content_index": 0}
        part = item["content"][0]
        yield self.event("response.output_item.added", output_index=index, item={**item, "status": "in_progress", "content": []})
        yield self.event("response.content_part.added", **where, part={**part, "text": ""})
        for piece in self.plan.text_pieces(part["text"]):
            yield self.event("response.output_text.delta", **where, delta=piece, logprobs=[])
        yield self.event("response.output_text.done", **where, text=part["text"], logprobs=[])
        yield self.event("response.content_part.done", **where, part=part)
        yield self.event("response.output_item.done", output_index=index, item=item)

    def _reasoning(self, index: int, item: dict[str, Any]) -> Iterator[str]:
        yield self.event("response.output_item.added", output_index=index, item={**item, "summary": []})
        for summary_index, part in enumerate(item["summary"]):
            where = {"item_id": item["id"], "output_index": index, "summary_index": summary_index}
            yield self.event("response.reasoning_summary_part.added", **where, part={**part, "text": ""})
            for piece in self.plan.argument_pieces(part["text"]):
                yield self.event("response.reasoning_summary_text.delta", **where, delta=piece)
            yield self.event("response.reasoning_summary_text.done", **where, text=part["text"])
            yield self.event("response.reasoning_summary_part.done", **where, part=part)
        yield self.event("response.output_item.done", output_index=index, item=item)

    def _function_call(self, index: int, item: dict[str, Any]) -> Iterator[str]:
        where = {"item_id": item["id"], "output_index": index}
        yield self.event("response.output_item.added", output_index=index, item={**item, "status": "in_progress", "arguments": ""})
        for piece in self.plan.argument_pieces(item["arguments"]):
            yield self.event("response.function_call_arguments.delta", **where, delta=piece)
        yield self.event("response.function_call_arguments.done", **where, name=item["name"], arguments=item["arguments"])
        yield self.event("response.output_item.done", output_index=index, item=item)

    def error_event(self) -> str:
        error = {"code": "server_error", "message": "The server had an error while processing your request. Sorry about that!"}
        failed = {**self.started, "status": "failed", "error": error}
        return self.event("response.failed", response=failed)

    def malformed_event(self) -> str:
        return 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":' + str(self.sequence_number) + ',"delta":\n\n'
