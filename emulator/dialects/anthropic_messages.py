"""Anthropic Messages: POST ai/v1/messages (and ai/v1/v1/messages, as Cloudflare's docs configure the SDK)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING, Any

from emulator.catalog import MESSAGES
from emulator.completion import AUTO, ChatRequest, Completion, Conversation, Message, ToolChoice, ToolResult, ToolSpec
from emulator.dialects import ChatDialect, RenderContext, text_of
from emulator.errors import InvalidRequest
from emulator.ids import IdSource
from emulator.violations import Violation, violation_of

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

STOP_REASON = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "content_filter": "refusal"}

ERROR_TYPES = {
    400: "invalid_request_error", 401: "authentication_error", 402: "billing_error", 403: "permission_error",
    404: "not_found_error", 408: "timeout_error", 409: "conflict_error", 413: "request_too_large",
    429: "rate_limit_error", 500: "api_error", 503: "api_error", 504: "timeout_error", 529: "overloaded_error",
}

_TYPE_WORDS = {
    "string": "a valid string", "array": "a valid list", "object": "a valid dictionary", "integer": "a valid integer",
    "number": "a valid number", "boolean": "a valid boolean",
}


def error_type(status: int) -> str:
    return ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")


def _loc(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path)


def phrase(v: Violation) -> InvalidRequest:
    """Anthropic's pydantic-style messages: `messages.0.role: Input should be 'user' or 'assistant'`."""
    loc = _loc(v.path)
    if v.kind == "missing":
        text = "Field required"
    elif v.kind == "type":
        words = [_TYPE_WORDS.get(t, t) for t in dict.fromkeys(v.expected_types) if t != "null"]
        text = "Input should be " + " or ".join(words)
    elif v.kind == "enum":
        quoted = [repr(a) if isinstance(a, str) else json.dumps(a) for a in v.allowed]
        text = "Input should be " + (" or ".join(quoted) if len(quoted) <= 2 else ", ".join(quoted[:-1]) + " or " + quoted[-1])
    elif v.kind == "range":
        words = {"minimum": "greater than or equal to", "maximum": "less than or equal to",
                 "exclusiveMinimum": "greater than", "exclusiveMaximum": "less than"}[v.keyword]
        text = f"Input should be {words} {v.limit}"
    elif v.kind == "length" and v.keyword == "minItems":
        text = f"List should have at least {v.limit} item after validation, not {len(v.got)}"
    elif v.kind == "additional":
        text = "Extra inputs are not permitted"
    else:
        text = v.message
    return InvalidRequest(f"{loc}: {text}" if loc else text, loc or None)


class AnthropicMessages(ChatDialect):
    endpoint = MESSAGES
    schema_file = "requests/anthropic_messages.json"
    request_id_header = "request-id"

    def invalid(self, error: ValidationError) -> InvalidRequest:
        return phrase(violation_of(error))

    def malformed_json(self, detail: str) -> InvalidRequest:
        return InvalidRequest(f"There was an issue with your request body: invalid JSON ({detail})")

    def new_request_id(self, ids: IdSource) -> str:
        return ids.anthropic_request()

    def error_body(self, status: int, message: str, param: str | None, code: str | None, request_id: str) -> dict[str, Any]:
        return {"type": "error", "error": {"type": error_type(status), "message": message}, "request_id": request_id}

    def model_not_found(self, model_id: str, request_id: str) -> tuple[int, dict[str, Any]]:
        return 404, self.error_body(404, f"model: {model_id}", None, None, request_id)

    def parse(self, body: dict[str, Any]) -> ChatRequest:
        messages: list[Message] = []
        if body.get("system"):
            messages.append(Message("system", text_of(body["system"])))
        for message in body["messages"]:
            content = message["content"]
            role = "tool" if message["role"] == "user" and _only_tool_results(content) else message["role"]
            messages.append(Message(role, text_of(content)))
        tools = [
            ToolSpec(t["name"], t.get("description", ""), t.get("input_schema") or {"type": "object", "properties": {}})
            for t in body.get("tools", [])
            if "input_schema" in t
        ]
        thinking = body.get("thinking") or {}
        if thinking.get("type") == "enabled" and thinking["budget_tokens"] >= body["max_tokens"]:
            raise InvalidRequest("`max_tokens` must be greater than `thinking.budget_tokens`")
        return ChatRequest(
            endpoint=MESSAGES,
            model=body["model"],
            messages=messages,
            tools=tools,
            tool_choice=tool_choice(body.get("tool_choice")),
            output_schema=output_schema(body),
            max_tokens=body["max_tokens"],
            stream=bool(body.get("stream")),
            reasoning=thinking.get("type") in ("enabled", "adaptive"),
            body=body,
            read_conversation=conversation,
        )

    def render(self, req: ChatRequest, completion: Completion, ctx: RenderContext) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if completion.reasoning is not None:
            content.append({"type": "thinking", "thinking": completion.reasoning, "signature": thinking_signature(completion.reasoning)})
        if completion.text is not None:
            content.append({"type": "text", "text": completion.text})
        for call in completion.tool_calls:
            content.append({"type": "tool_use", "id": tool_use_id(call.id), "name": call.name, "input": call.arguments})
        return {
            "id": ctx.ids.anthropic_message(),
            "type": "message",
            "role": "assistant",
            "model": ctx.model,
            "content": content,
            "stop_reason": STOP_REASON[completion.finish],
            "stop_sequence": None,
            "usage": usage(completion),
        }


