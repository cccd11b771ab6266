"""Arbitrary JSON and bytes at every endpoint: never a 5xx, always a well-formed error in that endpoint's dialect."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ENDPOINTS = {
    "chat": ("/ai/v1/chat/completions", "openai"),
    "embeddings": ("/ai/v1/embeddings", "openai"),
    "responses": ("/ai/v1/responses", "openai"),
    "messages": ("/ai/v1/messages", "anthropic"),
    "run": ("/ai/run", "v4"),
    "run-llama": ("/ai/run/@cf/meta/llama-3.1-8b-instruct", "v4"),
    "run-whisper": ("/ai/run/@cf/openai/whisper", "v4"),
    "run-flux": ("/ai/run/@cf/black-forest-labs/flux-1-schnell", "v4"),
}

scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=20)
any_json = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)

MODELS = st.sampled_from(["openai/gpt-4.1", "anthropic/claude-haiku-4.5", "@cf/meta/llama-3.1-8b-instruct", "@cf/baai/bge-m3", "@cf/baai/bge-small-en-v1.5", "x/y", "", "@cf/"])
ROLES = st.sampled_from(["user", "assistant", "system", "developer", "tool", "robot"])
content = st.text(max_size=30) | st.lists(st.fixed_dictionaries({"type": st.sampled_from(["text", "image_url", "input_text"]), "text": st.text(max_size=10) | any_json}), max_size=2) | any_json
message = st.fixed_dictionaries({"role": ROLES, "content": content}, optional={"name": any_json, "tool_calls": any_json})
schema = st.fixed_dictionaries({"type": st.sampled_from(["object", "array", "string", "integer"]) | any_json}, optional={"properties": st.dictionaries(st.text(max_size=5), any_json, max_size=3), "required": any_json, "items": any_json, "pattern": st.text(max_size=6)})
tool = (
    st.fixed_dictionaries({"type": st.just("function"), "function": st.fixed_dictionaries({"name": st.text(max_size=8)}, optional={"parameters": schema | any_json})})
    | st.fixed_dictionaries({"type": st.just("function"), "name": st.text(max_size=8)}, optional={"parameters": schema})
    | st.fixed_dictionaries({"name": st.text(max_size=8)}, optional={"input_schema": schema | any_json})
)
near_valid = st.fixed_dictionaries(
    {"model": MODELS | any_json},
    optional={
        "messages": st.lists(message, max_size=3) | any_json,
        "input": st.text(max_size=20) | st.lists(message, max_size=2) | st.fixed_dictionaries({}, optional={"prompt": st.text(max_size=10), "messages": st.lists(message, max_size=2), "text": any_json}) | any_json,
        "max_tokens": st.integers(-5, 5000) | any_json,
        "system": content,
        "tools": st.lists(tool, max_size=2) | any_json,
        "tool_choice": st.sampled_from(["auto", "none", "required", {"type": "any"}, {"type": "tool", "name": "x"}, {"type": "function", "function": {"name": "x"}}, {"type": "function", "name": "x"}]) | any_json,
        "response_format": st.fixed_dictionaries({"type": st.sampled_from(["json_schema", "json_object", "text"])}, optional={"json_schema": st.fixed_dictionaries({"name": st.text(max_size=5)}, optional={"schema": schema})}) | any_json,
        "text": st.fixed_dictionaries({"format": st.fixed_dictionaries({"type": st.just("json_schema"), "name": st.just("x"), "schema": schema})}) | any_json,
        "output_format": st.fixed_dictionaries({"type": st.just("json_schema"), "schema": schema}) | any_json,
        "prompt": st.text(max_size=20) | any_json,
        "stream": st.just(False) | any_json,
        "options": any_json,
        "audio": st.lists(st.integers(0, 255), max_size=5) | any_json,
        "encoding_format": st.sampled_from(["float", "base64"]) | any_json,
        "thinking": st.fixed_dictionaries({"type": st.sampled_from(["enabled", "disabled", "adaptive"])}, optional={"budget_tokens": st.integers(0, 6000) | any_json}) | any_json,
        "dimensions": st.integers(-2, 2000) | any_json,
    },
)
bodies = near_valid | any_json


def assert_error_in_dialect(response: httpx.Response, dialect: str) -> None:
    assert response.status_code < 500, response.text
    if response.status_code < 400:
        return
    body = response.json()
    if isinstance(body, dict) and body.get("success") is False:  # gateway errors are v4 on every route
        assert body["errors"] and all(isinstance(e["code"], int) and isinstance(e["message"], str) for e in body["errors"])
        return
    if dialect == "openai":
        assert set(body["error"]) == {"message", "type", "param", "code"} and body["error"]["message"]
    elif dialect == "anthropic":
        assert body["type"] == "error" and body["error"]["type"] and body["error"]["message"] and body["request_id"]
    else:
        raise AssertionError(f"not a v4 error: {body}")


@pytest.fixture(scope="module")
def client(emulator):
    headers = {**emulator.auth(), "cf-aig-gateway-id": "default"}
    with httpx.Client(base_url=emulator.account_url, headers=headers, timeout=10) as http:
        yield http


FUZZ = settings(max_examples=70, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_arbitrary_json_never_gets_a_5xx(client, endpoint):
    path, dialect = ENDPOINTS[endpoint]

    @FUZZ
    @given(body=bodies)
    def check(body):
        assert_error_in_dialect(client.post(path, content=json.dumps(body)), dialect)

    check()


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_arbitrary_bytes_never_get_a_5xx(client, endpoint):
    path, dialect = ENDPOINTS[endpoint]

    @settings(FUZZ, max_examples=20)
    @given(raw=st.binary(max_size=64), content_type=st.sampled_from(["application/json", "text/plain", "application/octet-stream"]))
    def check(raw, content_type):
        assert_error_in_dialect(client.post(path, content=raw, headers={"content-type": content_type}), dialect)

    check()


# --- the gateway host: /v1/{account_id}/{gateway_id}/... ------------------------------------
# Errors the gateway makes are AiGatewayError bodies; a provider's errors keep its own dialect.
GATEWAY_ENDPOINTS = {
    "openai": ("/openai/chat/completions", "openai"),
    "openai-responses": ("/openai/responses", "openai"),
    "anthropic": ("/anthropic/v1/messages", "anthropic"),
    "workers-ai": ("/workers-ai/@cf/meta/llama-3.1-8b-instruct", "v4"),
    "workers-ai-compat": ("/workers-ai/v1/chat/completions", "openai"),
    "workers-ai-embeddings": ("/workers-ai/v1/embeddings", "openai"),
    "openai-embeddings": ("/openai/embeddings", "openai"),
    "anthropic-count-tokens": ("/anthropic/v1/messages/count_tokens", "anthropic"),
    "compat": ("/compat/chat/completions", "openai"),
    "universal": ("", "any"),
}
COMPAT_MODELS = st.sampled_from(["openai/gpt-4.1", "anthropic/claude-haiku-4.5", "workers-ai/@cf/meta/llama-3.1-8b-instruct", "gpt-4.1", "nowhere/x", ""])
step = st.fixed_dictionaries(
    {"provider": st.sampled_from(["openai", "anthropic", "workers-ai", "compat", "nowhere", ""]) | any_json},
    optional={
        "endpoint": st.sampled_from(["chat/completions", "v1/messages", "@cf/meta/llama-3.1-8b-instruct", "x"]) | any_json,
        "headers": st.dictionaries(st.sampled_from(["authorization", "x-api-key", "cf-aig-cache-ttl", "content-type"]), st.text(max_size=8)) | any_json,
        "query": near_valid | any_json,
    },
)
user_turns = st.lists(st.fixed_dictionaries({"role": st.just("user"), "content": st.text(min_size=1, max_size=20)}), min_size=1, max_size=2)
valid_chat = st.fixed_dictionaries(
    {"model": COMPAT_MODELS | st.sampled_from(["claude-haiku-4-5", "gpt-4o-mini"]), "messages": user_turns},
    optional={"max_tokens": st.integers(1, 50), "stream": st.booleans(), "tools": st.lists(tool, max_size=1), "tool_choice": st.sampled_from(["auto", "required"])},
)
valid_step = st.fixed_dictionaries({
    "provider": st.sampled_from(["openai", "anthropic", "workers-ai", "compat"]),
    "endpoint": st.sampled_from(["chat/completions", "v1/messages", "@cf/meta/llama-3.1-8b-instruct"]),
    "headers": st.just({"authorization": "Bearer sk-x"}),
    "query": valid_chat,
})
gateway_bodies = (
    near_valid | valid_chat | st.fixed_dictionaries({"model": COMPAT_MODELS}, optional={"messages": st.lists(message, max_size=2)})
    | st.lists(step | valid_step, max_size=3) | any_json
)


def assert_gateway_host_error(response: httpx.Response, dialect: str) -> None:
    assert response.status_code < 500 or response.status_code in (502, 503, 504), response.text
    if response.status_code < 400:
        return
    body = response.json()
    if isinstance(body, dict) and body.get("name") == "AiGatewayError":
        assert body["success"] is False and body["error"] and isinstance(body["error"][0]["code"], int) and body["message"]
        return
    if dialect != "any":
        assert_error_in_dialect(response, dialect)


@pytest.fixture(scope="module")
def gateway_client(emulator):
    headers = {"cf-aig-authorization": f"Bearer {emulator.api_token}"}
    with httpx.Client(base_url=f"{emulator.base_url}/v1/{emulator.account_id}/default", headers=headers, timeout=10) as http:
        yield http


@pytest.mark.parametrize("endpoint", sorted(GATEWAY_ENDPOINTS))
def test_arbitrary_json_on_the_gateway_host_never_gets_a_server_error(gateway_client, endpoint):
    path, dialect = GATEWAY_ENDPOINTS[endpoint]

    @settings(FUZZ, max_examples=40)
    @given(body=gateway_bodies)
    def check(body):
        assert_gateway_host_error(gateway_client.post(path, content=json.dumps(body)), dialect)

    check()
