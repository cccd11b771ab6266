"""Workers AI: the model input and output of @cf/ models on ai/run (envelope and legacy path).

Bad input is answered as Workers AI does: v4 envelope, code 5006, `AiError: Bad input: ...`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from emulator.catalog import RUN, Model
from emulator.completion import AUTO, ChatRequest, Completion, Message, ToolSpec
from emulator.dialects import text_of
from emulator.dialects.openai_chat import conversation
from emulator.errors import GatewayError
from emulator.schema_check import SchemaValidator, load_schema_validator, type_name
from emulator.violations import Violation, violation_of

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

DEFAULT_MAX_TOKENS = 256


def _pointer(path: tuple[Any, ...]) -> str:
    return "/" + "/".join(str(p) for p in path)


def phrase(v: Violation) -> str:
    if v.kind == "missing":
        return f"required properties at '{_pointer(v.path[:-1])}' are '{v.path[-1]}'"
    if v.kind == "type":
        return f"Type mismatch of '{_pointer(v.path)}', '{type_name(v.got)}' not in '{', '.join(v.expected_types)}'"
    if v.kind == "additional":
        names = ", ".join(_pointer(v.path + (name,)) for name in v.allowed)
        return f"Additional or unevaluated properties '{names}' at '{_pointer(v.path)}' not allowed"
    if v.kind == "enum":
        return f"Value at '{_pointer(v.path)}' is not one of {', '.join(map(str, v.allowed))}"
    if v.kind == "range":
        sign = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[v.keyword]
        return f"Value at '{_pointer(v.path)}' must be {sign} {v.limit}"
    if v.kind == "length":
        return f"Length of '{_pointer(v.path)}' does not satisfy {v.keyword} {v.limit}"
    return f"{v.message} at '{_pointer(v.path)}'"


def describe(error: ValidationError) -> str:
    if error.validator == "oneOf" and not list(error.relative_path):
        parts = [phrase(violation_of(e)) for e in error.context]
        matches = 0
        return f"oneOf at '{_pointer(tuple(error.absolute_path))}' not met, {matches} matches: " + ", ".join(dict.fromkeys(parts))
    return phrase(violation_of(error))


def bad_input(detail: str) -> GatewayError:
    return GatewayError(400, 5006, f"AiError: Bad input: Error: {detail}")


def validate_input(model: Model, model_input: Any) -> None:
    if model.input_schema is None:
        return
    validator = load_schema_validator(f"workers_ai/{model.input_schema}")
    if validator.is_valid(model_input):
        return
    error = validator.best_error(model_input)
    assert error is not None
    if error.validator != "oneOf":
        # best_match descends into oneOf; keep a root-level oneOf whole, as Workers AI reports it.
        root = [e for e in validator.all_errors(model_input) if e.validator == "oneOf" and not list(e.absolute_path)]
        if root:
            error = root[0]
    raise bad_input(describe(error))


@lru_cache(maxsize=None)
def _form_validator(schema_name: str, index: int) -> SchemaValidator:
    root = load_schema_validator(f"workers_ai/{schema_name}").schema
    return SchemaValidator(f"{schema_name}#/oneOf/{index}", {**root["oneOf"][index], "$defs": root.get("$defs", {})})


def _uses_messages(model: Model, data: dict[str, Any]) -> bool:
    """Whether the input is the messages form. With both `prompt` and `messages` present the
    input passed the schema's oneOf only because exactly one form is valid: that one is used."""
    if "messages" not in data:
        return False
    if "prompt" not in data or model.input_schema is None:
        return True
    return not _form_validator(model.input_schema, 0).is_valid(data)


def parse_text_generation(model: Model, data: dict[str, Any]) -> ChatRequest:
    """`data` has passed `validate_input` for this model."""
    uses_messages = _uses_messages(model, data)
    if uses_messages:
        messages = [Message("system" if m["role"] == "developer" else m["role"], text_of(m.get("content"))) for m in data["messages"]]
    else:
        messages = [Message("user", data["prompt"])]
    tools = []
    for tool in data.get("tools", []):
        spec = tool["function"] if tool.get("type") == "function" and isinstance(tool.get("function"), dict) else tool
        tools.append(ToolSpec(spec["name"], spec.get("description", ""), spec.get("parameters") or {"type": "object", "properties": {}}))
    fmt = data.get("response_format") or {}
    schema = None
    if fmt.get("type") == "json_schema":
        given = fmt.get("json_schema") or {"type": "object"}
        schema = given.get("schema", given) if isinstance(given, dict) else {"type": "object"}
    return ChatRequest(
        endpoint=RUN,
        model=model.name,
        messages=messages,
        tools=tools,
        tool_choice=AUTO,
        output_schema=schema,
        json_mode=fmt.get("type") == "json_object",
        max_tokens=data.get("max_tokens", DEFAULT_MAX_TOKENS),
        stream=bool(data.get("stream")),
        body=data,
        read_conversation=conversation if uses_messages else None,
    )


def render_text_generation(req: ChatRequest, completion: Completion) -> dict[str, Any]:
    response: Any = completion.text if completion.text is not None else ""
    if (req.output_schema is not None or req.json_mode) and completion.text:
        try:
            response = json.loads(completion.text)
        except ValueError:
            pass
    result: dict[str, Any] = {"response": response}
    if completion.tool_calls:
        result["tool_calls"] = [{"name": c.name, "arguments": c.arguments} for c in completion.tool_calls]
    u = completion.usage
    result["usage"] = {"prompt_tokens": u.prompt_tokens, "completion_tokens": u.output_tokens, "total_tokens": u.total_tokens}
    return result
