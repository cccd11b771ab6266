"""Gemini's generateContent (Google AI Studio): `google-ai-studio/{v1,v1beta}/models/{model}:generateContent`
on the gateway host, and `google/gemini-*` models' own input on `ai/run`.

The model is in the URL, not the body: the route binds it (`GeminiGenerateContent.at`), with
whether the answer streams (`:streamGenerateContent`). Errors are Google's `{"error": {code,
message, status}}`; a body the API cannot read (an unknown field, a value of the wrong type)
is worded as Google's JSON parser words it, a missing or empty field as its request validation does.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from emulator.catalog import GENERATE_CONTENT
from emulator.completion import AUTO, ChatRequest, Completion, Message, ToolChoice, ToolSpec
from emulator.dialects import ChatDialect, RenderContext
from emulator.errors import InvalidRequest
from emulator.ids import IdSource
from emulator.schema_check import ValidBodies
from emulator.violations import Violation, violation_of

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

FINISH_REASON = {"stop": "STOP", "length": "MAX_TOKENS", "tool_calls": "STOP", "content_filter": "SAFETY"}

# google.rpc.Code names, by the HTTP status Google maps them to.
STATUS = {
    400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED", 409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 499: "CANCELLED", 500: "INTERNAL",
    501: "NOT_IMPLEMENTED", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}

ROLES = ("user", "model")

# The proto field types Google's JSON parser names when a value has the wrong type.
_PROTO_TYPES = {"string": "TYPE_STRING", "integer": "TYPE_INT32", "number": "TYPE_FLOAT", "boolean": "TYPE_BOOL"}

_BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
_INDEX = re.compile(r"\[\d+\]")


def status_name(status: int) -> str:
    return STATUS.get(status, "INTERNAL" if status >= 500 else "INVALID_ARGUMENT")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def field_path(path: tuple[Any, ...]) -> str:
    """`('generationConfig', 'maxOutputTokens')` -> `generation_config.max_output_tokens`, with
    `[i]` for list indices: how Google's messages name a field (the proto's own names)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + _snake(str(part))
    return out


def phrase(v: Violation) -> InvalidRequest:
    path = field_path(v.path)
    if v.kind == "additional":
        name = v.allowed[0] if v.allowed else "?"
        at = f" at '{path}'" if path else ""
        return InvalidRequest(f'Invalid JSON payload received. Unknown name "{name}"{at}: Cannot find field.', path or name, code="parse")
    if v.kind == "type":
        expected = next((t for t in v.expected_types if t != "null"), "object")
        got = json.dumps(v.got, ensure_ascii=False)
        if expected in _PROTO_TYPES:
            return InvalidRequest(f"Invalid value at '{path}' ({_PROTO_TYPES[expected]}), {got}", path, code="parse")
        if expected == "array":
            return InvalidRequest(f"Invalid value at '{path}' (repeated), {got}", path, code="parse")
        return InvalidRequest(f"Invalid JSON payload received. Expected an object at '{path}', got {got}.", path, code="parse")
    if v.kind == "enum":
        return InvalidRequest(f"Invalid value at '{path}' (enum), {json.dumps(v.got)}", path, code="parse")
    where = f"* GenerateContentRequest.{path}: " if path else "* GenerateContentRequest: "
    name = path.rsplit(".", 1)[-1]
    if v.kind == "missing":
        return InvalidRequest(f"{where}{name} is not specified", path)
    if v.kind == "length" and v.keyword == "minItems":
        return InvalidRequest(f"{where}{_INDEX.sub('', path)} must not be empty", path)
    if v.kind == "length" and v.keyword == "maxItems":
        return InvalidRequest(f"{where}{name} must have at most {v.limit} items", path)
    if v.kind == "range":
        bound = "at least" if v.keyword in ("minimum", "exclusiveMinimum") else "at most"
        return InvalidRequest(f"{where}{name} must be {bound} {v.limit}, got {v.got}", path)
    if v.kind in ("pattern", "length"):
        return InvalidRequest(f"{where}Invalid {name}: {json.dumps(v.got)}", path)
    return InvalidRequest(f"{where}{v.message}", path or None)


