"""Azure OpenAI's Chat Completions (`azure-openai/{resource}/{deployment}/chat/completions?api-version=`):
OpenAI's wire format, the model named by the deployment in the URL (a body's `model` is not
needed and does not choose), and Azure's content-filter results in the answer."""

from __future__ import annotations

from typing import Any

from emulator.completion import ChatRequest, Completion
from emulator.dialects import RenderContext
from emulator.dialects.openai_chat import OpenAIChat

_SAFE = {"filtered": False, "severity": "safe"}
CONTENT_FILTER_RESULTS = {"hate": _SAFE, "self_harm": _SAFE, "sexual": _SAFE, "violence": _SAFE}


class AzureOpenAIChat(OpenAIChat):
    def __init__(self, deployment: str = "") -> None:
        self.deployment = deployment

    def at(self, deployment: str) -> AzureOpenAIChat:
        return AzureOpenAIChat(deployment)

    def check(self, body: Any) -> None:
        super().check({**body, "model": self.deployment} if isinstance(body, dict) else body)

    def parse(self, body: dict[str, Any]) -> ChatRequest:
        return super().parse({**body, "model": self.deployment})

    def render(self, req: ChatRequest, completion: Completion, ctx: RenderContext) -> dict[str, Any]:
        answer = super().render(req, completion, ctx)
        answer["prompt_filter_results"] = [{"prompt_index": 0, "content_filter_results": CONTENT_FILTER_RESULTS}]
        for choice in answer["choices"]:
            choice["content_filter_results"] = CONTENT_FILTER_RESULTS
        return answer


DIALECT = AzureOpenAIChat()
