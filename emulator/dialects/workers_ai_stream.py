"""Workers AI text generation as a stream (`input.stream: true` on ai/run): not enveloped.

Frames `data: {"response": "<piece>"}`, tool calls (if any) in one frame, a late frame with
`usage`, then `data: [DONE]`. The real service pads frames with a random `p` field; the
emulator leaves it out (clients ignore it).
"""

from __future__ import annotations

from typing import Iterator

from emulator.completion import ChatRequest, Completion
from emulator.dialects import RenderContext
from emulator.dialects.openai_chat_stream import DONE
from emulator.dialects.workers_ai import render_text_generation
from emulator.streaming import StreamPlan, StreamRenderer, sse


class WorkersAIStream(StreamRenderer):
    def __init__(self, req: ChatRequest, completion: Completion, ctx: RenderContext, plan: StreamPlan) -> None:
        self.completion = completion
        self.plan = plan
        self.whole = render_text_generation(req, completion)

    def events(self) -> Iterator[str]:
        for piece in self.plan.text_pieces(self.completion.text or ""):
            yield sse({"response": piece})
        if "tool_calls" in self.whole:
            yield sse({"response": "", "tool_calls": self.whole["tool_calls"]})
        yield sse({"response": "", "usage": self.whole["usage"]})
        yield DONE

    def error_event(self) -> str:
        return sse({"errors": [{"message": "AiError: Internal error while streaming the response", "code": 3043}]})

    def malformed_event(self) -> str:
        return 'data: {"response":\n\n'
