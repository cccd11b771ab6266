"""The OpenAPI description of every route the emulator serves (GET /__emulator__/openapi.json):
the REST API's data plane, the gateway host, the management API, the control API and the
dashboard, each with the bodies it takes and the ones it answers.

Self-contained: the JSON Schemas it builds on (schemas/fixture.schema.json, schemas/requests/*.json)
are copied into `components.schemas`, their `$defs` renamed `<file>.<name>`, so a tool needs
nothing but this document. The test suite runs schemathesis against it (tests/test_openapi.py).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from emulator import __version__
from emulator.clock import LATEST, VIRTUAL_EPOCH
from emulator.gateway.guardrails import SCANNER_STATES
from emulator.paths import SCHEMAS_DIR

ACCOUNT = "/client/v4/accounts/{account_id}"
GATEWAY = "/v1/{account_id}/{gateway_id}"
CONTROL = "/__emulator__"


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _embedded(prefix: str, schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A JSON Schema file as components: the root as `prefix`, each of its $defs as `prefix.name`."""
    text = json.dumps(schema).replace('"#/$defs/', f'"#/components/schemas/{prefix}.')
    moved = json.loads(text)
    defs = moved.pop("$defs", {})
    for key in ("$schema", "$id"):
        moved.pop(key, None)
    return {prefix: moved, **{f"{prefix}.{name}": value for name, value in defs.items()}}


def _file(path: str) -> dict[str, Any]:
    return json.loads((SCHEMAS_DIR / path).read_text())


# --- bodies the emulator answers -------------------------------------------------------------
ANY = {"description": "any JSON value"}
STRING_OR_NULL = {"type": ["string", "null"]}


def obj(required: list[str], properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties, **extra}


V4_ERRORS = {"type": "array", "items": obj(["code", "message"], {"code": {"type": "integer"}, "message": {"type": "string"}})}
RESULT_INFO = obj(["count", "page", "per_page", "total_count"], {k: {"type": "integer"} for k in ("count", "page", "per_page", "total_count")})


def v4_success(result: dict[str, Any], paged: bool = False) -> dict[str, Any]:
    properties = {"success": {"const": True}, "errors": {"type": "array", "maxItems": 0}, "messages": {"type": "array"}, "result": result}
    if paged:
        properties["result_info"] = ref("ResultInfo")
    return obj(["success", "errors", "messages", "result"], properties)


GATEWAY_FIELDS = {
    "id": {"type": "string"}, "created_at": {"type": "string"}, "modified_at": {"type": "string"}, "is_default": {"type": "boolean"},
    "cache_ttl": {"type": ["integer", "null"]}, "cache_invalidate_on_update": {"type": ["boolean", "null"]},
    "collect_logs": {"type": ["boolean", "null"]}, "rate_limiting_interval": {"type": ["integer", "null"]},
    "rate_limiting_limit": {"type": ["integer", "null"]},
}
LOG_FIELDS = {
    "id": {"type": "string"}, "created_at": {"type": "string"}, "provider": {"type": "string"}, "model": {"type": "string"},
    "path": {"type": "string"}, "success": {"type": "boolean"}, "cached": {"type": "boolean"},
    "status_code": {"type": "integer"}, "duration": {"type": "integer"}, "tokens_in": {"type": ["integer", "null"]},
    "tokens_out": {"type": ["integer", "null"]}, "cost": {"type": "number"}, "metadata": STRING_OR_NULL,
    "step": {"type": "integer"}, "event_id": {"type": "string"}, "custom_cost": {"type": "boolean"},
    "wholesale": {"type": "boolean"}, "byok": {"type": "boolean"},
    "model_type": STRING_OR_NULL, "request_type": {"type": "string"}, "request_content_type": STRING_OR_NULL,
    "response_content_type": STRING_OR_NULL, "guardrails": {"type": "array"}, "dlp_action": {"type": "string"},
}
# What one log's entry adds to the list's fields: sizes, payload heads (the first 1 MiB of a body,
# a stream's transcript included: *_head_complete false when cut), attempts, feedback.
LOG_DETAIL_FIELDS = {
    "request_size": {"type": "integer", "minimum": 0, "description": "the whole request body's size in bytes"},
    "response_size": {"type": "integer", "minimum": 0, "description": "the whole answer's size in bytes (a stream's transcript)"},
    "request_head_complete": {"type": "boolean", "description": "false when the body was cut at 1 MiB, or not collected"},
    "response_head_complete": {"type": "boolean", "description": "false when the answer was cut at 1 MiB, or not collected"},
    "request_head": {"type": "string"}, "response_head": {"type": "string"}, "attempts": {"type": "array"},
    "collect_log_payload": {"type": ["boolean", "null"]}, "route_steps": {"type": "array"},
    "feedback": {"type": ["integer", "null"]}, "score": {"type": ["number", "null"]},
    **{name: {"type": "array"} for name in ("dlp_policy_ids", "dlp_profile_ids", "dlp_entry_ids", "dlp_check", "dlp_findings")},
}


PROVIDER_CONFIG_FIELDS = {
    "id": {"type": "string"}, "alias": {"type": "string"}, "default_config": {"type": "boolean"}, "gateway_id": {"type": "string"},
    "modified_at": {"type": "string"}, "provider_slug": {"type": "string"}, "secret_id": {"type": "string"}, "secret_preview": {"type": "string"},
    "rate_limit": {"type": ["number", "null"]}, "rate_limit_period": {"type": ["number", "null"]},
}
ROUTE_CORE_FIELDS = {
    "id": {"type": "string"}, "created_at": {"type": "string"}, "elements": {"type": "array"}, "gateway_id": {"type": "string"},
    "modified_at": {"type": "string"}, "name": {"type": "string"},
}
# A route version as the API spells it: `active` the string "true" / "false", `data` the elements as a JSON string.
ROUTE_VERSION_FIELDS = {
    "active": {"enum": ["true", "false"]}, "created_at": {"type": "string"}, "data": {"type": "string"},
    "version_id": {"type": "string"}, "is_valid": {"type": "boolean"},
}


def v4_refusal(code: int, description: str) -> dict[str, Any]:
    """The v4 envelope of one error with this code (a refusal with nothing else to say)."""
    return obj(["success", "errors", "messages", "result"], {
        "success": {"const": False}, "result": {"type": "null"}, "messages": {"type": "array", "maxItems": 0},
        "errors": {"type": "array", "minItems": 1, "maxItems": 1, "items": obj(["code", "message"], {"code": {"const": code}, "message": {"type": "string"}})},
    }, description=description)


def refined(base: str, error: dict[str, Any], description: str) -> dict[str, Any]:
    """A dialect's error body (`base`) whose `error` object says this (a 413's code or type)."""
    return {"allOf": [ref(base), {"properties": {"error": {"properties": error}}}], "description": description}


CLOCK = obj(["mode", "now", "iso"], {"mode": {"enum": ["virtual", "real"]}, "now": {"type": "number"}, "iso": {"type": "string"}})

