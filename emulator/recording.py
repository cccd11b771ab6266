"""Recorded traffic as fixtures: one request and the upstream's answer become a fixture document.

The fixture's `match` is what replaying the same conversation sends again: the endpoint, the
model, the last user message, the turn, the last role, the system prompt, the tools offered and
the latest tool result. Its `respond` is the answer in neutral terms (text, tool calls, finish
reason, usage; a stream's text chunks as they were sent; a provider error's status and body), so
that it replays in the endpoint's own format, streamed or not. `recorded` keeps what the drift
check needs: the request as sent and the shape of the answer (keys, types, header names).
Secrets are redacted from all of it.
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote
from dataclasses import dataclass, field
from typing import Any, Iterable

from emulator import json_codec
from emulator.catalog import CHAT, EMBEDDINGS, MESSAGES, RESPONSES, RUN, TEXT_GENERATION, Catalog
from emulator.completion import ChatRequest
from emulator.dialects.anthropic_messages import DIALECT as ANTHROPIC
from emulator.dialects.openai_chat import DIALECT as OPENAI_CHAT
from emulator.dialects.openai_responses import DIALECT as OPENAI_RESPONSES
from emulator.redaction import CREDENTIAL_HEADERS

REDACTED = "[REDACTED]"

# Credentials as they look in bodies: provider keys, bearer tokens.
DEFAULT_SECRET_PATTERNS = (
    r"sk-ant-[A-Za-z0-9_\-]{8,}",
    r"sk-(?:proj-)?[A-Za-z0-9_\-]{16,}",
    r"(?i)bearer\s+[A-Za-z0-9._~+/\-]{8,}=*",
)

# Request headers whose values are credentials (emulator.redaction's list): each value is
# redacted wherever it appears.

# Response headers that differ on every answer: not part of an answer's shape.
VOLATILE_HEADERS = frozenset({
    "date", "content-length", "transfer-encoding", "connection", "keep-alive", "server", "cf-ray", "alt-svc",
    "set-cookie", "nel", "report-to", "vary", "content-encoding",
})

FINISH_FROM_OPENAI = {"stop": "stop", "length": "length", "tool_calls": "tool_calls", "content_filter": "content_filter", "function_call": "tool_calls"}
FINISH_FROM_ANTHROPIC = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls", "refusal": "content_filter", "pause_turn": "stop"}


@dataclass
class Redactor:
    """Replaces credentials (the request's own credential headers' values, and `patterns`) by
    [REDACTED] in every string of what is written."""

    patterns: tuple[str, ...] = DEFAULT_SECRET_PATTERNS
    secrets: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._compiled = [re.compile(p) for p in self.patterns]

    def learn(self, headers: dict[str, str]) -> None:
        """Remember the credentials a request carried (a bearer's token too, on its own)."""
        for name in CREDENTIAL_HEADERS:
            value = headers.get(name)
            if value:
                self.secrets.add(value)
                token = value.split(None, 1)[-1]
                if len(token) >= 4:
                    self.secrets.add(token)

    def text(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        for pattern in self._compiled:
            text = pattern.sub(REDACTED, text)
        return text

    def matcher(self, text: str) -> Any:
        """A text matcher for `text` that holds no secret: the text itself, or where secrets were
        cut out a regex that takes any text in their place, so the recording still replays."""
        redacted = self.text(text)
        if redacted == text:
            return text
        return {"regex": "^" + ".+?".join(re.escape(piece) for piece in redacted.split(REDACTED)) + "$"}

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {self.text(k): self.value(v) for k, v in value.items()}
        return value


@dataclass
class RecordedExchange:
    """One request as the recorder forwarded it and the upstream's answer as it came back."""

    method: str
    path: str  # with the query string, as sent
    request_headers: dict[str, str]  # lower-case names
    request_body: bytes
    status: int
    response_headers: dict[str, str]  # lower-case names
    response_body: bytes  # a stream's bytes as sent

    @property
    def streamed(self) -> bool:
        return self.response_headers.get("content-type", "").startswith("text/event-stream")


# --- what the request was -----------------------------------------------------------------
@dataclass
class Recognized:
    """A request the emulator answers from fixtures: its endpoint, model and neutral request."""

    endpoint: str
    model: str | None
    wire: str  # the answer's wire format: chat_completions | responses | messages | run (Workers AI) | task | verbatim
    request: ChatRequest | None
    body: Any


def recognize(exchange: RecordedExchange, catalog: Catalog) -> Recognized | None:
    """What a request was, from its path and body; None for what fixtures do not answer
    (model search, management API, embeddings, a body that is not JSON)."""
    path = unquote(exchange.path.split("?", 1)[0])  # the cloudflare SDK sends @cf%2Fmeta%2F...
    try:
        body = json_codec.loads(exchange.request_body) if exchange.request_body else None
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict) or exchange.method != "POST":
        return None
    rest_host = path.startswith("/client/v4/")
    for suffix, endpoint, dialect in (("/chat/completions", CHAT, OPENAI_CHAT), ("/responses", RESPONSES, OPENAI_RESPONSES), ("/messages", MESSAGES, ANTHROPIC)):
        if path.endswith(suffix) and not path.endswith("/count_tokens"):
            # The gateway host's bare provider ids are named otherwise in the catalog: no model there.
            model = body.get("model") if rest_host or "/workers-ai/" in path else None
            model = _catalog_name(catalog, model)
            return Recognized(endpoint, model, endpoint, _parsed(dialect, body), body)
    if path.endswith("/embeddings"):
        # Answered verbatim: the emulator answers a fixture's `output` that is not Workers AI's
        # {shape, data} as it is, so the recorded list replays byte for byte.
        model = body.get("model") if rest_host or "/workers-ai/" in path else None
        return Recognized(EMBEDDINGS, _catalog_name(catalog, model), "verbatim", None, body)
    if path.endswith("/ai/run") and rest_host:
        model, model_input = body.get("model"), body.get("input")
    else:
        at = path.find("/@cf/")
        if at < 0:
            return None
        model, model_input = path[at + 1:].removeprefix("run/"), body
    entry = catalog.get(model) if isinstance(model, str) else None
    if entry is None or not isinstance(model_input, dict):
        return None
    if entry.task != TEXT_GENERATION:
        return Recognized(RUN, entry.name, "task", None, body)
    if entry.is_workers_ai:
        from emulator.dialects import workers_ai

        try:
            request = workers_ai.parse_text_generation(entry, model_input)
        except (KeyError, TypeError, ValueError):
            return None
        return Recognized(RUN, entry.name, RUN, request, body)
    dialect = ANTHROPIC if entry.native_format == "anthropic_messages" else OPENAI_CHAT
    return Recognized(RUN, entry.name, dialect.endpoint, _parsed(dialect, {**model_input, "model": entry.name}), body)


def _catalog_name(catalog: Catalog, model: Any) -> str | None:
    if not isinstance(model, str):
        return None
    entry = catalog.get(model)
    return entry.name if entry is not None else model


def _parsed(dialect: Any, body: dict[str, Any]) -> ChatRequest | None:
    try:
        return dialect.parse(body)
    except Exception:  # a body the upstream took and the emulator's parser does not: match it without a conversation
        return None


def match_of(recognized: Recognized) -> dict[str, Any]:
    """The criteria that pick this request out again when the same conversation is replayed."""
    match: dict[str, Any] = {"endpoint": recognized.endpoint}
    if recognized.model:
        match["model"] = recognized.model
    request = recognized.request
    if request is None:  # a task or embeddings: the whole body, and its last text for the index
        texts = recognized.body.get("input", recognized.body.get("text")) if recognized.endpoint == EMBEDDINGS else None
        if isinstance(texts, list) and texts and isinstance(texts[-1], str):
            match["content"] = texts[-1]
        elif isinstance(texts, str):
            match["content"] = texts
        match["json_path"] = {"$": {"equals": recognized.body}}
        return match
    match["content"] = request.last_user_text
    conversation = request.conversation
    match["turn"] = conversation.turn
    match["last_role"] = conversation.last_role
    if request.system_text:
        match["system"] = request.system_text
    if request.tools:
        match["tools"] = sorted({tool.name for tool in request.tools})
    if conversation.tool_results:
        latest = conversation.tool_results[-1]
        match["tool_result"] = {"tool": latest.tool, "content": latest.content} if latest.tool else {"content": latest.content}
    return match


# --- what the answer was ------------------------------------------------------------------
def respond_of(exchange: RecordedExchange, recognized: Recognized) -> dict[str, Any] | None:
    """The answer as a fixture's `respond`; None when it cannot be replayed (binary output)."""
    if exchange.status >= 400:
        try:
            body = json_codec.loads(exchange.response_body)
        except (ValueError, UnicodeDecodeError):
            return {"error": {"status": exchange.status, "message": exchange.response_body.decode("utf-8", "replace")}}
        return {"error": {"status": exchange.status, "body": body}}
    if recognized.wire == "verbatim":
        return {"output": json_codec.loads(exchange.response_body)}
    if recognized.wire == "task":
        if not exchange.response_headers.get("content-type", "").startswith("application/json"):
            return None
        result = json_codec.loads(exchange.response_body)
        return {"output": result.get("result") if isinstance(result, dict) and "result" in result else result}
    if exchange.streamed:
        events = list(sse_events(exchange.response_body))
        answer = STREAM_READERS[recognized.wire](events)
    else:
        document = json_codec.loads(exchange.response_body)
        if recognized.endpoint == RUN and isinstance(document, dict) and "result" in document:
            document = document["result"]
        answer = BODY_READERS[recognized.wire](document)
    return answer.respond()


@dataclass
class Answer:
    text: str | None = None
    chunks: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning: str | None = None

    def respond(self) -> dict[str, Any]:
        respond: dict[str, Any] = {}
        if self.text is not None or not self.tool_calls:
            respond["text"] = self.text or ""
        if self.tool_calls:
            respond["tool_calls"] = self.tool_calls
        if self.reasoning:
            respond["reasoning"] = self.reasoning
        if self.finish:
            respond["finish_reason"] = self.finish
        if self.input_tokens is not None and self.output_tokens is not None:
            respond["usage"] = {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens}
        if self.chunks and not self.tool_calls and "".join(self.chunks) == respond.get("text"):
            respond["stream"] = {"chunks": self.chunks}
        return respond


def _arguments(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _call(name: Any, arguments: Any, call_id: Any) -> dict[str, Any]:
    call: dict[str, Any] = {"name": str(name or "tool"), "arguments": _arguments(arguments)}
    if call_id:
        call["id"] = str(call_id)
    return call


def read_openai_chat(body: dict[str, Any]) -> Answer:
    choice = (body.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    usage = body.get("usage") or {}
    return Answer(
        text=message.get("content"),
        tool_calls=[_call(c.get("function", {}).get("name"), c.get("function", {}).get("arguments"), c.get("id")) for c in message.get("tool_calls") or []],
        finish=FINISH_FROM_OPENAI.get(choice.get("finish_reason") or ""),
        input_tokens=usage.get("prompt_tokens"), output_tokens=usage.get("completion_tokens"),
    )


def read_openai_responses(body: dict[str, Any]) -> Answer:
    answer = Answer()
    texts = []
    for item in body.get("output") or []:
        if item.get("type") == "message":
            texts.extend(part.get("text", "") for part in item.get("content") or [] if part.get("type") == "output_text")
        elif item.get("type") == "function_call":
            answer.tool_calls.append(_call(item.get("name"), item.get("arguments"), item.get("call_id")))
        elif item.get("type") == "reasoning":
            answer.reasoning = "\n".join(s.get("text", "") for s in item.get("summary") or []) or None
    answer.text = "".join(texts) if texts or not answer.tool_calls else None
    usage = body.get("usage") or {}
    answer.input_tokens, answer.output_tokens = usage.get("input_tokens"), usage.get("output_tokens")
    if body.get("status") == "incomplete":
        answer.finish = "length"
    return answer


def read_anthropic(body: dict[str, Any]) -> Answer:
    answer = Answer()
    texts = []
    for block in body.get("content") or []:
        if block.get("type") == "text":
            texts.append(block.get("text", ""))
        elif block.get("type") == "tool_use":
            answer.tool_calls.append(_call(block.get("name"), block.get("input"), block.get("id")))
        elif block.get("type") == "thinking":
            answer.reasoning = block.get("thinking")
    answer.text = "".join(texts) if texts or not answer.tool_calls else None
    answer.finish = FINISH_FROM_ANTHROPIC.get(body.get("stop_reason") or "")
    usage = body.get("usage") or {}
    answer.input_tokens, answer.output_tokens = usage.get("input_tokens"), usage.get("output_tokens")
    return answer


def read_workers_ai(result: dict[str, Any]) -> Answer:
    response = result.get("response")
    usage = result.get("usage") or {}
    tool_calls = [_call(c.get("name"), c.get("arguments"), None) for c in result.get("tool_calls") or []]
    text = response if isinstance(response, str) else json.dumps(response, ensure_ascii=False) if response is not None else None
    return Answer(text=None if tool_calls and not text else text, tool_calls=tool_calls,
                  input_tokens=usage.get("prompt_tokens"), output_tokens=usage.get("completion_tokens"))


BODY_READERS = {CHAT: read_openai_chat, RESPONSES: read_openai_responses, MESSAGES: read_anthropic, RUN: read_workers_ai}


# --- streams --------------------------------------------------------------------------------
def sse_events(raw: bytes) -> Iterable[tuple[str | None, Any]]:
    """(event name, parsed data) of each server-sent event; data that is not JSON is skipped."""
    for frame in raw.decode("utf-8", "replace").replace("\r\n", "\n").split("\n\n"):
        name, data = None, []
        for line in frame.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        if not data:
            continue
        try:
            yield name, json.loads("\n".join(data))
        except ValueError:
            continue


def read_openai_chat_stream(events: list[tuple[str | None, Any]]) -> Answer:
    answer = Answer()
    calls: dict[int, dict[str, Any]] = {}
    for _name, data in events:
        if not isinstance(data, dict):
            continue
        for choice in data.get("choices") or []:
            delta = choice.get("delta") or {}
            if delta.get("content"):
                answer.chunks.append(delta["content"])
            for call in delta.get("tool_calls") or []:
                entry = calls.setdefault(call.get("index", 0), {"id": None, "name": "", "arguments": ""})
                entry["id"] = call.get("id") or entry["id"]
                function = call.get("function") or {}
                entry["name"] += function.get("name") or ""
                entry["arguments"] += function.get("arguments") or ""
            if choice.get("finish_reason"):
                answer.finish = FINISH_FROM_OPENAI.get(choice["finish_reason"])
        usage = data.get("usage")
        if usage:
            answer.input_tokens, answer.output_tokens = usage.get("prompt_tokens"), usage.get("completion_tokens")
    answer.tool_calls = [_call(c["name"], c["arguments"], c["id"]) for _, c in sorted(calls.items())]
    answer.text = "".join(answer.chunks) if answer.chunks or not answer.tool_calls else None
    return answer


def read_openai_responses_stream(events: list[tuple[str | None, Any]]) -> Answer:
    final: dict[str, Any] | None = None
    chunks = []
    for name, data in events:
        kind = data.get("type") if isinstance(data, dict) else name
        if kind == "response.output_text.delta":
            chunks.append(data.get("delta", ""))
        elif kind in ("response.completed", "response.incomplete"):
            final = data.get("response")
    answer = read_openai_responses(final or {})
    answer.chunks = chunks
    return answer


def read_anthropic_stream(events: list[tuple[str | None, Any]]) -> Answer:
    answer = Answer()
    blocks: dict[int, dict[str, Any]] = {}
    for _name, data in events:
        if not isinstance(data, dict):
            continue
        kind = data.get("type")
        if kind == "message_start":
            usage = (data.get("message") or {}).get("usage") or {}
            answer.input_tokens = usage.get("input_tokens")
        elif kind == "content_block_start":
            block = dict(data.get("content_block") or {})
            block["partial_json"] = ""
            blocks[data.get("index", 0)] = block
        elif kind == "content_block_delta":
            block = blocks.setdefault(data.get("index", 0), {"type": "text", "text": "", "partial_json": ""})
            delta = data.get("delta") or {}
            if delta.get("type") == "text_delta":
                answer.chunks.append(delta.get("text", ""))
            elif delta.get("type") == "input_json_delta":
                block["partial_json"] += delta.get("partial_json", "")
            elif delta.get("type") == "thinking_delta":
                block["thinking"] = block.get("thinking", "") + delta.get("thinking", "")
        elif kind == "message_delta":
            answer.finish = FINISH_FROM_ANTHROPIC.get((data.get("delta") or {}).get("stop_reason") or "")
            usage = data.get("usage") or {}
            if "output_tokens" in usage:
                answer.output_tokens = usage["output_tokens"]
            if usage.get("input_tokens") is not None:
                answer.input_tokens = usage["input_tokens"]
    for _, block in sorted(blocks.items()):
        if block.get("type") == "tool_use":
            answer.tool_calls.append(_call(block.get("name"), block["partial_json"] or block.get("input"), block.get("id")))
        elif block.get("type") == "thinking":
            answer.reasoning = block.get("thinking")
    answer.text = "".join(answer.chunks) if answer.chunks or not answer.tool_calls else None
    return answer


def read_workers_ai_stream(events: list[tuple[str | None, Any]]) -> Answer:
    answer = Answer()
    for _name, data in events:
        if not isinstance(data, dict):
            continue
        if isinstance(data.get("response"), str) and data["response"]:
            answer.chunks.append(data["response"])
        for call in data.get("tool_calls") or []:
            answer.tool_calls.append(_call(call.get("name"), call.get("arguments"), None))
        usage = data.get("usage")
        if usage:
            answer.input_tokens, answer.output_tokens = usage.get("prompt_tokens"), usage.get("completion_tokens")
    answer.text = "".join(answer.chunks) if answer.chunks or not answer.tool_calls else None
    return answer


STREAM_READERS = {CHAT: read_openai_chat_stream, RESPONSES: read_openai_responses_stream, MESSAGES: read_anthropic_stream, RUN: read_workers_ai_stream}


# --- shapes, for the drift check --------------------------------------------------------------
def shape_of(value: Any, at: str = "$", into: dict[str, str] | None = None) -> dict[str, str]:
    """Every path of a JSON value with its type; a list's items share the path [*]."""
    into = {} if into is None else into
    kind = _json_type(value)
    into[at] = kind if at not in into or into[at] == kind else "mixed"
    if isinstance(value, dict):
        for key, item in value.items():
            shape_of(item, f"{at}.{key}", into)
    elif isinstance(value, list):
        for item in value:
            shape_of(item, f"{at}[*]", into)
    return into


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def answer_shape(status: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """What the drift check compares: status, header names, and the body's keys and types
    (a stream's by event: `event name` or the data's `type`, each one's paths)."""
    shape: dict[str, str] = {}
    if headers.get("content-type", "").startswith("text/event-stream"):
        for name, data in sse_events(body):
            kind = data.get("type") if isinstance(data, dict) and isinstance(data.get("type"), str) else name or "data"
            shape_of(data, f"{kind}:$", shape)
    else:
        try:
            shape_of(json_codec.loads(body), "$", shape)
        except (ValueError, UnicodeDecodeError):
            shape["$"] = "bytes"
    return {"status": status, "headers": sorted(h for h in headers if h not in VOLATILE_HEADERS), "body": shape}


def fixture_document(exchange: RecordedExchange, catalog: Catalog, redactor: Redactor, name: str) -> dict[str, Any] | None:
    """The fixture file of one exchange, redacted; None when it is not one fixtures answer."""
    recognized = recognize(exchange, catalog)
    if recognized is None or exchange.status in (401, 403, 404, 405):
        return None
    respond = respond_of(exchange, recognized)
    if respond is None:
        return None
    redactor.learn(exchange.request_headers)
    match = match_of(recognized)
    for key in ("content", "system"):
        if key in match:
            match[key] = redactor.matcher(match[key])
    for key, value in (match.get("tool_result") or {}).items():
        match["tool_result"][key] = redactor.matcher(value)
    fixture = {
        "name": name,
        "match": match,
        "respond": respond,
        "recorded": {
            "request": {
                "method": exchange.method, "path": exchange.path,
                "headers": {k: v for k, v in exchange.request_headers.items() if k.startswith("cf-aig-") and k not in CREDENTIAL_HEADERS},
                "body": recognized.body,
            },
            "response": answer_shape(exchange.status, exchange.response_headers, exchange.response_body),
        },
    }
    return redactor.value({"fixtures": [fixture]})
