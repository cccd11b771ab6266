"""Known models: their task, provider, wire format and which endpoints they serve."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emulator.gateway.costs import Price

TEXT_GENERATION = "Text Generation"
TEXT_EMBEDDINGS = "Text Embeddings"

# Endpoints (route kinds) of the REST API.
RUN = "run"
CHAT = "chat_completions"
RESPONSES = "responses"
MESSAGES = "messages"
EMBEDDINGS = "embeddings"
GENERATE_CONTENT = "generate_content"  # Gemini's own API (the gateway's google-ai-studio path)


@dataclass(frozen=True)
class Model:
    name: str
    task: str
    description: str = ""
    # Wire format a third-party text model speaks on ai/run: "openai_chat", "anthropic_messages" or "gemini".
    native_format: str = "openai_chat"
    endpoints: frozenset[str] = frozenset()
    input_schema: str | None = None  # schemas/workers_ai/<name>.json for @cf models
    output: dict[str, Any] = field(default_factory=dict)  # task-specific: dimensions, content_type...
    properties: tuple[dict[str, Any], ...] = ()
    reasoning: bool = False  # a reasoning model: it reasons before every answer (OpenAI gpt-5, gpt-oss)
    id: str = ""
    created_at: str = "2025-01-01 00:00:00.000"
    # False: a name its provider does not have (the gateway host still lets it through, and the
    # provider answers its own "model not found": emulator.pipeline.Pipeline._not_offered).
    offered: bool = True

    @property
    def is_workers_ai(self) -> bool:
        return self.name.startswith("@cf/")

    @property
    def provider(self) -> str:
        if self.is_workers_ai:
            return "workers-ai"
        return self.name.split("/", 1)[0]

    @property
    def author(self) -> str:
        parts = self.name.removeprefix("@cf/").split("/")
        return parts[0]


# The input schema (schemas/workers_ai/) an @cf model of each task is checked against when its
# catalog entry names none: a model added by a user is validated like the built-in ones.
DEFAULT_INPUT_SCHEMAS = {
    TEXT_GENERATION: "text-generation.json",
    TEXT_EMBEDDINGS: "text-embeddings.json",
    "Text-to-Image": "stable-diffusion.json",
    "Text-to-Speech": "melotts.json",
    "Automatic Speech Recognition": "whisper.json",
    "Text Classification": "text-classification.json",
    "Image Classification": "image-input.json",
    "Object Detection": "image-input.json",
    "Translation": "translation.json",
    "Summarization": "summarization.json",
    "Image-to-Text": "image-to-text.json",
}


def default_endpoints(name: str, task: str, native_format: str) -> frozenset[str]:
    if task == TEXT_EMBEDDINGS and name.startswith("@cf/"):
        return frozenset({RUN, EMBEDDINGS})
    if task != TEXT_GENERATION:
        return frozenset({RUN})
    if name.startswith("@cf/"):
        return frozenset({RUN, CHAT})
    if name.startswith("google/"):
        return frozenset({RUN, CHAT, RESPONSES, MESSAGES, GENERATE_CONTENT})
    return frozenset({RUN, CHAT, RESPONSES, MESSAGES})


def default_native_format(name: str) -> str:
    """The wire format a third-party model's input is in on ai/run: its provider's own."""
    if name.startswith("anthropic/"):
        return "anthropic_messages"
    if name.startswith("google/"):
        return "gemini"
    return "openai_chat"


def model_from_entry(entry: dict[str, Any]) -> Model:
    name = entry["name"]
    task = entry["task"]
    native = entry.get("native_format", default_native_format(name))
    endpoints = frozenset(entry["endpoints"]) if "endpoints" in entry else default_endpoints(name, task, native)
    return Model(
        name=name,
        task=task,
        description=entry.get("description", ""),
        native_format=native,
        endpoints=endpoints,
        input_schema=entry.get("input_schema") or (DEFAULT_INPUT_SCHEMAS.get(task) if name.startswith("@cf/") else None),
        output=dict(entry.get("output", {})),
        properties=tuple(entry.get("properties", ())),
        reasoning=bool(entry.get("reasoning", False)),
        id=entry.get("id", ""),
        created_at=entry.get("created_at", "2025-01-01 00:00:00.000"),
    )


class Catalog:
    """The REST API's models (`author/model`, `@cf/...`), and the bare ids each provider has
    beyond them (fixture files' `provider_models`), which its native paths on the gateway host serve;
    and their prices (USD per token) by model name: a price may name a model the catalog does not list."""

    def __init__(self) -> None:
        self._models: dict[str, Model] = {}
        self._provider_ids: dict[str, set[str]] = {}
        self._prices: dict[str, Price] = {}

    def add(self, model: Model) -> None:
        self._models[model.name] = model

    def add_provider_ids(self, provider: str, ids: list[str]) -> None:
        self._provider_ids.setdefault(provider, set()).update(ids)

    def provider_has(self, provider: str, bare: str) -> bool:
        """Whether `provider` has the model it calls `bare`: in its known ids or in the catalog."""
        return bare in self._provider_ids.get(provider, ()) or f"{provider}/{bare}" in self._models

    def get(self, name: str) -> Model | None:
        return self._models.get(name)

    def set_price(self, name: str, price: Price) -> None:
        self._prices[name] = price

    def price(self, name: str) -> Price | None:
        return self._prices.get(name)

    def __iter__(self):
        return iter(self._models.values())

    def __len__(self) -> int:
        return len(self._models)