RESPONSE_SCHEMAS: dict[str, dict[str, Any]] = {
    "ResultInfo": RESULT_INFO,
    "V4Failure": obj(["success", "errors", "messages", "result"], {
        "success": {"const": False}, "errors": {**V4_ERRORS, "minItems": 1}, "messages": {"type": "array"}, "result": ANY,
    }),
    "V4Success": v4_success(ANY),
    "AiGatewayError": obj(["success", "result", "messages", "error", "name", "httpCode", "internalCode", "message", "description"], {
        "success": {"const": False}, "result": {"type": "array"}, "messages": {"type": "array"}, "error": V4_ERRORS,
        "name": {"const": "AiGatewayError"}, "httpCode": {"type": "integer"}, "internalCode": {"type": "integer"},
        "message": {"type": "string"}, "description": {"type": "string"},
    }),
    "OpenAIError": obj(["error"], {"error": obj(["message", "type", "param", "code"], {
        "message": {"type": "string"}, "type": {"type": "string"}, "param": STRING_OR_NULL, "code": STRING_OR_NULL,
    })}),
    "AnthropicError": obj(["type", "error"], {
        "type": {"const": "error"}, "error": obj(["type", "message"], {"type": {"type": "string"}, "message": {"type": "string"}}),
        "request_id": {"type": "string"},
    }),
    "ChatCompletion": obj(["id", "object", "created", "model", "choices"], {
        "id": {"type": "string"}, "object": {"const": "chat.completion"}, "created": {"type": "integer"}, "model": {"type": "string"},
        "choices": {"type": "array", "items": obj(["index", "message", "finish_reason"], {
            "index": {"type": "integer"}, "finish_reason": {"type": "string"},
            "message": obj(["role"], {"role": {"const": "assistant"}, "content": STRING_OR_NULL, "tool_calls": {"type": "array"}}),
        })},
        "usage": obj(["prompt_tokens", "completion_tokens", "total_tokens"], {k: {"type": "integer"} for k in ("prompt_tokens", "completion_tokens", "total_tokens")}),
    }),
    "Response": obj(["id", "object", "created_at", "status", "model", "output"], {
        "id": {"type": "string"}, "object": {"const": "response"}, "created_at": {"type": "integer"},
        "status": {"enum": ["completed", "incomplete", "failed", "in_progress"]}, "model": {"type": "string"},
        "output": {"type": "array", "items": obj(["type"], {"type": {"type": "string"}})}, "usage": {"type": "object"},
    }),
    "Message": obj(["id", "type", "role", "model", "content", "stop_reason", "usage"], {
        "id": {"type": "string"}, "type": {"const": "message"}, "role": {"const": "assistant"}, "model": {"type": "string"},
        "content": {"type": "array", "items": obj(["type"], {"type": {"type": "string"}})}, "stop_reason": STRING_OR_NULL,
        "usage": obj(["input_tokens", "output_tokens"], {"input_tokens": {"type": "integer"}, "output_tokens": {"type": "integer"}}),
    }),
    "GeminiResponse": obj(["candidates"], {
        "candidates": {"type": "array", "items": obj(["content"], {"content": obj(["parts"], {"parts": {"type": "array"}, "role": {"type": "string"}}),
                                                                      "finishReason": {"type": "string"}, "index": {"type": "integer"}})},
        "usageMetadata": {"type": "object"}, "modelVersion": {"type": "string"}, "responseId": {"type": "string"},
    }),
    "GeminiError": obj(["error"], {"error": obj(["code", "message", "status"], {"code": {"type": "integer"}, "message": {"type": "string"}, "status": {"type": "string"}})}),
    "TokenCount": obj(["input_tokens"], {"input_tokens": {"type": "integer", "minimum": 0}}),
    "EmbeddingList": {"anyOf": [
        obj(["object", "data", "model", "usage"], {
            "object": {"const": "list"}, "model": {"type": "string"}, "usage": {"type": "object"},
            "data": {"type": "array", "items": obj(["object", "index", "embedding"], {
                "object": {"const": "embedding"}, "index": {"type": "integer"},
                "embedding": {"anyOf": [{"type": "array", "items": {"type": "number"}}, {"type": "string"}]},
            })},
        }),
        {"description": "a fixture's own `output`, answered as it is"},
    ]},
    "ModelList": obj(["object", "data"], {"object": {"const": "list"}, "data": {"type": "array", "items": obj(
        ["id", "object", "created", "owned_by"],
        {"id": {"type": "string"}, "object": {"const": "model"}, "created": {"type": "integer"}, "owned_by": {"type": "string"}},
    )}}),
    "CatalogModel": obj(["id", "name", "description", "task", "tags", "properties"], {
        "id": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"}, "created_at": {"type": "string"},
        "task": ref("NamedEntry"), "tags": {"type": "array"}, "properties": {"type": "array"}, "source": {"type": "integer"},
    }),
    "NamedEntry": obj(["id", "name", "description"], {"id": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"}}),
    "Gateway": obj(list(GATEWAY_FIELDS), GATEWAY_FIELDS),
    "LogEntry": obj(["id", "created_at", "provider", "model", "path", "success", "cached"], LOG_FIELDS),
    "LogDetail": obj(["id", "created_at", "provider", "model", "path", "success", "cached", "request_size", "response_size",
                      "request_head_complete", "response_head_complete"], {**LOG_FIELDS, **LOG_DETAIL_FIELDS}),
    "CreditBalance": obj(["balance", "has_default_payment_method", "payment_method", "topup_config", "first_topup_success"], {
        "balance": {"type": "number"}, "has_default_payment_method": {"type": "boolean"}, "payment_method": {"type": ["object", "null"]},
        "topup_config": {"type": "object"}, "first_topup_success": {"type": "boolean"},
    }),
    "ProviderConfig": obj(list(PROVIDER_CONFIG_FIELDS), PROVIDER_CONFIG_FIELDS, description="a stored provider key: `secret_preview` is masked, the secret is never answered"),
    "Policy": obj(["id", "name", "actor", "resource", "condition", "action", "created_at", "updated_at"], {
        "id": {"type": "string"}, "name": {"type": "string"}, "actor": {"type": "string"}, "resource": {"anyOf": [{"const": "*"}, {"type": "object"}]},
        "condition": {"type": "string"}, "action": obj(["type"], {"type": {"enum": ["limit", "no-limit", "block"]}}),
        "created_at": {"type": "integer"}, "updated_at": {"type": "integer"}, "staging": {"const": True},
    }),
    "DynamicRoute": obj(["id", "created_at", "elements", "gateway_id", "modified_at", "name"], ROUTE_CORE_FIELDS),
    "RouteDeployment": obj(["created_at", "deployment_id", "version_id"], {k: {"type": "string"} for k in ("created_at", "deployment_id", "version_id")}),
    "RouteVersion": obj(list(ROUTE_VERSION_FIELDS), ROUTE_VERSION_FIELDS),
    # The control API's own bodies.
    "Problem": obj(["error"], {"error": {"type": "string"}}),
    # The answers to a client over a limit (README: Limits on what a client sends).
    "RequestTimeout": v4_refusal(408, "the front door: the head not received within header_timeout_s, or the body within body_timeout_s"),
    "HeadTooLarge": v4_refusal(431, "the front door: a head over max_header_bytes, or more than max_header_count fields"),
    "BodyTooLargeV4": v4_refusal(3006, "Workers AI's 413: the body is over max_body_bytes"),
    "BodyTooLargeOpenAI": refined("OpenAIError", {"code": {"const": "request_too_large"}, "type": {"const": "invalid_request_error"}}, "OpenAI's 413"),
    "BodyTooLargeAnthropic": refined("AnthropicError", {"type": {"const": "request_too_large"}}, "Anthropic's 413"),
    "BodyTooLargeGemini": refined("GeminiError", {"code": {"const": 413}}, "Gemini's 413"),
    "Health": obj(["status", "version", "clock", "seed"], {"status": {"const": "ok"}, "version": {"type": "string"}, "clock": {"enum": ["virtual", "real"]}, "seed": {"type": "integer"}}),
    "Clock": CLOCK,
    "Reset": obj(["reset", "clock"], {"reset": {"const": True}, "clock": CLOCK}),
    "Credits": obj(["metered", "account_id", "balance"], {"metered": {"type": "boolean"}, "account_id": {"type": "string"}, "balance": {"type": ["number", "null"]}}),
    # body_truncated: the body is the text of its first 1 MiB (request_body.KEPT_BODY_BYTES), not the body.
    "JournalEntry": obj(["received_at", "endpoint", "method", "path", "headers", "body_truncated", "status", "fixture", "fixture_report", "attempts"], {
        "received_at": {"type": "number"}, "endpoint": {"type": "string"}, "method": {"type": "string"}, "path": {"type": "string"},
        "headers": {"type": "object", "additionalProperties": {"type": "string"}}, "body": ANY, "model": STRING_OR_NULL,
        "gateway": STRING_OR_NULL, "fixture": STRING_OR_NULL, "fixture_item": {"type": ["integer", "null"]},
        "fixture_report": {"type": "array"}, "status": {"type": "integer"},
        "error": STRING_OR_NULL, "log_id": STRING_OR_NULL, "attempts": {"type": "array"}, "cache_status": STRING_OR_NULL,
        "header_notes": {"type": "array", "items": {"type": "string"}},
        "body_truncated": {"type": "boolean"}, "route_steps": {"type": ["array", "null"]},
        **{name: LOG_DETAIL_FIELDS.get(name) or LOG_FIELDS[name] for name in ("guardrails", "dlp_action", "dlp_policy_ids", "dlp_profile_ids",
                                                                             "dlp_entry_ids", "dlp_check", "dlp_findings")},
    }),
    "Journal": obj(["entries"], {"entries": {"type": "array", "items": ref("JournalEntry")}}),
    "FixtureList": obj(["fixtures"], {"fixtures": {"type": "array", "items": obj(["id"], {"id": {"type": "string"}, "name": STRING_OR_NULL})}}),
    "Removed": obj(["removed"], {"removed": {"type": "string"}}),
    "ClassificationList": obj(["classifications"], {"classifications": {"type": "array", "items": obj(["id"], {"id": {"type": "string"}, "name": STRING_OR_NULL})}}),
    "Scanner": obj(["scanner"], {"scanner": {"enum": list(SCANNER_STATES)}}),
    "OpenAPI": obj(["openapi", "info", "paths", "components"], {"openapi": {"type": "string"}, "info": {"type": "object"}, "paths": {"type": "object"}, "components": {"type": "object"}}),
    "DashboardSignature": obj(["signature", "clock"], {"signature": {"type": "array"}, "clock": CLOCK}),
    "DashboardGateways": obj(["gateways", "clock"], {"gateways": {"type": "array", "items": obj(
        ["account_id", "gateway", "totals", "series"],
        {"account_id": {"type": "string"}, "gateway": ref("Gateway"), "totals": {"type": "object"}, "series": {"type": "object"}},
    )}, "clock": CLOCK}),
    "DashboardLogs": obj(["result", "result_info"], {"result": {"type": "array", "items": ref("LogEntry")}, "result_info": RESULT_INFO}),
    "DashboardLog": obj(["entry", "journal", "chunks"], {"entry": ref("LogEntry"), "journal": {"type": ["object", "null"]}, "chunks": {"type": ["array", "null"]}}),
}


# --- operations --------------------------------------------------------------------------------
def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


# answer()'s keywords for the other media types a route sends.
MEDIA_TYPES = {"text_event_stream": "text/event-stream", "image_png": "image/png", "audio_mpeg": "audio/mpeg",
               "text_html": "text/html", "text_javascript": "text/javascript", "text_css": "text/css"}


def answer(description: str, schema: dict[str, Any] | None = None, **other_types: dict[str, Any]) -> dict[str, Any]:
    content = {**(json_content(schema) if schema is not None else {}), **{MEDIA_TYPES[t]: {"schema": s} for t, s in other_types.items()}}
    return {"description": description, **({"content": content} if content else {})}


# The connection is closed after these: the rest of the request is not read.
CLOSED = {"Connection": {"description": "close", "schema": {"const": "close"}}}
# What the front door (emulator/front_door.py) answers on any route, before the app sees the request.
FRONT_DOOR = {
    "408": {**answer("a head or body too slow (header_timeout_s, body_timeout_s)", ref("RequestTimeout")), "headers": CLOSED},
    "431": {**answer("a head too large (max_header_bytes) or with too many fields (max_header_count)", ref("HeadTooLarge")), "headers": CLOSED},
}


def op(summary: str, responses: dict[str, Any], body: dict[str, Any] | None = None, parameters: list[dict[str, Any]] | None = None,
       security: bool = True, tag: str = "", example: Any = None, too_large: str | None = None) -> dict[str, Any]:
    """An operation; one that takes a body names the schema of its 413 (`too_large`), in its dialect."""
    operation: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": {**responses, **FRONT_DOOR}}
    if body is not None:
        if too_large is None:
            raise ValueError(f"{summary}: an operation with a body answers 413 over max_body_bytes: name its schema")
        operation["responses"]["413"] = {**answer("the body is over max_body_bytes (--max-body-bytes, default 100 MB)", ref(too_large)), "headers": CLOSED}
        operation["requestBody"] = {"required": True, "content": json_content(body)}
        if example is not None:
            operation["requestBody"]["content"]["application/json"]["example"] = example
    if parameters:
        operation["parameters"] = parameters
    if not security:
        operation["security"] = []
    return operation


def path_param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


def query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


ACCOUNT_ID = {**path_param("account_id", {"type": "string", "pattern": "^[0-9a-f]{32}$"}, "Cloudflare account id (any, unless `account_ids` pins them)"),
              "example": "0123456789abcdef0123456789abcdef"}
GATEWAY_ID = {**path_param("gateway_id", {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}, "gateway id; `default` is made on first use"),
              "example": "default"}
LOG_ID = path_param("log_id", {"type": "string", "minLength": 1}, "a log id: a UUIDv7 (or an older ULID)")
GATEWAY_HEADER = {"name": "cf-aig-gateway-id", "in": "header", "required": False, "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
                  "description": "the gateway to run through (`default` is made on first use); required for @cf/ models", "example": "default"}
HELLO = [{"role": "user", "content": "Hello!"}]

REST_ERROR = ref("V4Failure")


def errors_in(*dialects: str) -> dict[str, Any]:
    """The `default` answer of a route: the front door's and gateway's v4 errors, and the dialects' own."""
    return {"default": answer("an error: the v4 envelope, or the endpoint's own dialect", {"anyOf": [ref(d) for d in dialects]})}


# One server-sent event of a stream (the provider's own events: OpenAI chunks and [DONE],
# Anthropic's typed events, Workers AI's frames).
SSE = obj(["data"], {"data": {"type": "string"}, "event": {"type": "string"}, "id": {"type": "string"}},
          description="each server-sent event of the provider's own stream")


def data_plane() -> dict[str, Any]:
    chat_answer = {"200": answer("the completion (text/event-stream when `stream` is true)", ref("ChatCompletion"), text_event_stream=SSE)}
    rest = "REST API (api.cloudflare.com)"
    params = [ACCOUNT_ID, GATEWAY_HEADER]
    return {
        f"{ACCOUNT}/ai/run": {"post": op(
            "Run any catalog model: envelope {model, input, options}", {
                "200": answer("the v4 envelope (a stream when input.stream is true)", ref("V4Success"), text_event_stream=SSE, image_png={"type": "string", "format": "binary"}, audio_mpeg={"type": "string", "format": "binary"}),
                **errors_in("V4Failure"),
            }, ref("requests.ai_run"), params, tag=rest, too_large="BodyTooLargeV4", example={"model": "@cf/meta/llama-3.1-8b-instruct", "input": {"prompt": "Hello!"}})},
        f"{ACCOUNT}/ai/run/@cf/{{author}}/{{model}}": {"post": op(
            "Run a Workers AI model (the legacy path): the model's own input", {
                "200": answer("the v4 envelope, a stream, or raw image/audio bytes", ref("V4Success"), text_event_stream=SSE, image_png={"type": "string", "format": "binary"}, audio_mpeg={"type": "string", "format": "binary"}),
                **errors_in("V4Failure"),
            }, {"type": "object", "description": "the model's input (schemas/workers_ai)"}, example={"prompt": "Hello!"}, parameters=[
             *params, WORKERS_AI_AUTHOR, WORKERS_AI_MODEL], tag=rest, too_large="BodyTooLargeV4")},
        f"{ACCOUNT}/ai/v1/chat/completions": {"post": op("OpenAI Chat Completions", {**chat_answer, **errors_in("V4Failure", "OpenAIError")}, ref("requests.openai_chat"), params, tag=rest, too_large="BodyTooLargeOpenAI",
                                                          example={"model": "openai/gpt-4.1", "messages": HELLO, "stream": True})},
        f"{ACCOUNT}/ai/v1/responses": {"post": op("OpenAI Responses", {
            "200": answer("the response (text/event-stream when `stream` is true)", ref("Response"), text_event_stream=SSE), **errors_in("V4Failure", "OpenAIError"),
        }, ref("requests.openai_responses"), params, tag=rest, too_large="BodyTooLargeOpenAI", example={"model": "openai/gpt-4.1", "input": "Hello!"})},
        f"{ACCOUNT}/ai/v1/messages": {"post": op("Anthropic Messages", {
            "200": answer("the message (text/event-stream when `stream` is true)", ref("Message"), text_event_stream=SSE), **errors_in("V4Failure", "AnthropicError"),
        }, ref("requests.anthropic_messages"), params, tag=rest, too_large="BodyTooLargeAnthropic", example={"model": "anthropic/claude-sonnet-4.5", "max_tokens": 50, "messages": HELLO})},
        f"{ACCOUNT}/ai/v1/embeddings": {"post": op("OpenAI Embeddings over Workers AI embedding models", {
            "200": answer("the embeddings", ref("EmbeddingList")), **errors_in("V4Failure", "OpenAIError"),
        }, ref("requests.openai_embeddings"), params, tag=rest, too_large="BodyTooLargeOpenAI", example={"model": "@cf/baai/bge-small-en-v1.5", "input": ["a", "b"]})},
        f"{ACCOUNT}/ai/models/search": {"get": op("Search the model catalog", {
            "200": answer("the models, paged", v4_success({"type": "array", "items": ref("CatalogModel")}, paged=True)), **errors_in("V4Failure"),
        }, parameters=[ACCOUNT_ID, query("page", {"type": "integer", "minimum": 1}), query("per_page", {"type": "integer", "minimum": 1}),
                       query("task", {"type": "string"}), query("author", {"type": "string"}), query("search", {"type": "string"})], tag=rest)},
        f"{ACCOUNT}/ai/models/schema": {"get": op("A model's input and output schemas", {
            "200": answer("{input, output}", v4_success(obj(["input", "output"], {"input": {"type": "object"}, "output": {"type": "object"}}))), **errors_in("V4Failure"),
        }, parameters=[ACCOUNT_ID, {**query("model", {"type": "string"}), "required": True}], tag=rest)},
        f"{ACCOUNT}/ai/tasks/search": {"get": op("The catalog's tasks", {
            "200": answer("the tasks", v4_success({"type": "array", "items": ref("NamedEntry")})), **errors_in("V4Failure"),
        }, parameters=[ACCOUNT_ID], tag=rest)},
        f"{ACCOUNT}/ai/authors/search": {"get": op("The catalog's authors", {
            "200": answer("the authors", v4_success({"type": "array", "items": ref("NamedEntry")})), **errors_in("V4Failure"),
        }, parameters=[ACCOUNT_ID], tag=rest)},
    }


def management() -> dict[str, Any]:
    tag = "Management API"
    base = f"{ACCOUNT}/ai-gateway/gateways"
    gateway_body = {"type": "object", "required": ["cache_invalidate_on_update", "cache_ttl", "collect_logs", "rate_limiting_interval", "rate_limiting_limit"],
                    "properties": {k: v for k, v in GATEWAY_FIELDS.items() if k not in ("id", "created_at", "modified_at", "is_default")}}
    one = {"200": answer("the gateway", v4_success(ref("Gateway"))), **errors_in("V4Failure")}
    log_one = {"200": answer("the log entry", v4_success(ref("LogDetail"))), **errors_in("V4Failure")}
    payload = {"200": answer("the payload as logged", v4_success(ANY)), **errors_in("V4Failure")}
    paging = [query("page", {"type": "integer", "minimum": 1}), query("per_page", {"type": "integer", "minimum": 1, "maximum": 50})]
    return {
        base: {
            "get": op("List gateways", {"200": answer("the gateways, paged", v4_success({"type": "array", "items": ref("Gateway")}, paged=True)), **errors_in("V4Failure")},
                      parameters=[ACCOUNT_ID, *paging, query("search", {"type": "string"})], tag=tag),
            "post": op("Create a gateway", one, {**gateway_body, "required": ["id", *gateway_body["required"]],
                                                 "properties": {"id": GATEWAY_ID["schema"], **gateway_body["properties"]}}, [ACCOUNT_ID], tag=tag, too_large="BodyTooLargeV4",
                       example={"id": "prod", "cache_invalidate_on_update": False, "cache_ttl": 300, "collect_logs": True,
                                "rate_limiting_interval": 60, "rate_limiting_limit": 100}),
        },
        f"{base}/{{gateway_id}}": {
            "get": op("A gateway", one, parameters=[ACCOUNT_ID, GATEWAY_ID], tag=tag),
            "put": op("Update a gateway", one, gateway_body, [ACCOUNT_ID, GATEWAY_ID], tag=tag, too_large="BodyTooLargeV4"),
            "delete": op("Delete a gateway and its logs", one, parameters=[ACCOUNT_ID, GATEWAY_ID], tag=tag),
        },
        f"{base}/{{gateway_id}}/logs": {
            "get": op("List a gateway's logs (filters, order, paging)", {
                "200": answer("the log entries, paged", v4_success({"type": "array", "items": ref("LogEntry")}, paged=True)), **errors_in("V4Failure"),
            }, parameters=[ACCOUNT_ID, GATEWAY_ID, *paging, query("order_by", {"type": "string"}), query("order_by_direction", {"enum": ["asc", "desc"]}),
                           query("success", {"type": "boolean"}), query("cached", {"type": "boolean"}), query("model", {"type": "string"})], tag=tag),
            "delete": op("Delete a gateway's logs (those the filters match)", {"200": answer("done", v4_success({"type": "null"})), **errors_in("V4Failure")},
                         parameters=[ACCOUNT_ID, GATEWAY_ID], tag=tag),
        },
        f"{base}/{{gateway_id}}/logs/{{log_id}}": {
            "get": op("A log entry", log_one, parameters=[ACCOUNT_ID, GATEWAY_ID, LOG_ID], tag=tag),
            "patch": op("Add feedback, a score or metadata to a log entry", {"200": answer("done", v4_success({"type": "object"})), **errors_in("V4Failure")},
                        {"type": "object", "properties": {"feedback": {"enum": [-1, 1]}, "score": {"type": "number"}, "metadata": {"type": "object"}}},
                        [ACCOUNT_ID, GATEWAY_ID, LOG_ID], tag=tag, too_large="BodyTooLargeV4"),
        },
        f"{base}/{{gateway_id}}/logs/{{log_id}}/request": {"get": op("The request body a log kept", payload, parameters=[ACCOUNT_ID, GATEWAY_ID, LOG_ID], tag=tag)},
        f"{base}/{{gateway_id}}/logs/{{log_id}}/response": {"get": op("The response body a log kept", payload, parameters=[ACCOUNT_ID, GATEWAY_ID, LOG_ID], tag=tag)},
    }



def with_fields(schema: dict[str, Any], required: bool = True, **properties: Any) -> dict[str, Any]:
    """An object schema with more properties (required unless said otherwise)."""
    return {**schema, "required": [*schema["required"], *(properties if required else [])], "properties": {**schema["properties"], **properties}}


ID_PARAM = {"type": "string", "minLength": 1}


def billing() -> dict[str, Any]:
    tag = "Management API"
    base = f"{ACCOUNT}/ai-gateway/billing"
    done = {"200": answer("no account spending limit (deprecated)", v4_success({"type": "null"})), **errors_in("V4Failure")}
    return {
        f"{base}/credit-balance": {"get": op("The Unified Billing credit balance (USD)", {
            "200": answer("the balance", v4_success(ref("CreditBalance"))), **errors_in("V4Failure"),
        }, parameters=[ACCOUNT_ID], tag=tag)},
        f"{base}/topup": {"post": op("Add Unified Billing credits at once", {
            "200": answer("the payment intent", v4_success(obj(["client_secret", "onboarding", "payment_intent_id"], {
                "client_secret": STRING_OR_NULL, "onboarding": {"type": "boolean"}, "payment_intent_id": {"type": "string"}}))),
            **errors_in("V4Failure"),
        }, obj(["amount"], {"amount": {"type": "integer", "minimum": 1000, "description": "cents (at least 1000)"}}), [ACCOUNT_ID], tag=tag,
            too_large="BodyTooLargeV4", example={"amount": 1000})},
        f"{base}/spending-limit": {
            "get": op("The account spending limit: none (deprecated: a gateway's spend limits replace it)", done, parameters=[ACCOUNT_ID], tag=tag),
            "post": op("Set an account spending limit: refused with 403 (deprecated)", {**errors_in("V4Failure")}, parameters=[ACCOUNT_ID], tag=tag),
            "delete": op("Remove the account spending limit (there is none)", done, parameters=[ACCOUNT_ID], tag=tag),
        },
    }


def gateway_config() -> dict[str, Any]:
    """A gateway's provider URL, stored keys (BYOK), policies and dynamic routes."""
    tag = "Management API"
    base = f"{ACCOUNT}/ai-gateway/gateways/{{gateway_id}}"
    scope = [ACCOUNT_ID, GATEWAY_ID]
    failed = errors_in("V4Failure")

    def ok(description: str, result: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"200": answer(description, v4_success(result) if not extra else with_fields(v4_success(result), **extra)), **failed}

    paging = [query("page", {"type": "integer", "minimum": 1}), query("per_page", {"type": "integer", "minimum": 1, "maximum": 100})]
    commit = query("commit", {"enum": ["true", "false"]}, "true: enforce at once; otherwise a draft until committed")
    staging = query("includeStaging", {"enum": ["true", "false"]}, "true: the drafts too")
    policy_id = path_param("policy_id", ID_PARAM, "a policy id")
    route_id = path_param("route_id", ID_PARAM, "a dynamic route id")
    version_id = path_param("version_id", ID_PARAM, "a route version id")
    policy_body = obj(["name", "actor", "action"], {
        "name": {"type": "string", "minLength": 1}, "actor": {"type": "string", "minLength": 1}, "condition": {"type": "string"},
        "resource": {"anyOf": [{"const": "*"}, {"type": "object"}]},
        "action": obj(["type"], {"type": {"enum": ["limit", "no-limit", "block"]}, "amount": {"type": "number"}, "period": {"type": "string"}}),
    })
    route_detail = with_fields(ref_free_route(), deployment=ref("RouteDeployment"), version=ref("RouteVersion"))

    def listing(key: str, items: dict[str, Any]) -> dict[str, Any]:
        """The dynamic routes API's lists: {data, success}, no `result`."""
        data = obj([key, "order_by", "order_by_direction", "page", "per_page"], {
            key: {"type": "array", "items": items}, "order_by": {"type": "string"}, "order_by_direction": {"enum": ["asc", "desc"]},
            "page": {"type": "integer"}, "per_page": {"type": "integer"}})
        return {"200": answer(f"the {key}", obj(["data", "success"], {"data": data, "success": {"const": True}})), **failed}

    def body_op(summary: str, responses: dict[str, Any], body: dict[str, Any], parameters: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return op(summary, responses, body, parameters, tag=tag, too_large="BodyTooLargeV4", **extra)

    return {
        f"{base}/url/{{provider}}": {"get": op("The gateway's base URL for a provider (this emulator's own)", ok("the URL", {"type": "string"}),
                                               parameters=[*scope, {**path_param("provider", ID_PARAM, "a provider, such as openai"), "example": "openai"}], tag=tag)},
        f"{base}/provider_configs": {
            "get": op("The provider keys stored on a gateway (BYOK), paged", {
                "200": answer("the keys, paged", v4_success({"type": "array", "items": ref("ProviderConfig")}, paged=True)), **failed,
            }, parameters=[*scope, *paging], tag=tag),
            "post": body_op("Store a provider key on a gateway", ok("the stored key", ref("ProviderConfig")), obj(["alias", "provider_slug", "default_config"], {
                "alias": {"type": "string", "minLength": 1}, "provider_slug": {"type": "string", "minLength": 1}, "default_config": {"type": "boolean"},
                "secret": {"type": "string", "minLength": 1}, "secret_id": {"type": "string", "minLength": 1},
                "rate_limit": {"type": "number", "minimum": 0}, "rate_limit_period": {"type": "number", "minimum": 0},
            }), scope, example={"alias": "default", "provider_slug": "openai", "default_config": True, "secret": "sk-test"}),
        },
        f"{base}/provider_configs/{{config_id}}": {"delete": op("Remove a stored provider key", ok("the removed key", ref("ProviderConfig")),
                                                                parameters=[*scope, path_param("config_id", ID_PARAM, "a stored key's id")], tag=tag)},
        f"{base}/policies": {
            "get": op("A gateway's policies (beta)", ok("the policies", {"type": "array", "items": ref("Policy")}), parameters=[*scope, staging], tag=tag),
            "post": body_op("Create a policy: a draft unless commit=true", ok("the policy", ref("Policy"), committed={"type": "boolean"}), policy_body,
                            [*scope, commit], example={"name": "no-gpt", "actor": "*", "action": {"type": "block"}}),
        },
        f"{base}/policies/commit": {"post": op("Commit every draft policy", ok("what was committed", obj(["committed", "failed", "policies"], {
            "committed": {"type": "integer", "minimum": 0}, "failed": {"type": "integer"}, "policies": {"type": "array"}})), parameters=scope, tag=tag)},
        f"{base}/policies/simulate": {"post": body_op("Evaluate the policies (drafts over the live ones) for one request", ok("the verdict", obj(
            ["evaluation", "enforcement", "policiesEvaluated"], {
                "evaluation": obj(["decision", "buckets"], {"decision": {"type": "string"}, "buckets": {"type": "array"}}),
                "enforcement": obj(["allowed"], {"allowed": {"type": "boolean"}, "reason": {"type": "string"}}),
                "policiesEvaluated": {"type": "integer", "minimum": 0}})),
            obj(["model"], {"model": {"type": "string", "minLength": 1}, "provider": {"type": "string"},
                            "identity": {"type": "object"}, "bucketUsage": {"type": "object"}}), scope, example={"model": "openai/gpt-4.1"})},
        f"{base}/policies/{{policy_id}}": {
            "get": op("A policy (its draft with includeStaging=true)", ok("the policy", ref("Policy"), required=False, uncommitted={"const": True}),
                      parameters=[*scope, policy_id, staging], tag=tag),
            "put": body_op("Update a committed policy: a draft unless commit=true", {
                "200": answer("done (no `result`)", obj(["success", "errors", "messages", "committed"], {
                    "success": {"const": True}, "errors": {"type": "array", "maxItems": 0}, "messages": {"type": "array"}, "committed": {"type": "boolean"}})),
                **failed}, {"type": "object", "properties": policy_body["properties"]}, [*scope, policy_id, commit]),
            "delete": op("Delete a policy and its draft", ok("the deleted policy's id", obj(["id"], {"id": {"type": "string"}})),
                         parameters=[*scope, policy_id], tag=tag),
        },
        f"{base}/routes": {
            "get": op("A gateway's dynamic routes", listing("routes", with_fields(route_detail, account_tag={"type": "string"})), parameters=[*scope, *paging], tag=tag),
            "post": body_op("Create a dynamic route", ok("the route", route_detail), obj(["name", "elements"], {
                "name": {"type": "string", "minLength": 1}, "elements": {"type": "array"}}), scope),
        },
        f"{base}/routes/{{route_id}}": {
            "get": op("A dynamic route", ok("the route", route_detail), parameters=[*scope, route_id], tag=tag),
            "patch": body_op("Rename a dynamic route", {"200": answer("the route (no v4 envelope)", obj(["route", "success"], {
                "route": with_fields(route_detail, account_tag={"type": "string"}), "success": {"const": True}})), **failed},
                obj(["name"], {"name": {"type": "string", "minLength": 1}}), [*scope, route_id]),
            "delete": op("Delete a dynamic route", ok("the deleted route", ref("DynamicRoute")), parameters=[*scope, route_id], tag=tag),
        },
        f"{base}/routes/{{route_id}}/versions": {
            "get": op("A route's versions", listing("versions", ref("RouteVersion")), parameters=[*scope, route_id, *paging], tag=tag),
            "post": body_op("Add a version of a route's elements", ok("the route", ref("DynamicRoute")), obj(["elements"], {"elements": {"type": "array"}}),
                            [*scope, route_id]),
        },
        f"{base}/routes/{{route_id}}/versions/{{version_id}}": {"get": op("One version of a route", ok("the version", {
            "allOf": [ref("DynamicRoute"), ref("RouteVersion")]}), parameters=[*scope, route_id, version_id], tag=tag)},
        f"{base}/routes/{{route_id}}/deployments": {
            "get": op("A route's deployments", listing("deployments", ref("RouteDeployment")), parameters=[*scope, route_id, *paging], tag=tag),
            "post": body_op("Deploy a version of a route", ok("the route", ref("DynamicRoute")), obj(["version_id"], {"version_id": {"type": "string", "minLength": 1}}),
                            [*scope, route_id]),
        },
    }


def ref_free_route() -> dict[str, Any]:
    return obj(["id", "created_at", "elements", "gateway_id", "modified_at", "name"], dict(ROUTE_CORE_FIELDS))

# A native route's 413, by its dialect's error body.
TOO_LARGE_IN = {"OpenAIError": "BodyTooLargeOpenAI", "AnthropicError": "BodyTooLargeAnthropic"}


def gateway_host() -> dict[str, Any]:
    tag = "Gateway host (gateway.ai.cloudflare.com)"
    params = [ACCOUNT_ID, GATEWAY_ID, {"name": "cf-aig-authorization", "in": "header", "required": False, "schema": {"type": "string"},
                                       "description": "`Bearer <token>`: needed by an authenticated gateway (the `default` one is)"}]
    host_errors = ("AiGatewayError", "V4Failure")
    provider_answer = {"anyOf": [*(ref(n) for n in ("ChatCompletion", "Response", "Message", "TokenCount", "EmbeddingList", "GeminiResponse", "V4Success")),
                                 {"type": "array", "items": ref("GeminiResponse")}]}

    def native(summary: str, ok: dict[str, Any], body: dict[str, Any], *dialects: str, stream: bool = True, example: Any = None) -> dict[str, Any]:
        answers = {"200": answer(summary, ok, **({"text_event_stream": SSE} if stream else {})), **errors_in(*host_errors, *dialects)}
        return {"post": op(summary, answers, body, params, tag=tag, example=example, too_large=TOO_LARGE_IN[dialects[0]])}

    def chat(model: str, **extra: Any) -> dict[str, Any]:
        return {"model": model, "messages": HELLO, **extra}

    return {
        GATEWAY: {"post": op("The universal endpoint: steps tried in order, the first success answers (cf-aig-step)", {
            "200": answer("the answering step's provider body", provider_answer, text_event_stream=SSE),
            **errors_in(*host_errors, "OpenAIError", "AnthropicError", "GeminiError"),
        }, {"anyOf": [{"type": "array", "minItems": 1, "items": ref("UniversalStep")}, ref("UniversalStep")]}, params, tag=tag, too_large="BodyTooLargeV4", example=[
            {"provider": "anthropic", "endpoint": "v1/messages", "query": chat("claude-does-not-exist-9", max_tokens=50)},
            {"provider": "openai", "endpoint": "chat/completions", "query": chat("gpt-4.1")},
        ])},
        f"{GATEWAY}/openai/chat/completions": native("OpenAI Chat Completions, bare model ids", ref("ChatCompletion"), ref("requests.openai_chat"), "OpenAIError", example=chat("gpt-4.1")),
        f"{GATEWAY}/openai/responses": native("OpenAI Responses, bare model ids", ref("Response"), ref("requests.openai_responses"), "OpenAIError", example={"model": "gpt-4.1", "input": "Hello!"}),
        f"{GATEWAY}/openai/embeddings": native("OpenAI Embeddings", ref("EmbeddingList"), ref("requests.openai_embeddings"), "OpenAIError", stream=False, example={"model": "text-embedding-3-small", "input": "a"}),
        f"{GATEWAY}/anthropic/v1/messages": native("Anthropic Messages, bare model ids", ref("Message"), ref("requests.anthropic_messages"), "AnthropicError", example=chat("claude-sonnet-4-5", max_tokens=50, stream=True)),
        f"{GATEWAY}/anthropic/v1/messages/count_tokens": native("Anthropic token count", ref("TokenCount"), {"type": "object", "required": ["model", "messages"]}, "AnthropicError", stream=False, example=chat("claude-sonnet-4-5")),
        **{f"{GATEWAY}/google-ai-studio/{{version}}/models/{{model}}:{method}": {"post": op(summary, {
            "200": answer(ok, ok_schema, text_event_stream=SSE), **errors_in(*host_errors, "GeminiError"),
        }, ref("requests.gemini_generate_content"), [*params, GEMINI_VERSION, GEMINI_MODEL, *extra], tag=tag, too_large="BodyTooLargeGemini",
            example={"contents": [{"role": "user", "parts": [{"text": "Hello!"}]}]})}
           for method, summary, ok, ok_schema, extra in (
               ("generateContent", "Google AI Studio (Gemini) generateContent", "the response", ref("GeminiResponse"), []),
               ("streamGenerateContent", "Google AI Studio (Gemini) streamGenerateContent: a JSON array of chunks, or SSE with alt=sse",
                "the chunks (text/event-stream with alt=sse)", {"type": "array", "items": ref("GeminiResponse")}, [query("alt", {"enum": ["sse"]})]),
           )},
        f"{GATEWAY}/workers-ai/v1/chat/completions": native("Workers AI, OpenAI Chat Completions", ref("ChatCompletion"), ref("requests.openai_chat"), "OpenAIError", example=chat("@cf/meta/llama-3.1-8b-instruct")),
        f"{GATEWAY}/workers-ai/v1/embeddings": native("Workers AI, OpenAI Embeddings", ref("EmbeddingList"), ref("requests.openai_embeddings"), "OpenAIError", stream=False,
                                                           example={"model": "@cf/baai/bge-small-en-v1.5", "input": ["a"]}),
        f"{GATEWAY}/compat/chat/completions": native("Any provider as {provider}/{model}, OpenAI format", ref("ChatCompletion"), ref("requests.openai_chat"), "OpenAIError",
                                                         example=chat("anthropic/claude-sonnet-4.5")),
        f"{GATEWAY}/compat/models": {"get": op("The models compat serves", {"200": answer("an OpenAI model list", ref("ModelList")), **errors_in(*host_errors)}, parameters=params, tag=tag)},
        f"{GATEWAY}/workers-ai/@cf/{{author}}/{{model}}": {"post": op("Workers AI, the model's own input (also at workers-ai/run/@cf/...)", {
            "200": answer("Workers AI's v4 envelope, a stream, or raw image/audio bytes", ref("V4Success"), text_event_stream=SSE,
                          image_png={"type": "string", "format": "binary"}, audio_mpeg={"type": "string", "format": "binary"}),
            **errors_in(*host_errors),
        }, {"type": "object", "description": "the model's input (schemas/workers_ai)"}, [*params, WORKERS_AI_AUTHOR, WORKERS_AI_MODEL], tag=tag, too_large="BodyTooLargeV4",
            example={"prompt": "Hello!"})},
    }


# Other spellings of a route, as SDKs and docs send them: the same operation.
ALIASES = {
    f"{ACCOUNT}/ai/v1/v1/messages": f"{ACCOUNT}/ai/v1/messages",
    f"{GATEWAY}/openai/v1/chat/completions": f"{GATEWAY}/openai/chat/completions",
    f"{GATEWAY}/openai/v1/responses": f"{GATEWAY}/openai/responses",
    f"{GATEWAY}/openai/v1/embeddings": f"{GATEWAY}/openai/embeddings",
    f"{GATEWAY}/anthropic/messages": f"{GATEWAY}/anthropic/v1/messages",
    f"{GATEWAY}/anthropic/messages/count_tokens": f"{GATEWAY}/anthropic/v1/messages/count_tokens",
    f"{GATEWAY}/compat/v1/chat/completions": f"{GATEWAY}/compat/chat/completions",
    f"{GATEWAY}/compat/v1/models": f"{GATEWAY}/compat/models",
    f"{GATEWAY}/workers-ai/run/@cf/{{author}}/{{model}}": f"{GATEWAY}/workers-ai/@cf/{{author}}/{{model}}",
}


def with_aliases(paths: dict[str, Any]) -> dict[str, Any]:
    for alias, original in ALIASES.items():
        paths[alias] = {method: {**operation, "summary": f"{operation['summary']} (the same as {original})"} for method, operation in paths[original].items()}
    return paths


WORKERS_AI_AUTHOR = {**path_param("author", {"type": "string", "pattern": "^[a-z0-9-]{1,30}$"}, "the @cf/ model's author"), "example": "meta"}
WORKERS_AI_MODEL = {**path_param("model", {"type": "string", "pattern": "^[a-z0-9._-]{1,40}$"}, "the model's name"), "example": "llama-3.1-8b-instruct"}
GEMINI_VERSION = {**path_param("version", {"enum": ["v1", "v1beta"]}, "the Gemini API version"), "example": "v1beta"}
GEMINI_MODEL = {**path_param("model", {"type": "string", "pattern": "^gemini-[a-z0-9.-]{1,40}$"}, "a bare Gemini model id"), "example": "gemini-2.5-flash"}


UNIVERSAL_STEP = obj(["provider", "endpoint", "query"], {
    "provider": {"type": "string", "minLength": 1}, "endpoint": {"type": "string", "minLength": 1},
    "headers": {"type": "object", "additionalProperties": {"type": "string"}}, "query": {"type": "object"},
    "config": obj([], {"requestTimeout": {"type": "integer", "minimum": 0}, "maxAttempts": {"type": "integer", "minimum": 1, "maximum": 5},
                       "retryDelay": {"type": "integer", "minimum": 0}, "backoff": {"enum": ["constant", "linear", "exponential"]}}),
})


def control() -> dict[str, Any]:
    tag = "Control API"
    problem = {"400": answer("the body is not what the route takes", ref("Problem"))}
    fixture = ref("fixture.fixture")
    most = LATEST - VIRTUAL_EPOCH
    return {
        f"{CONTROL}/health": {"get": op("Liveness, version, clock mode and seed", {"200": answer("ok", ref("Health"))}, security=False, tag=tag)},
        f"{CONTROL}/reset": {"post": op("Forget everything at once: cache, rate-limit windows, spend-limit and policy budgets, Unified Billing credits, logs, journal, clock, ids, runtime fixtures and classifications, "
                                        "where each fixture sequence stands, the guardrail scanner's state and API-made gateways",
                                        {"200": answer("reset", ref("Reset"))}, security=False, tag=tag)},
        f"{CONTROL}/clock": {
            "get": op("Read the clock", {"200": answer("the clock", ref("Clock"))}, security=False, tag=tag),
            "post": op("Move the clock forward", {"200": answer("the clock", ref("Clock")), **problem}, obj(["advance"], {"advance": {
                "type": "number", "minimum": 0, "maximum": most,
                "description": f"seconds; the clock stays before 9999-12-31T23:59:59Z, so at most {most} from its start (less once it moved on: 400)",
            }}), security=False, tag=tag, example={"advance": 60}, too_large="Problem"),
        },
        f"{CONTROL}/journal": {
            "get": op("Every request received, oldest first: headers, body, the fixture that answered (fixture_item: which answer of a sequence) and why others did not, attempts, cache status, log id", {"200": answer("the journal", ref("Journal"))}, security=False, tag=tag),
            "delete": op("Empty the journal", {"200": answer("emptied", ref("Journal"))}, security=False, tag=tag),
        },
        f"{CONTROL}/fixtures": {
            "get": op("Runtime and file fixtures, in match order", {"200": answer("the fixtures", ref("FixtureList"))}, security=False, tag=tag),
            "post": op("Add runtime fixtures: one fixture, or {fixtures: [...]}", {"201": answer("added", ref("FixtureList")), **problem},
                       {"anyOf": [fixture, obj(["fixtures"], {"fixtures": {"type": "array", "items": fixture}})]}, security=False, tag=tag, too_large="Problem",
                       example={"name": "weather", "match": {"content": {"contains": "weather"}}, "respond": {"text": "Sunny."}}),
            "delete": op("Remove every runtime fixture", {"200": answer("removed", ref("FixtureList"))}, security=False, tag=tag),
        },
        f"{CONTROL}/fixtures/{{fixture_id}}": {"delete": op("Remove one runtime fixture by id (runtime#N) or name", {
            "200": answer("removed", ref("Removed")), "404": answer("no such runtime fixture", {"anyOf": [ref("Problem"), ref("V4Failure")]}),
        }, parameters=[path_param("fixture_id", {"type": "string", "minLength": 1}, "runtime#N or the fixture's name")], security=False, tag=tag)},
        f"{CONTROL}/classifications": {
            "get": op("Guardrail classifications, runtime ones first", {"200": answer("the classifications", ref("ClassificationList"))}, security=False, tag=tag),
            "post": op("Add runtime classifications: one, or {classifications: [...]}", {"201": answer("added", ref("ClassificationList")), **problem},
                       {"anyOf": [ref("fixture.classification"), obj(["classifications"], {"classifications": {"type": "array", "items": ref("fixture.classification")}})]},
                       security=False, tag=tag, too_large="Problem"),
            "delete": op("Remove every runtime classification", {"200": answer("removed", ref("ClassificationList"))}, security=False, tag=tag),
        },
        f"{CONTROL}/classifications/{{rule_id}}": {"delete": op("Remove one runtime classification by id (classification#N) or name", {
            "200": answer("removed", ref("Removed")), "404": answer("no such runtime classification", {"anyOf": [ref("Problem"), ref("V4Failure")]}),
        }, parameters=[path_param("rule_id", {"type": "string", "minLength": 1}, "classification#N or the rule's name")], security=False, tag=tag)},
        f"{CONTROL}/guardrails": {
            "get": op("The guardrail scanner's state", {"200": answer("the state", ref("Scanner"))}, security=False, tag=tag),
            "post": op("Script the guardrail scanner (until the next reset)", {"200": answer("the state", ref("Scanner")), **problem},
                       obj(["scanner"], {"scanner": {"enum": list(SCANNER_STATES)}}), security=False, tag=tag, example={"scanner": "unavailable"}, too_large="Problem"),
        },
        f"{CONTROL}/credits": {
            "get": op("Unified Billing credits of one account (query account_id)", {"200": answer("the credits", ref("Credits"))},
                      parameters=[{"name": "account_id", "in": "query", "required": False, "schema": {"type": "string"}}], security=False, tag=tag),
            "put": op("Set the Unified Billing balance (USD) of one account, or of every account without account_id; metering starts",
                      {"200": answer("the credits", ref("Credits")), **problem},
                      obj(["balance"], {"balance": {"type": "number", "minimum": 0}, "account_id": {"type": "string", "minLength": 1}}),
                      security=False, tag=tag, example={"balance": 5}, too_large="Problem"),
        },
        f"{CONTROL}/openapi.json": {"get": op("This document", {"200": answer("OpenAPI 3.1", ref("OpenAPI"))}, security=False, tag=tag)},
    }


def dashboard() -> dict[str, Any]:
    tag = "Dashboard"
    data = f"{CONTROL}/dashboard"
    html = {"type": "string"}
    not_found = {"404": answer("no such gateway or log", {"anyOf": [ref("V4Failure"), ref("Problem")]})}
    scope = [path_param("account_id", {"type": "string", "minLength": 1}, "account id"), path_param("gateway_id", {"type": "string", "minLength": 1}, "gateway id")]
    return {
        f"{CONTROL}/ui": {"get": op("The dashboard (redirects to ui/)", {"308": {"description": "to /__emulator__/ui/"}}, security=False, tag=tag)},
        f"{CONTROL}/ui/": {"get": op("The dashboard page", {"200": answer("the page", None, text_html=html)}, security=False, tag=tag)},
        f"{CONTROL}/ui/{{name}}": {"get": op("The dashboard's files", {
            "200": answer("the file", None, text_html=html, text_javascript=html, text_css=html),
            "404": answer("no such file", ref("Problem")),
        }, parameters=[path_param("name", {"type": "string", "pattern": "^[a-z.]{1,20}$"}, "a file of the page")], security=False, tag=tag)},
        f"{data}/signature": {"get": op("What changed since the last poll", {"200": answer("the signature", ref("DashboardSignature"))}, security=False, tag=tag)},
        f"{data}/gateways": {"get": op("Every gateway with its totals", {"200": answer("the gateways", ref("DashboardGateways"))}, security=False, tag=tag)},
        f"{data}/gateways/{{account_id}}/{{gateway_id}}/logs": {"get": op("A gateway's logs, as the page shows them", {
            "200": answer("the logs", ref("DashboardLogs")), **not_found, **errors_in("V4Failure"),
        }, parameters=scope, security=False, tag=tag)},
        f"{data}/gateways/{{account_id}}/{{gateway_id}}/logs/{{log_id}}": {"get": op("One log with its journal entry", {
            "200": answer("the log", ref("DashboardLog")), **not_found,
        }, parameters=[*scope, LOG_ID], security=False, tag=tag)},
    }


@lru_cache(maxsize=1)
def _document() -> str:
    schemas = dict(RESPONSE_SCHEMAS)
    schemas["UniversalStep"] = UNIVERSAL_STEP
    schemas.update(_embedded("fixture", _file("fixture.schema.json")))
    for name in ("ai_run", "openai_chat", "openai_responses", "anthropic_messages", "openai_embeddings", "gemini_generate_content"):
        schemas.update(_embedded(f"requests.{name}", _file(f"requests/{name}.json")))
    document = {
        "openapi": "3.1.0",
        "info": {"title": "ai-gateway-emulator", "version": __version__,
                 "description": "Every route the emulator serves: Cloudflare's REST API (data plane and management), the gateway host, "
                                "and the emulator's own control API and dashboard. See the README for the behaviour behind each."},
        "paths": with_aliases({**data_plane(), **gateway_host(), **management(), **billing(), **gateway_config(), **control(), **dashboard()}),
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "a Cloudflare API token (any non-empty one unless `api_tokens` pins them)"}},
        },
        "security": [{"bearer": []}],
    }
    return json.dumps(document)


def openapi_document() -> dict[str, Any]:
    return json.loads(_document())
