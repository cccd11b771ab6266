"""The Workers AI catalog API: GET ai/models/search, ai/models/schema, ai/tasks/search and
ai/authors/search (v4 envelope), all read from the catalog."""

from __future__ import annotations

import uuid
from typing import Any, Callable

from starlette.requests import Request

from emulator.catalog import Model
from emulator.dialects import cloudflare_v4
from emulator.errors import GatewayError
from emulator.gateway.auth import authenticate, check_account
from emulator.json_codec import JSONResponse
from emulator.schema_check import load_schema_validator
from emulator.state import EmulatorState

_TASK_NAMESPACE = uuid.UUID("6f1c1d1e-2b4a-4c43-9a4e-0c0ffee00002")

OUTPUT_SCHEMAS: dict[str, dict[str, Any]] = {
    "Text Generation": {"type": "object", "contentType": "application/json", "properties": {"response": {"type": "string"}, "tool_calls": {"type": "array"}, "usage": {"type": "object"}}},
    "Text Embeddings": {"type": "object", "contentType": "application/json", "properties": {"shape": {"type": "array", "items": {"type": "number"}}, "data": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}, "pooling": {"enum": ["mean", "cls"]}}},
    "Text-to-Image": {"type": "object", "contentType": "application/json", "properties": {"image": {"type": "string"}}},
    "Text-to-Speech": {"type": "object", "contentType": "application/json", "properties": {"audio": {"type": "string"}}},
    "Automatic Speech Recognition": {"type": "object", "contentType": "application/json", "required": ["text"], "properties": {"text": {"type": "string"}, "word_count": {"type": "number"}, "words": {"type": "array"}, "vtt": {"type": "string"}}},
    "Text Classification": {"type": "array", "contentType": "application/json", "items": {"type": "object", "properties": {"label": {"type": "string"}, "score": {"type": "number"}}}},
    "Image Classification": {"type": "array", "contentType": "application/json", "items": {"type": "object", "properties": {"label": {"type": "string"}, "score": {"type": "number"}}}},
    "Object Detection": {"type": "array", "contentType": "application/json", "items": {"type": "object", "properties": {"score": {"type": "number"}, "label": {"type": "string"}, "box": {"type": "object"}}}},
    "Translation": {"type": "object", "contentType": "application/json", "properties": {"translated_text": {"type": "string"}}},
    "Summarization": {"type": "object", "contentType": "application/json", "properties": {"summary": {"type": "string"}}},
    "Image-to-Text": {"type": "object", "contentType": "application/json", "properties": {"description": {"type": "string"}}},
}


def task_entry(task: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid5(_TASK_NAMESPACE, task)), "name": task, "description": f"{task} models"}


def author_entry(author: str) -> dict[str, Any]:
    # The API types authors as plain objects; this shape mirrors the task objects (inferred).
    return {"id": str(uuid.uuid5(_TASK_NAMESPACE, "author:" + author)), "name": author, "description": f"Models by {author}"}


def catalog_entry(model: Model) -> dict[str, Any]:
    return {
        "id": model.id or str(uuid.uuid5(_TASK_NAMESPACE, model.name)),
        "source": 1,
        "name": model.name,
        "description": model.description,
        "created_at": model.created_at,
        "task": task_entry(model.task),
        "tags": [],
        "properties": list(model.properties),
    }


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise GatewayError(400, 7003, f"Invalid value for query parameter {name}: {raw!r} is not an integer") from None
    return max(low, min(high, value))


class ModelsApi:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def _front_door(self, request: Request) -> None:
        authenticate(request.headers, self.state.settings)
        check_account(request.path_params["account_id"], request.url.path, self.state.settings)

    async def search(self, request: Request) -> JSONResponse:
        try:
            self._front_door(request)
            page = _int_param(request, "page", 1, 1, 1_000_000)
            per_page = _int_param(request, "per_page", 50, 1, 1000)
        except GatewayError as err:
            return JSONResponse(cloudflare_v4.gateway_error(err), err.status)
        query = request.query_params
        models = [m for m in self.state.catalog if m.is_workers_ai]
        if query.get("task"):
            models = [m for m in models if m.task.lower() == query["task"].lower()]
        if query.get("author"):
            models = [m for m in models if m.author.lower() == query["author"].lower()]
        if query.get("search"):
            needle = query["search"].lower()
            models = [m for m in models if needle in m.name.lower() or needle in m.description.lower()]
        start = (page - 1) * per_page
        chosen = models[start : start + per_page]
        info = cloudflare_v4.page_info(len(chosen), page, per_page, len(models))
        return JSONResponse(cloudflare_v4.success([catalog_entry(m) for m in chosen], info))

    async def schema(self, request: Request) -> JSONResponse:
        try:
            self._front_door(request)
            name = request.query_params.get("model")
            if not name:
                raise GatewayError(400, 5006, "AiError: Bad input: Error: required query parameter 'model'")
            model = self.state.catalog.get(name)
            if model is None or not model.is_workers_ai:
                raise GatewayError(400, 5007, f"No such model {name} or task")
        except GatewayError as err:
            return JSONResponse(cloudflare_v4.gateway_error(err), err.status)
        input_schema = load_schema_validator(f"workers_ai/{model.input_schema}").schema if model.input_schema else {"type": "object"}
        return JSONResponse(cloudflare_v4.success({"input": input_schema, "output": OUTPUT_SCHEMAS.get(model.task, {"type": "object"})}))

    async def tasks(self, request: Request) -> JSONResponse:
        """The tasks of the catalog's Workers AI models, in catalog order."""
        return self._listing(request, lambda m: m.task, task_entry)

    async def authors(self, request: Request) -> JSONResponse:
        """The authors of the catalog's Workers AI models (`@cf/{author}/...`), in catalog order."""
        return self._listing(request, lambda m: m.author, author_entry)

    def _listing(self, request: Request, key: Callable[[Model], str], entry: Callable[[str], dict[str, Any]]) -> JSONResponse:
        try:
            self._front_door(request)
        except GatewayError as err:
            return JSONResponse(cloudflare_v4.gateway_error(err), err.status)
        names = dict.fromkeys(key(m) for m in self.state.catalog if m.is_workers_ai)
        return JSONResponse(cloudflare_v4.success([entry(name) for name in names]))
