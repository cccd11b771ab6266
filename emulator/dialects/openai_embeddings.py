"""OpenAI Embeddings (`POST ai/v1/embeddings`) for Workers AI embedding models: the request read
as the model's `text` input, the model's vectors written back as OpenAI's list of embeddings."""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from typing import Any

from emulator.catalog import EMBEDDINGS, Model
from emulator.completion import TaskOutput
from emulator.dialects.openai_common import OpenAIDialect
from emulator.errors import InvalidRequest
from emulator.synth import unit_vector


WORKERS_AI_MAX_TEXTS = 100


@dataclass(frozen=True)
class EmbeddingsRequest:
    model: str
    texts: list[str]
    encoding_format: str  # "float" or "base64" (little-endian float32, as OpenAI sends it)
    dimensions: int | None


class OpenAIEmbeddings(OpenAIDialect):
    """Shares request ids, error bodies and error phrasing with the other OpenAI formats."""

    endpoint = EMBEDDINGS
    schema_file = "requests/openai_embeddings.json"

    def parse_embeddings(self, body: dict[str, Any]) -> EmbeddingsRequest:
        given = body["input"]
        texts = [given] if isinstance(given, str) else list(given)
        return EmbeddingsRequest(body["model"], texts, body.get("encoding_format", "float"), body.get("dimensions"))

    def model_input(self, req: EmbeddingsRequest) -> dict[str, Any]:
        """What the Workers AI model is asked (its `text` input)."""
        return {"text": req.texts}

    def check_input(self, req: EmbeddingsRequest, model: Model) -> None:
        """A Workers AI embedding model takes at most 100 texts (its own input schema's limit)."""
        if model.is_workers_ai and len(req.texts) > WORKERS_AI_MAX_TEXTS:
            raise InvalidRequest(f"input: {model.name} takes at most {WORKERS_AI_MAX_TEXTS} texts; {len(req.texts)} were sent", "input")

    def check_dimensions(self, req: EmbeddingsRequest, native: int) -> None:
        """The models have fixed sizes: a smaller `dimensions` cuts each vector (and renormalizes
        it, as OpenAI's shortened embeddings are), a larger one is refused."""
        if req.dimensions is not None and req.dimensions > native:
            raise InvalidRequest(f"dimensions: {req.model} makes vectors of {native} dimensions; {req.dimensions} is more", "dimensions")

    def render_embeddings(self, req: EmbeddingsRequest, output: TaskOutput) -> Any:
        """The model's output (`{shape, data, pooling}`) as OpenAI's list. A fixture `output` of
        another shape is the body the fixture's author wrote, answered as it is."""
        value = output.value
        if not (isinstance(value, dict) and isinstance(value.get("data"), list) and all(isinstance(v, list) for v in value["data"])):
            return value
        vectors = value["data"]
        if req.dimensions is not None:
            vectors = [unit_vector(v[: req.dimensions]) for v in vectors]
        tokens = output.usage.input_tokens if output.usage else 0
        return {
            "object": "list",
            "data": [{"object": "embedding", "index": i, "embedding": _encoded(v, req.encoding_format)} for i, v in enumerate(vectors)],
            "model": req.model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }


def _encoded(vector: list[float], encoding_format: str) -> list[float] | str:
    if encoding_format == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
    return vector


DIALECT = OpenAIEmbeddings()
