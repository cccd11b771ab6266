"""OpenAI Chat Completions as a stream: `chat.completion.chunk` frames, then `data: [DONE]`.

The SDK's accumulator concatenates strings across deltas, so `role` is only in the first delta
and a tool call's `id` and `name` only in its first delta; the usage chunk (`choices: []`,
with `stream_options.include_usage`) comes last.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from emulator.completion import ChatRequest, Completion
from emulator.dialects import RenderContext, openai_common
from emulator.dialects.openai_chat import FINISH, tool_call_id, usage
from emulator.streaming import StreamPlan, StreamRenderer, sse

DONE = "data: [DONE]\n\n"


class OpenAIChatStream(StreamRenderer):
    def __init__(self, req: ChatRequest, completion: Completion, ctx: RenderContext, plan: StreamPlan) -> None:
        self.req = req
        self.completion = completion
        self.plan = plan
        self.base: dict[str, Any] = {
            "id": ctx.ids.chat_completion(),
            "object": "chat.completion.chunk",
            "created": int(ctx.now),
            "model": ctx.model,
            "service_tier": "default",
        }

    def chunk(self, delta: dict[str, Any], finish: str | None = None) -> str:
        body = {**self.base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
        if self.req.include_usage:
            body["usage"] = None
        return sse(body)

    def events(self) -> Iterator[str]:
        text = self.completion.text
        yield self.chunk({"role": "assistant", "content": "" if text is not None else None, "refusal": None})
        for piece in self.plan.text_pieces(text or ""):
            yield self.chunk({"content": piece})
        for index, call in enumerate(self.completion.tool_calls):
            first = {"index": index, "id": tool_call_id(call.id), "type": "function", "function": {"name": call.name, "arguments": ""}}
            yield self.chunk({"tool_calls": [first]})
            for piece in self.plan.argument_pieces(json.dumps(call.arguments, ensure_ascii=False)):
                yield self.chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
        yield self.chunk({}, FINISH[self.completion.finish])
        if self.req.include_usage:
            yield sse({**self.base, "choices": [], "usage": usage(self.completion)})
        yield DONE

    def error_event(self) -> str:
        message = "The server had an error while processing your request. Sorry about that!"
        return sse(openai_common.error_body(message, "server_error", None, None))

    def malformed_event(self) -> str:
        return 'data: {"id":"' + self.base["id"] + '","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":\n\n'