def error_body(status: int, message: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": status, "message": message, "status": status_name(status)}
    if code == "parse":
        error["details"] = [{"@type": _BAD_REQUEST, "fieldViolations": [{"field": param or "", "description": message}]}]
    return {"error": error}


def part_text(part: dict[str, Any]) -> str:
    if isinstance(part.get("text"), str):
        return part["text"]
    if "functionCall" in part:
        call = part["functionCall"]
        return f"{call.get('name', '')}({json.dumps(call.get('args', {}), sort_keys=True)})"
    if "functionResponse" in part:
        return json.dumps(part["functionResponse"].get("response", {}), sort_keys=True)
    return ""


def content_text(content: dict[str, Any]) -> str:
    return "\n".join(t for t in (part_text(p) for p in content.get("parts", [])) if t)


def json_schema(schema: Any) -> Any:
    """A Gemini `Schema` (the OpenAPI subset: upper-case `type`, `nullable`, `propertyOrdering`)
    as the JSON Schema the answer must follow."""
    if isinstance(schema, list):
        return [json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type" and isinstance(value, str):
            out["type"] = value.lower()
        elif key == "properties" and isinstance(value, dict):
            out["properties"] = {name: json_schema(s) for name, s in value.items()}
        elif key in ("items", "anyOf"):
            out[key] = json_schema(value)
        elif key in ("minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties") and isinstance(value, str):
            out[key] = int(value)  # int64 fields: the SDK writes them as strings
        elif key in ("required", "enum", "format", "description", "minimum", "maximum", "pattern", "title", "default", "minItems", "maxItems", "minLength", "maxLength"):
            out[key] = value
    if schema.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def output_schema(config: dict[str, Any]) -> dict[str, Any] | None:
    for key in ("responseJsonSchema", "_responseJsonSchema"):
        if isinstance(config.get(key), dict):
            return config[key]
    if isinstance(config.get("responseSchema"), dict):
        return json_schema(config["responseSchema"])
    return None


def tool_choice(config: dict[str, Any]) -> ToolChoice:
    calling = config.get("functionCallingConfig") or {}
    mode = calling.get("mode", "AUTO")
    if mode == "NONE":
        return ToolChoice("none")
    if mode in ("ANY", "VALIDATED"):
        allowed = calling.get("allowedFunctionNames") or []
        return ToolChoice("function", allowed[0]) if len(allowed) == 1 else ToolChoice("required")
    return AUTO


def tools(body: dict[str, Any]) -> list[ToolSpec]:
    specs = []
    for tool in body.get("tools", []):
        for declaration in tool.get("functionDeclarations", []):
            parameters = declaration.get("parametersJsonSchema")
            if not isinstance(parameters, dict):
                parameters = json_schema(declaration["parameters"]) if "parameters" in declaration else None
            specs.append(ToolSpec(declaration["name"], declaration.get("description", ""), parameters or {"type": "object", "properties": {}}))
    return specs


def usage_metadata(completion: Completion) -> dict[str, Any]:
    u = completion.usage
    metadata: dict[str, Any] = {
        "promptTokenCount": u.input_tokens,
        "candidatesTokenCount": u.output_tokens - u.reasoning_tokens,
        "totalTokenCount": u.total_tokens,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": u.input_tokens}],
    }
    if u.reasoning_tokens:
        metadata["thoughtsTokenCount"] = u.reasoning_tokens
    return metadata


def model_version(model: str) -> str:
    return model.removeprefix("models/").removeprefix("google/")


class GeminiGenerateContent(ChatDialect):
    endpoint = GENERATE_CONTENT
    schema_file = "requests/gemini_generate_content.json"
    request_id_header = ""  # Google's API sends none; the answer's `responseId` identifies it
    _shared_valid_bodies = ValidBodies()

    def __init__(self, model: str = "", stream: bool = False, as_array: bool = False, version: str = "v1beta", method: str = "generateContent") -> None:
        self.model = model
        self.stream = stream
        self.as_array = as_array
        self.version = version
        self.method = method

    def at(self, version: str, model: str, method: str, sse: bool) -> GeminiGenerateContent:
        """This dialect for one URL: its API version, the model it names, and how the method
        answers: `generateContent` whole, `streamGenerateContent` as events with `alt=sse`, else
        as the same partial responses in one JSON array."""
        streams = method == "streamGenerateContent"
        return GeminiGenerateContent(model, streams and sse, streams and not sse, version, method)

    def model_not_found(self, model_id: str, request_id: str) -> tuple[int, dict[str, Any]]:
        message = (
            f"models/{model_id} is not found for API version {self.version}, or is not supported for {self.method}. "
            "Call ListModels to see the list of available models and their supported methods."
        )
        return 404, error_body(404, message)

    @property
    def _valid_bodies(self) -> ValidBodies:  # type: ignore[override]
        return self._shared_valid_bodies

    def invalid(self, error: ValidationError) -> InvalidRequest:
        return phrase(violation_of(error))

    def malformed_json(self, detail: str) -> InvalidRequest:
        return InvalidRequest("Invalid JSON payload received. Unexpected token.", None, code="parse")

    def new_request_id(self, ids: IdSource) -> str:
        return ""

    def error_body(self, status: int, message: str, param: str | None, code: str | None, request_id: str) -> dict[str, Any]:
        return error_body(status, message, param, code)

    def parse(self, body: dict[str, Any]) -> ChatRequest:
        messages: list[Message] = []
        if "systemInstruction" in body:
            messages.append(Message("system", content_text(body["systemInstruction"])))
        for index, content in enumerate(body["contents"]):
            role = content.get("role", "user")
            if role not in ROLES:
                raise InvalidRequest(f"Please use a valid role: {', '.join(ROLES)}.", f"contents[{index}].role")
            messages.append(Message("assistant" if role == "model" else "user", content_text(content)))
        config = body.get("generationConfig") or {}
        schema = output_schema(config)
        return ChatRequest(
            endpoint=GENERATE_CONTENT,
            model=self.model or body.get("model", ""),
            messages=messages,
            tools=tools(body),
            tool_choice=tool_choice(body.get("toolConfig") or {}),
            output_schema=schema,
            json_mode=schema is None and config.get("responseMimeType") == "application/json",
            max_tokens=config.get("maxOutputTokens"),
            stream=self.stream,
            body=body,
        )

    def render(self, req: ChatRequest, completion: Completion, ctx: RenderContext) -> Any:
        if self.as_array:
            from emulator.dialects.gemini_stream import GeminiStream
            from emulator.streaming import StreamPlan

            return GeminiStream(req, completion, ctx, StreamPlan()).chunks()
        return {
            "candidates": [candidate(completion_parts(completion), completion.finish)],
            "usageMetadata": usage_metadata(completion),
            "modelVersion": model_version(ctx.model),
            "responseId": ctx.ids.gemini_response(),
        }


def completion_parts(completion: Completion) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    if completion.text is not None:
        parts.append({"text": completion.text})
    parts.extend({"functionCall": {"name": call.name, "args": call.arguments}} for call in completion.tool_calls)
    return parts


def candidate(parts: list[dict[str, Any]], finish: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
    if finish is not None:
        out["finishReason"] = FINISH_REASON[finish]
    out["index"] = 0
    return out


DIALECT = GeminiGenerateContent()
