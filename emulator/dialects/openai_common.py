"""What the two OpenAI dialects share: the error body and how it phrases a bad field."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from emulator.dialects import ChatDialect
from emulator.errors import InvalidRequest
from emulator.ids import IdSource
from emulator.violations import Violation, violation_of

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

_TYPE_WORDS = {
    "string": "a string", "array": "an array", "object": "an object", "integer": "an integer",
    "number": "a decimal", "boolean": "a boolean", "null": "null",
}

ERROR_TYPES = {
    400: "invalid_request_error", 401: "invalid_request_error", 403: "invalid_request_error",
    404: "invalid_request_error", 409: "invalid_request_error", 422: "invalid_request_error",
    429: "rate_limit_exceeded",
}


def error_type(status: int) -> str:
    return ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")


def error_body(message: str, type_: str, param: str | None, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def param_name(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _list_words(values: list[Any]) -> str:
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def phrase(v: Violation) -> InvalidRequest:
    param = param_name(v.path)
    if v.kind == "missing":
        return InvalidRequest(f"Missing required parameter: '{param}'.", param, code="missing_required_parameter")
    if v.kind == "type":
        words = [_TYPE_WORDS.get(t, t) for t in dict.fromkeys(v.expected_types) if t != "null"]
        expected = words[0] if len(words) == 1 else "one of " + " or ".join(words)
        got = _TYPE_WORDS.get(v.got_type, v.got_type)
        return InvalidRequest(f"Invalid type for '{param}': expected {expected}, but got {got} instead.", param, code="invalid_type")
    if v.kind == "enum":
        return InvalidRequest(
            f"Invalid value: '{_value(v.got)}'. Supported values are: {_list_words(v.allowed)}.", param, code="invalid_value"
        )
    if v.kind == "range":
        kind = "integer" if isinstance(v.got, int) else "decimal"
        above = v.keyword in ("maximum", "exclusiveMaximum")
        sign = {"maximum": "<=", "exclusiveMaximum": "<", "minimum": ">=", "exclusiveMinimum": ">"}[v.keyword]
        return InvalidRequest(
            f"Invalid '{param}': {kind} {'above maximum' if above else 'below minimum'} value. "
            f"Expected a value {sign} {v.limit}, but got {v.got} instead.",
            param,
            code=f"{kind}_{'above_max' if above else 'below_min'}_value",
        )
    if v.kind == "length" and v.keyword == "minItems" and v.got == []:
        return InvalidRequest(
            f"Invalid '{param}': empty array. Expected an array with minimum length {v.limit}, but got an empty array instead.",
            param,
            code="empty_array",
        )
    if v.kind == "length":
        return InvalidRequest(f"Invalid '{param}': {v.message}.", param, code="invalid_value")
    if v.kind == "pattern":
        return InvalidRequest(
            f"Invalid '{param}': string does not match pattern. Expected a string that matches the pattern '{v.limit}'.",
            param,
            code="invalid_value",
        )
    return InvalidRequest(f"Invalid '{param}': {v.message}.", param or None, code="invalid_value")


def invalid(error: ValidationError) -> InvalidRequest:
    return phrase(violation_of(error))


def malformed_json(detail: str) -> InvalidRequest:
    return InvalidRequest(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
        "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
        None,
        code=None,
    )


class OpenAIDialect(ChatDialect):
    """What both OpenAI wire formats share: request ids, error bodies and error phrasing."""

    request_id_header = "x-request-id"

    def invalid(self, error: ValidationError) -> InvalidRequest:
        return invalid(error)

    def malformed_json(self, detail: str) -> InvalidRequest:
        return malformed_json(detail)

    def new_request_id(self, ids: IdSource) -> str:
        return ids.openai_request()

    def error_body(self, status: int, message: str, param: str | None, code: str | None, request_id: str) -> dict[str, Any]:
        return error_body(message, error_type(status), param, code)

    def model_not_found(self, model_id: str, request_id: str) -> tuple[int, dict[str, Any]]:
        """Chat Completions' and Embeddings' 404 (the Responses API words it otherwise)."""
        message = f"The model `{model_id}` does not exist or you do not have access to it."
        return 404, error_body(message, "invalid_request_error", None, "model_not_found")