def _only_tool_results(content: Any) -> bool:
    """A user message that only carries tool results: the neutral request's tool message, so
    that the last user message stays what the user wrote."""
    return isinstance(content, list) and bool(content) and all(isinstance(b, dict) and b.get("type") == "tool_result" for b in content)


def conversation(body: dict[str, Any]) -> Conversation:
    """Assistant messages are turns; their `tool_use` blocks name the tools that the
    `tool_result` blocks of later user messages answer. A user message carrying a tool result
    is, in neutral terms, a tool message."""
    called: dict[str, str] = {}
    results: list[ToolResult] = []
    turn = 0
    last_role = "system" if body.get("system") else "user"
    for message in body.get("messages") or []:
        role = message.get("role")
        content = message.get("content")
        blocks = [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []
        if role == "assistant":
            turn += 1
            for block in blocks:
                if block.get("type") == "tool_use":
                    called[str(block.get("id", ""))] = str(block.get("name", ""))
        last_role = str(role)
        for block in blocks:
            if block.get("type") == "tool_result":
                call_id = str(block.get("tool_use_id", ""))
                results.append(ToolResult(called.get(call_id, ""), text_of(block.get("content")), call_id))
                last_role = "tool"
    return Conversation(turn, last_role, tuple(results))


def tool_choice(value: Any) -> ToolChoice:
    if not isinstance(value, dict):
        return AUTO
    kind = value.get("type")
    if kind == "tool":
        return ToolChoice("function", value.get("name"))
    if kind == "any":
        return ToolChoice("required")
    if kind == "none":
        return ToolChoice("none")
    return AUTO


def output_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    for fmt in (body.get("output_format"), (body.get("output_config") or {}).get("format")):
        if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            return fmt.get("schema") or {"type": "object"}
    return None


def thinking_signature(thinking: str) -> str:
    """An opaque signature, as the API attaches to each thinking block (the same text always gets
    the same one, streamed or not)."""
    return base64.b64encode(hashlib.blake2b(thinking.encode("utf-8"), digest_size=48).digest() * 4).decode("ascii")


def tool_use_id(raw: str) -> str:
    return raw if raw.startswith("toolu_") or "_" in raw else "toolu_01" + raw[:22]


def usage(completion: Completion) -> dict[str, Any]:
    u = completion.usage
    return {
        "input_tokens": u.input_tokens,
        "output_tokens": u.output_tokens,
        "cache_creation_input_tokens": u.cache_write_tokens,
        "cache_read_input_tokens": u.cache_read_tokens,
        "cache_creation": {"ephemeral_5m_input_tokens": u.cache_write_tokens, "ephemeral_1h_input_tokens": 0},
        "service_tier": "standard",
    }


class AnthropicCountTokens(AnthropicMessages):
    """`POST /v1/messages/count_tokens`: a Messages body without `max_tokens`, answered with
    `{"input_tokens": N}` as the messages call would count them."""

    def check(self, body: Any) -> None:
        if isinstance(body, dict) and "max_tokens" in body:
            raise InvalidRequest("max_tokens: Extra inputs are not permitted", "max_tokens")
        super().check({**body, "max_tokens": 1} if isinstance(body, dict) else body)

    def parse(self, body: dict[str, Any]) -> ChatRequest:
        return super().parse({**body, "max_tokens": 1})


DIALECT = AnthropicMessages()
COUNT_TOKENS = AnthropicCountTokens()
