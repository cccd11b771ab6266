"""Anthropic Messages as a stream: named events from `message_start` to `message_stop`.

The `event:` line is mandatory (the SDK dispatches on it); `message_delta` carries the
cumulative usage, which replaces the running count.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from emulator.completion import ChatRequest, Completion
from emulator.dialects import RenderContext
from emulator.dialects.anthropic_messages import STOP_REASON, thinking_signature, tool_use_id, usage
from emulator.streaming import StreamPlan, StreamRenderer, sse


def event(data: dict[str, Any]) -> str:
    return sse(data, data["type"])


class AnthropicMessagesStream(StreamRenderer):
    def __init__(self, req: ChatRequest, completion: Completion, ctx: RenderContext, plan: StreamPlan) -> None:
        self.completion = completion
        self.plan = plan
        self.message_id = ctx.ids.anthropic_message()
        self.model = ctx.model

    def events(self) -> Iterator[str]:
        completion = self.completion
        final_usage = usage(completion)
        yield event({
            "type": "message_start",
            "message": {
                "id": self.message_id, "type": "message", "role": "assistant", "model": self.model, "content": [],
                "stop_reason": None, "stop_sequence": None, "usage": {**final_usage, "output_tokens": 1},
            },
        })
        index = 0
        if completion.reasoning is not None:
            yield event({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}})
            yield event({"type": "ping"})
            for piece in self.plan.argument_pieces(completion.reasoning):
                yield event({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": piece}})
            signature = thinking_signature(completion.reasoning)
            yield event({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": signature}})
            yield event({"type": "content_block_stop", "index": 0})
            index = 1
        if completion.text is not None:
            yield event({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}})
            if index == 0:
                yield event({"type": "ping"})
            for piece in self.plan.text_pieces(completion.text):
                yield event({"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}})
            yield event({"type": "content_block_stop", "index": index})
            index += 1
        for offset, call in enumerate(completion.tool_calls):
            at = index + offset
            block = {"type": "tool_use", "id": tool_use_id(call.id), "name": call.name, "input": {}}
            yield event({"type": "content_block_start", "index": at, "content_block": block})
            if at == 0:
                yield event({"type": "ping"})
            pieces = ["", *self.plan.argument_pieces(json.dumps(call.arguments, ensure_ascii=False))]
            for piece in pieces:
                yield event({"type": "content_block_delta", "index": at, "delta": {"type": "input_json_delta", "partial_json": piece}})
            yield event({"type": "content_block_stop", "index": at})
        cumulative = {k: final_usage[k] for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens")}
        yield event({
            "type": "message_delta",
            "delta": {"stop_reason": STOP_REASON[completion.finish], "stop_sequence": None},
            "usage": cumulative,
        })
        yield event({"type": "message_stop"})

    def error_event(self) -> str:
        return event({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})

    def malformed_event(self) -> str:
        return 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":\n\n'
