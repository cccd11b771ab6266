"""The gateway host, /v1/{account_id}/{gateway_id}/...: provider-native paths, compat, the
universal endpoint, and the gateway's own AiGatewayError errors."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import openai
import pytest

from tests.checks import UUID7, assert_gateway_headers
from tests.gateway_helpers import add_fixture, reset

GATEWAY_AUTH = {"cf-aig-authorization": "Bearer emulator-token"}
HELLO = [{"role": "user", "content": "Hello!"}]
HELLO_ANSWER = "Hello! I am the AI Gateway emulator. How can I help you today?"


def gateway_url(emulator, gateway_id: str = "default") -> str:
    return f"{emulator.base_url}/v1/{emulator.account_id}/{gateway_id}"


def post(emulator, path: str, body: Any, headers: dict[str, str] | None = None, gateway_id: str = "default") -> httpx.Response:
    return httpx.post(gateway_url(emulator, gateway_id) + path, json=body, headers={**GATEWAY_AUTH, **(headers or {})})


def journal(emulator) -> list[dict[str, Any]]:
    return httpx.get(emulator.base_url + "/__emulator__/journal").json()["entries"]


def logs(emulator) -> list[dict[str, Any]]:
    listing = httpx.get(f"{emulator.account_url}/ai-gateway/gateways/default/logs", headers=emulator.auth())
    return listing.json()["result"]


def assert_gateway_error(response: httpx.Response, status: int, code: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {
        "success": False, "result": [], "messages": [], "error": [{"code": code, "message": message}],
        "name": "AiGatewayError", "httpCode": status, "internalCode": code, "message": message, "description": message,
    }


@pytest.fixture
def gateway(emulator):
    reset(emulator)
    return emulator


def test_openai_sdk_chat_and_responses_on_the_provider_native_path(gateway):
    client = openai.OpenAI(base_url=gateway_url(gateway) + "/openai", api_key="sk-anything", default_headers=GATEWAY_AUTH, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(model="gpt-4.1", messages=HELLO)
    answer = raw.parse()
    assert answer.choices[0].message.content == HELLO_ANSWER
    assert answer.model == "gpt-4.1"
    assert_gateway_headers(raw.headers)
    response = client.responses.create(model="gpt-4.1", input="Hello!")
    assert response.output_text == HELLO_ANSWER
    assert [(log["provider"], log["model"]) for log in logs(gateway)] == [("openai", "openai/gpt-4.1")] * 2


@pytest.mark.filterwarnings("ignore:The model:DeprecationWarning")
def test_anthropic_sdk_on_the_provider_native_path_with_anthropics_own_model_id(gateway):
    client = anthropic.Anthropic(base_url=gateway_url(gateway) + "/anthropic", api_key="sk-ant-anything", default_headers=GATEWAY_AUTH, max_retries=0)
    message = client.messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=HELLO)
    assert message.content[0].text == HELLO_ANSWER
    assert message.model == "claude-sonnet-4-5"
    assert logs(gateway)[0]["model"] == "anthropic/claude-sonnet-4.5"


def test_provider_errors_pass_through_in_the_providers_own_format(gateway):
    add_fixture(gateway, {"match": {"content": "provider down"}, "respond": {"error": {"status": 503, "message": "Overloaded"}}})
    client = anthropic.Anthropic(base_url=gateway_url(gateway) + "/anthropic", api_key="sk-ant-k", default_headers=GATEWAY_AUTH, max_retries=0)
    with pytest.raises(anthropic.InternalServerError) as raised:
        client.messages.create(model="claude-sonnet-4.5", max_tokens=10, messages=[{"role": "user", "content": "provider down"}])
    assert raised.value.body["error"] == {"type": "api_error", "message": "Overloaded"}


@pytest.mark.parametrize("path", ["/workers-ai/@cf/meta/llama-3.1-8b-instruct", "/workers-ai/run/@cf/meta/llama-3.1-8b-instruct"])
def test_workers_ai_model_path_answers_workers_ais_envelope(gateway, path):
    response = post(gateway, path, {"prompt": "Hello!"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and body["result"]["response"] == HELLO_ANSWER
    assert response.headers["cf-aig-step"] == "0"
    assert logs(gateway)[0]["provider"] == "workers-ai"


def test_workers_ai_bad_input_is_workers_ais_own_error(gateway):
    response = post(gateway, "/workers-ai/@cf/meta/llama-3.1-8b-instruct", {"nothing": 1})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == 5006


def test_workers_ai_openai_compatible_chat(gateway):
    response = post(gateway, "/workers-ai/v1/chat/completions", {"model": "@cf/meta/llama-3.1-8b-instruct", "messages": HELLO})
    assert response.status_code == 200, response.text
    assert response.json()["object"] == "chat.completion"
    assert response.json()["choices"][0]["message"]["content"] == HELLO_ANSWER


@pytest.mark.parametrize("model", ["openai/gpt-4.1", "anthropic/claude-sonnet-4.5", "workers-ai/@cf/meta/llama-3.1-8b-instruct"])
def test_compat_answers_every_provider_in_openai_chat_format(gateway, model):
    response = post(gateway, "/compat/chat/completions", {"model": model, "messages": HELLO})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "chat.completion" and body["model"] == model
    assert body["choices"][0]["message"]["content"] == HELLO_ANSWER


def test_compat_without_a_provider_prefix_is_refused(gateway):
    bare_workers_ai = post(gateway, "/compat/chat/completions", {"model": "@cf/meta/llama-3.1-8b-instruct", "messages": HELLO})
    assert_gateway_error(bare_workers_ai, 400, 2008, "Invalid provider")
    bare_model = post(gateway, "/compat/chat/completions", {"model": "kimi-k2.6", "messages": HELLO})
    assert_gateway_error(bare_model, 400, 2005, "Failed to get response from provider")


def test_compat_models_lists_provider_prefixed_ids(gateway):
    listing = httpx.get(gateway_url(gateway) + "/compat/models", headers=GATEWAY_AUTH).json()
    ids = {model["id"] for model in listing["data"]}
    assert listing["object"] == "list"
    assert {"openai/gpt-4.1", "anthropic/claude-sonnet-4.5", "workers-ai/@cf/meta/llama-3.1-8b-instruct"} <= ids


def test_unknown_provider_slug_is_invalid_provider(gateway):
    assert_gateway_error(post(gateway, "/not-a-provider/chat/completions", {}), 400, 2008, "Invalid provider")


def test_unknown_gateway_is_2001(gateway):
    response = post(gateway, "/openai/chat/completions", {"model": "gpt-4.1", "messages": HELLO}, gateway_id="no-such-gateway")
    assert_gateway_error(response, 400, 2001, "Please configure AI Gateway in the Cloudflare dashboard")


def test_authenticated_gateway_wants_cf_aig_authorization(gateway):
    client = openai.OpenAI(base_url=gateway_url(gateway) + "/openai", api_key="sk-provider-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as raised:
        client.chat.completions.create(model="gpt-4.1", messages=HELLO)
    assert raised.value.body == [{"code": 2009, "message": "Unauthorized"}]  # the SDK reads the `error` key
    assert_gateway_error(raised.value.response, 401, 2009, "Unauthorized")


def create_gateway(emulator, gateway_id: str, **settings: Any) -> None:
    fields = {"cache_invalidate_on_update": False, "cache_ttl": 0, "collect_logs": True,
              "rate_limiting_interval": 0, "rate_limiting_limit": 0, "authentication": False, **settings}
    created = httpx.post(f"{emulator.account_url}/ai-gateway/gateways", headers=emulator.auth(), json={"id": gateway_id, **fields})
    assert created.status_code == 200, created.text


def test_gateway_without_authentication_needs_no_gateway_token(gateway):
    create_gateway(gateway, "open")
    response = httpx.post(gateway_url(gateway, "open") + "/openai/chat/completions", json={"model": "gpt-4.1", "messages": HELLO})
    assert response.status_code == 200, response.text


def test_pinned_api_tokens_decide_the_gateway_token(start, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("api_tokens: [good-token]\n")
    emu = start("--config", str(config))
    body = {"model": "gpt-4.1", "messages": HELLO}
    url = gateway_url(emu) + "/openai/chat/completions"
    assert httpx.post(url, json=body, headers={"cf-aig-authorization": "Bearer other"}).status_code == 401
    assert httpx.post(url, json=body, headers={"cf-aig-authorization": "Bearer good-token"}).status_code == 200


def test_gateway_cache_answers_the_repeat_on_the_gateway_host(gateway):
    body = {"model": "gpt-4.1", "messages": HELLO}
    first = post(gateway, "/openai/chat/completions", body, {"cf-aig-cache-ttl": "600"})
    second = post(gateway, "/openai/chat/completions", body, {"cf-aig-cache-ttl": "600"})
    assert [first.headers["cf-aig-cache-status"], second.headers["cf-aig-cache-status"]] == ["MISS", "HIT"]
    assert second.json() == first.json()
    assert [log["cached"] for log in logs(gateway)] == [True, False]


def test_gateway_retries_apply_on_the_gateway_host(gateway):
    add_fixture(gateway, {"match": {"content": "flaky"}, "respond": {"attempts": [{"error": {"status": 503}}], "text": "ok"}})
    response = post(gateway, "/openai/chat/completions", {"model": "gpt-4.1", "messages": [{"role": "user", "content": "flaky"}]}, {"cf-aig-max-attempts": "2"})
    assert response.status_code == 200
    assert [a["status"] for a in journal(gateway)[-1]["attempts"]] == [503, 200]


def test_streaming_through_the_provider_native_openai_path(gateway):
    client = openai.OpenAI(base_url=gateway_url(gateway) + "/openai", api_key="sk-k", default_headers=GATEWAY_AUTH, max_retries=0)
    stream = client.chat.completions.create(model="gpt-4.1", messages=HELLO, stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == HELLO_ANSWER


def chat_step(provider: str, endpoint: str, model: str, content: str, **extra: Any) -> dict[str, Any]:
    return {"provider": provider, "endpoint": endpoint, "headers": {"authorization": "Bearer sk-ant-provider-key" if provider == "anthropic" else "Bearer sk-provider-key"},
            "query": {"model": model, "messages": [{"role": "user", "content": content}], **({"max_tokens": 50} if provider == "anthropic" else {})}, **extra}


def test_universal_endpoint_falls_back_to_the_next_step(gateway):
    add_fixture(gateway, {"name": "openai-down", "match": {"model": "openai/gpt-4.1", "content": "fall back"},
                          "respond": {"error": {"status": 503, "message": "down"}}})
    steps = [
        chat_step("openai", "chat/completions", "gpt-4.1", "fall back", config={"maxAttempts": 2, "retryDelay": 10}),
        chat_step("anthropic", "v1/messages", "claude-sonnet-4.5", "fall back"),
    ]
    response = httpx.post(gateway_url(gateway), json=steps, headers=GATEWAY_AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["cf-aig-step"] == "1"
    assert response.json()["type"] == "message"  # step 1's provider format
    newest_first = logs(gateway)
    assert [(log["provider"], log["status_code"], log["step"]) for log in newest_first] == [("anthropic", 200, 1), ("openai", 503, 0)]
    step_0 = journal(gateway)[-2]
    assert step_0["fixture"] == "openai-down"
    assert [a["status"] for a in step_0["attempts"]] == [503, 503]  # step 0 used its own retries


def test_universal_steps_share_the_request_id_and_each_has_its_own_log_id(gateway):
    add_fixture(gateway, {"match": {"content": "fall back"}, "respond": {"error": {"status": 503, "message": "down"}}})
    steps = [chat_step("openai", "chat/completions", "gpt-4.1", "fall back"), chat_step("anthropic", "v1/messages", "claude-sonnet-4.5", "Hello!")]
    response = httpx.post(gateway_url(gateway), json=steps, headers=GATEWAY_AUTH)
    assert response.status_code == 200 and response.headers["cf-aig-step"] == "1"
    answered, failed = logs(gateway)  # newest first
    assert response.headers["cf-aig-log-id"] == answered["id"] != failed["id"]
    assert response.headers["cf-aig-request-id"] == response.headers["cf-aig-event-id"] == failed["id"]  # the first step's id
    assert answered["event_id"] == failed["event_id"] == failed["id"]
    assert all(UUID7.match(log["id"]) for log in (answered, failed)) and failed["id"] < answered["id"]
    with_event = httpx.post(gateway_url(gateway), json=steps, headers={**GATEWAY_AUTH, "cf-aig-event-id": "my-event"})
    assert with_event.headers["cf-aig-event-id"] == "my-event"
    assert with_event.headers["cf-aig-request-id"] == logs(gateway)[1]["id"] != with_event.headers["cf-aig-log-id"]


def test_universal_endpoint_accepts_a_single_step_object(gateway):
    response = httpx.post(gateway_url(gateway), json=chat_step("openai", "v1/chat/completions", "gpt-4.1", "Hello!"), headers=GATEWAY_AUTH)
    assert response.status_code == 200
    assert_gateway_headers(response.headers)  # answered in one step: one id
    assert response.json()["choices"][0]["message"]["content"] == HELLO_ANSWER


def test_universal_endpoint_answers_the_last_error_when_every_step_fails(gateway):
    add_fixture(gateway, {"match": {"content": "all down"}, "respond": {"error": {"status": 500, "message": "boom"}}})
    steps = [{"provider": "nowhere", "endpoint": "x", "query": {}}, chat_step("openai", "chat/completions", "gpt-4.1", "all down")]
    response = httpx.post(gateway_url(gateway), json=steps, headers=GATEWAY_AUTH)
    assert response.status_code == 500
    assert response.headers["cf-aig-step"] == "1"
    assert response.json()["error"]["message"] == "boom"


def test_universal_step_with_an_invalid_header_name_is_refused_naming_it(gateway):
    steps = [chat_step("openai", "chat/completions", "gpt-4.1", "Hello!", headers={"bad name\u0100": "x"})]
    response = httpx.post(gateway_url(gateway), json=steps, headers=GATEWAY_AUTH)
    assert response.status_code == 400
    body = response.json()
    assert body["name"] == "AiGatewayError" and "[0].headers" in body["message"] and "bad name" in body["message"]


def test_universal_step_timeout_falls_back(gateway):
    add_fixture(gateway, {"match": {"content": "slow"}, "respond": {"latency_ms": 5000, "text": "late"}})
    steps = [chat_step("openai", "chat/completions", "gpt-4.1", "slow", config={"requestTimeout": 1000}),
             chat_step("workers-ai", "v1/chat/completions", "@cf/meta/llama-3.1-8b-instruct", "Hello!")]
    response = httpx.post(gateway_url(gateway), json=steps, headers=GATEWAY_AUTH)
    assert response.status_code == 200 and response.headers["cf-aig-step"] == "1"
    assert logs(gateway)[1]["status_code"] == 504


def test_universal_endpoint_rejects_a_malformed_step(gateway):
    response = httpx.post(gateway_url(gateway), json=[{"provider": "openai", "query": {}}], headers=GATEWAY_AUTH)
    assert_gateway_error(response, 400, 2019, "Invalid universal request: [0].endpoint must be a non-empty string")


def test_a_path_whose_account_is_not_an_account_id_is_no_gateway_url(gateway):
    response = httpx.post(gateway.base_url + "/v1/chat/completions", json={"model": "gpt-4.1", "messages": HELLO}, headers=GATEWAY_AUTH)
    assert response.status_code == 404
    assert response.json()["errors"][0] == {"code": 7003, "message": "Could not route to /v1/chat/completions, perhaps your object identifier is invalid?"}


def test_rate_limited_gateway_answers_2003_as_an_aigatewayerror(gateway):
    create_gateway(gateway, "limited", rate_limiting_limit=1, rate_limiting_interval=60)
    body = {"model": "gpt-4.1", "messages": HELLO}
    assert post(gateway, "/openai/chat/completions", body, gateway_id="limited").status_code == 200
    limited = post(gateway, "/openai/chat/completions", body, gateway_id="limited")
    assert_gateway_error(limited, 429, 2003, "Rate limited")
    assert_gateway_headers(limited.headers)


def test_anthropic_count_tokens_through_the_gateway_counts_what_messages_bills(gateway):
    client = anthropic.Anthropic(base_url=gateway_url(gateway) + "/anthropic", api_key="sk-ant-k", default_headers=GATEWAY_AUTH, max_retries=0)
    ask = {"model": "claude-sonnet-4.5", "messages": [{"role": "user", "content": "How many tokens is this?"}]}
    raw = client.messages.with_raw_response.count_tokens(**ask)
    assert raw.parse().input_tokens == client.messages.create(max_tokens=50, **ask).usage.input_tokens > 0
    assert_gateway_headers(raw.headers)
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.messages.count_tokens(**ask, extra_body={"max_tokens": 5})
    assert "max_tokens" in raised.value.body["error"]["message"]


# --- a model the provider does not have: the provider's own error --------------------------------
def test_a_model_anthropic_does_not_have_is_anthropics_own_404_through_the_gateway(gateway):
    client = anthropic.Anthropic(base_url=gateway_url(gateway) + "/anthropic", api_key="sk-ant-k", default_headers=GATEWAY_AUTH, max_retries=0)
    with pytest.raises(anthropic.NotFoundError) as raised:
        client.messages.create(model="claude-does-not-exist-9", max_tokens=10, messages=HELLO)
    response = raised.value.response
    assert response.json() == {"type": "error", "error": {"type": "not_found_error", "message": "model: claude-does-not-exist-9"},
                               "request_id": response.headers["request-id"]}
    assert_gateway_headers(response.headers)
    assert [(log["status_code"], log["success"], log["model"]) for log in logs(gateway)] == [(404, False, "anthropic/claude-does-not-exist-9")]
    assert journal(gateway)[-1]["fixture"] is None  # the built-in "Hello!" fixture is not asked


def test_a_model_openai_does_not_have_is_openais_own_error_on_each_of_its_paths(gateway):
    client = openai.OpenAI(base_url=gateway_url(gateway) + "/openai", api_key="sk-anything", default_headers=GATEWAY_AUTH, max_retries=0)
    with pytest.raises(openai.NotFoundError) as chat:
        client.chat.completions.create(model="gpt-does-not-exist", messages=HELLO, stream=True)
    assert chat.value.response.json() == {"error": {
        "message": "The model `gpt-does-not-exist` does not exist or you do not have access to it.",
        "type": "invalid_request_error", "param": None, "code": "model_not_found"}}
    with pytest.raises(openai.BadRequestError) as responses:
        client.responses.create(model="gpt-does-not-exist", input="Hello!")
    assert responses.value.response.json() == {"error": {
        "message": "The requested model 'gpt-does-not-exist' does not exist.", "type": "invalid_request_error", "param": "model", "code": "model_not_found"}}
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="text-embedding-4-huge", input="x")
    compat = post(gateway, "/compat/chat/completions", {"model": "anthropic/claude-does-not-exist-9", "messages": HELLO})
    assert compat.status_code == 404 and compat.json()["error"]["code"] == "model_not_found"


def test_ids_the_provider_has_beyond_the_catalog_are_served(gateway):
    openai_client = openai.OpenAI(base_url=gateway_url(gateway) + "/openai", api_key="sk-k", default_headers=GATEWAY_AUTH, max_retries=0)
    for model in ("gpt-4-turbo", "gpt-4o-2024-08-06", "gpt-4.1-2025-04-14", "ft:gpt-4.1-mini:acme::abc123", "o3-mini"):
        assert openai_client.chat.completions.create(model=model, messages=HELLO).model == model
    claude = anthropic.Anthropic(base_url=gateway_url(gateway) + "/anthropic", api_key="sk-ant-k", default_headers=GATEWAY_AUTH, max_retries=0)
    for model in ("claude-3-5-haiku-20241022", "claude-3-5-sonnet-latest", "claude-sonnet-4-5-20250929", "claude-opus-4-1"):
        assert claude.messages.create(model=model, max_tokens=10, messages=HELLO).type == "message"


def test_a_universal_chain_whose_first_step_names_a_bad_model_falls_back(gateway):
    steps = [chat_step("anthropic", "v1/messages", "claude-does-not-exist-9", "Hello!"), chat_step("openai", "chat/completions", "gpt-4.1", "Hello!")]
    response = httpx.post(gateway_url(gateway), json=steps, headers=GATEWAY_AUTH)
    assert response.status_code == 200 and response.headers["cf-aig-step"] == "1", response.text
    assert response.json()["choices"][0]["message"]["content"] == HELLO_ANSWER
    assert [(log["step"], log["status_code"]) for log in logs(gateway)] == [(1, 200), (0, 404)]


def test_accept_any_model_serves_every_id_and_a_fixture_file_can_add_provider_ids(start, tmp_path):
    (tmp_path / "ours.yaml").write_text("provider_models:\n  anthropic: [claude-in-house-1]\n")
    for args in (["--accept-any-model"], ["--fixtures", str(tmp_path)]):
        emulator = start(*args)
        ask = {"model": "claude-in-house-1", "max_tokens": 10, "messages": HELLO}
        assert post(emulator, "/anthropic/v1/messages", ask).status_code == 200
        assert post(emulator, "/openai/chat/completions", {"model": "gpt-in-house", "messages": HELLO}).status_code == (200 if "--accept-any-model" in args else 404)
