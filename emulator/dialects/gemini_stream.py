"""Gemini's streamGenerateContent: with `?alt=sse`, one `data:` event per partial
GenerateContentResponse; the last carries `finishReason` and the whole `usageMetadata`.
A function call comes whole, in one part (Gemini does not stream its arguments)."""

from __future__ import annotations

from typing import Any, Iterator

from emulator.completion import ChatRequest, Completion
from emulator.dialects import RenderContext
from emulator.dialects.gemini import candidate, error_body, model_version, usage_metadata
from emulator.streaming import StreamPlan, StreamRenderer, sse


class GeminiStream(StreamRenderer):
    def __init__(self, req: ChatRequest, completion: Completion, ctx: RenderContext, plan: StreamPlan) -> None:
        self.completion = completion
        self.plan = plan
        self.model_version = model_version(ctx.model)
        self.response_id = ctx.ids.gemini_response()

    def chunk(self, parts: list[dict[str, Any]], last: bool) -> dict[str, Any]:
        completion = self.completion
        usage = usage_metadata(completion)
        if not last:  # the prompt is counted from the first chunk, the answer only at the end
            usage = {"promptTokenCount": usage["promptTokenCount"], "totalTokenCount": usage["promptTokenCount"],
                     "promptTokensDetails": usage["promptTokensDetails"]}
        return {
            "candidates": [candidate(parts, completion.finish if last else None)],
            "usageMetadata": usage,
            "modelVersion": self.model_version,
            "responseId": self.response_id,
        }

    def part_groups(self) -> list[list[dict[str, Any]]]:
        groups: list[list[dict[str, Any]]] = [[{"text": piece}] for piece in self.plan.text_pieces(self.completion.text or "")]
        groups.extend([{"functionCall": {"name": call.name, "args": call.arguments}}] for call in self.completion.tool_calls)
        return groups or [[{"text": ""}]]

    def events(self) -> Iterator[str]:
        groups = self.part_groups()
        for index, parts in enumerate(groups):
            yield sse(self.chunk(parts, index == len(groups) - 1))

    def chunks(self) -> list[dict[str, Any]]:
        """The same responses as one JSON array: streamGenerateContent without `alt=sse`."""
        groups = self.part_groups()
        return [self.chunk(parts, index == len(groups) - 1) for index, parts in enumerate(groups)]

    def error_event(self) -> str:
        return sse(error_body(503, "The model is overloaded. Please try again later."))

    def malformed_event(self) -> str:
        return 'data: {"candidates": [{"content": {"parts": [{"text": \n\n'
