"""Every error row of the core: status, body in the right dialect, and the SDK exception class."""

from __future__ import annotations

import json

import anthropic
import cloudflare
import httpx
import openai
import pytest

from tests.checks import assert_gateway_headers, assert_no_gateway_headers, assert_v4_error
from tests.server import start_emulator

CHAT = {"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "hi"}]}
MESSAGES = {"model": "anthropic/claude-haiku-4.5", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}
ROUTES = {
    "chat": ("/ai/v1/chat/completions", CHAT),
    "responses": ("/ai/v1/responses", {"model": "openai/gpt-4.1", "input": "hi"}),
    "messages": ("/ai/v1/messages", MESSAGES),
    "messages-doubled-v1": ("/ai/v1/v1/messages", MESSAGES),
    "run": ("/ai/run", {"model": "openai/gpt-4.1", "input": {"messages": [{"role": "user", "content": "hi"}]}}),
    "run-legacy": ("/ai/run/@cf/meta/llama-3.1-8b-instruct", {"prompt": "hi"}),
}
TOKEN = "pinned-token"
ACCOUNT = "a" * 32


@pytest.fixture(scope="module")
def pinned(tmp_path_factory):
    """An emulator whose config pins the accepted tokens, accounts and a `team-a` gateway."""
    config = tmp_path_factory.mktemp("config") / "emulator.json"
    config.write_text(json.dumps({"api_tokens": [TOKEN], "account_ids": [ACCOUNT], "gateways": [{"id": "team-a"}]}))
    running = start_emulator("--config", str(config))
    running.account_id, running.api_token = ACCOUNT, TOKEN
    yield running
    running.stop()


# --- the front door --------------------------------------------------------------------
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_missing_authorization_is_400_9106_on_every_route(emulator, route):
    path, body = ROUTES[route]
    response = httpx.post(emulator.account_url + path, json=body)
    assert_v4_error(response, 400, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers")


def test_missing_authorization_raises_bad_request_in_each_sdk(openai_client, anthropic_client):
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(**CHAT, extra_headers={"Authorization": openai.Omit()})
    assert caught.value.body["errors"][0]["code"] == 9106
    no_auth = {"Authorization": anthropic.Omit(), "X-Api-Key": anthropic.Omit()}
    with pytest.raises(anthropic.BadRequestError) as caught_anthropic:
        anthropic_client.messages.create(**MESSAGES, extra_headers=no_auth)
    assert caught_anthropic.value.body["errors"][0]["code"] == 9106


def test_any_token_is_accepted_by_default(emulator):
    client = openai.OpenAI(base_url=emulator.openai_base_url, api_key="whatever-you-like", max_retries=0)
    assert client.chat.completions.create(**CHAT).choices


@pytest.mark.parametrize("header", ["Bearer", "Basic abc", "Token abc"])
def test_malformed_authorization_is_401_10000(emulator, header):
    response = httpx.post(emulator.openai_base_url + "/chat/completions", json=CHAT, headers={"Authorization": header})
    assert_v4_error(response, 401, 10000, "Authentication error")


def test_token_not_in_config_is_401_10000_in_every_sdk(pinned):
    with pytest.raises(openai.AuthenticationError) as caught:
        openai.OpenAI(base_url=pinned.openai_base_url, api_key="wrong", max_retries=0).chat.completions.create(**CHAT)
    assert caught.value.body["errors"] == [{"code": 10000, "message": "Authentication error"}]
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(base_url=pinned.anthropic_base_url, api_key="wrong", max_retries=0).messages.create(**MESSAGES)
    with pytest.raises(cloudflare.AuthenticationError):
        cf = cloudflare.Cloudflare(base_url=pinned.cloudflare_base_url, api_token="wrong", max_retries=0)
        cf.ai.run("@cf/meta/llama-3.1-8b-instruct", account_id=ACCOUNT, prompt="hi")
    response = httpx.post(pinned.openai_base_url + "/chat/completions", json=CHAT, headers={"Authorization": "Bearer wrong"})
    assert_v4_error(response, 401, 10000, "Authentication error")


def test_pinned_token_and_account_work(pinned):
    client = openai.OpenAI(base_url=pinned.openai_base_url, api_key=TOKEN, max_retries=0)
    assert client.chat.completions.create(**CHAT).choices


def test_unknown_account_is_404_7003_could_not_route(pinned):
    path = f"/client/v4/accounts/{'b' * 32}/ai/v1/chat/completions"
    response = httpx.post(pinned.base_url + path, json=CHAT, headers={"Authorization": f"Bearer {TOKEN}"})
    body = assert_v4_error(response, 404, 7003, f"Could not route to {path}, perhaps your object identifier is invalid?")
    assert body["errors"][1] == {"code": 7000, "message": "No route for that URI"}
    client = openai.OpenAI(base_url=pinned.base_url + f"/client/v4/accounts/{'b' * 32}/ai/v1", api_key=TOKEN, max_retries=0)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(**CHAT)


def test_configured_gateway_exists_and_others_are_2001(pinned):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    ok = httpx.post(pinned.openai_base_url + "/chat/completions", json=CHAT, headers={**headers, "cf-aig-gateway-id": "team-a"})
    assert ok.status_code == 200
    missing = httpx.post(pinned.openai_base_url + "/chat/completions", json=CHAT, headers={**headers, "cf-aig-gateway-id": "team-b"})
    assert_v4_error(missing, 400, 2001, "Please configure AI Gateway in the Cloudflare dashboard")


# --- models ----------------------------------------------------------------------------
def test_unknown_third_party_model_is_404_7003_model_not_found(openai_client, anthropic_client, http):
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client.chat.completions.create(model="openai/gpt-99", messages=CHAT["messages"])
    assert caught.value.body["errors"][0] == {"code": 7003, "message": "Model not found: openai/gpt-99"}
    with pytest.raises(anthropic.NotFoundError):
        anthropic_client.messages.create(**{**MESSAGES, "model": "anthropic/claude-haiku-4-5"})
    response = http.post("/ai/run", json={"model": "acme/nothing", "input": {"prompt": "x"}})
    assert_v4_error(response, 404, 7003, "Model not found: acme/nothing")


def test_unknown_workers_ai_model_is_400_5007(http, cloudflare_client, emulator):
    response = http.post("/ai/run/@cf/meta/llama-0", json={"prompt": "hi"})
    assert_v4_error(response, 400, 5007, "No such model @cf/meta/llama-0 or task")
    with pytest.raises(cloudflare.BadRequestError) as caught:
        cloudflare_client.ai.run("@cf/meta/llama-0", account_id=emulator.account_id, prompt="hi")
    assert caught.value.body["errors"][0]["code"] == 5007


def test_workers_ai_model_on_messages_is_refused_in_anthropic_dialect(anthropic_client):
    with pytest.raises(anthropic.BadRequestError) as caught:
        anthropic_client.messages.create(
            **{**MESSAGES, "model": "@cf/meta/llama-3.1-8b-instruct"}, extra_headers={"cf-aig-gateway-id": "default"}
        )
    assert caught.value.body["error"]["type"] == "invalid_request_error"
    assert "@cf/" in caught.value.body["error"]["message"]


def test_embedding_model_on_chat_completions_is_refused_naming_model(openai_client):
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(
            model="@cf/baai/bge-m3", messages=CHAT["messages"], extra_headers={"cf-aig-gateway-id": "default"}
        )
    assert caught.value.param == "model"
    assert caught.value.code == "model_not_supported"


def test_embedding_model_on_run_with_chat_input_is_bad_input(http):
    response = http.post("/ai/run/@cf/baai/bge-m3", json={"prompt": "hi"})
    assert_v4_error(response, 400, 5006, "AiError: Bad input")


# --- gateways --------------------------------------------------------------------------
def test_nonexistent_gateway_is_2001(openai_client):
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(**CHAT, extra_headers={"cf-aig-gateway-id": "not-there"})
    assert caught.value.body["errors"][0]["code"] == 2001


def test_gateway_id_longer_than_64_characters_is_refused(http):
    response = http.post("/ai/v1/chat/completions", json=CHAT, headers={"cf-aig-gateway-id": "g" * 65})
    assert_v4_error(response, 400, 2001, "64")
    assert http.post("/ai/v1/chat/completions", json=CHAT, headers={"cf-aig-gateway-id": "g" * 64}).status_code == 400


def test_workers_ai_without_gateway_header_is_refused_on_envelope_and_v1_by_default(http):
    envelope = http.post("/ai/run", json={"model": "@cf/meta/llama-3.1-8b-instruct", "input": {"prompt": "hi"}})
    assert_v4_error(envelope, 400, 2001, "cf-aig-gateway-id")
    chat = http.post("/ai/v1/chat/completions", json={**CHAT, "model": "@cf/meta/llama-3.1-8b-instruct"})
    assert_v4_error(chat, 400, 2001, "cf-aig-gateway-id")


def test_workers_ai_without_gateway_header_runs_on_the_legacy_path(http):
    response = http.post("/ai/run/@cf/meta/llama-3.1-8b-instruct", json={"prompt": "hi"})
    assert response.status_code == 200
    assert_no_gateway_headers(response.headers)


def test_lenient_setting_runs_workers_ai_without_gateway_header(start):
    lenient = start("--workers-ai-gateway", "lenient")
    headers = lenient.auth()
    envelope = httpx.post(lenient.account_url + "/ai/run", json={"model": "@cf/meta/llama-3.1-8b-instruct", "input": {"prompt": "hi"}}, headers=headers)
    assert envelope.status_code == 200 and envelope.json()["result"]["response"]
    assert_no_gateway_headers(envelope.headers)
    chat = httpx.post(lenient.openai_base_url + "/chat/completions", json={**CHAT, "model": "@cf/meta/llama-3.1-8b-instruct"}, headers=headers)
    assert chat.status_code == 200
    third_party = httpx.post(lenient.openai_base_url + "/chat/completions", json=CHAT, headers=headers)
    assert_gateway_headers(third_party.headers)


# --- request validation, in each dialect -----------------------------------------------
def test_openai_chat_validation_names_the_field(openai_client):
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": 42}])
    assert caught.value.param and caught.value.param.startswith("messages[0]")
    assert caught.value.code == "invalid_type"
    assert caught.value.type == "invalid_request_error"
    with pytest.raises(openai.BadRequestError) as missing:
        openai_client.chat.completions.create(model="openai/gpt-4.1", messages=openai.NOT_GIVEN)
    assert missing.value.param == "messages"
    assert missing.value.code == "missing_required_parameter"
    assert "'messages'" in missing.value.message


def test_openai_responses_validation_names_the_field(openai_client):
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.responses.create(model="openai/gpt-4.1", input="hi", temperature=7)
    assert caught.value.param == "temperature"
    assert "temperature" in caught.value.message


def test_anthropic_max_tokens_is_required(http):
    response = http.post("/ai/v1/messages", json={k: v for k, v in MESSAGES.items() if k != "max_tokens"})
    assert response.status_code == 400
    assert response.json()["error"] == {"type": "invalid_request_error", "message": "max_tokens: Field required"}
    assert response.json()["type"] == "error"


def test_anthropic_wrong_system_type_names_system(http):
    response = http.post("/ai/v1/messages", json={**MESSAGES, "system": 5})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("system:")
    assert response.headers["request-id"] == response.json()["request_id"]


def test_workers_ai_validation_is_5006_bad_input_naming_the_field(http):
    response = http.post("/ai/run/@cf/meta/llama-3.1-8b-instruct", json={"messages": [{"role": "user", "content": ["x"]}]})
    body = assert_v4_error(response, 400, 5006, "AiError: Bad input: Error: oneOf at '/' not met")
    assert "/messages/0/content" in body["errors"][0]["message"]


def test_envelope_without_input_is_5006_naming_input(http):
    response = http.post("/ai/run", json={"model": "@cf/meta/llama-3.1-8b-instruct"}, headers={"cf-aig-gateway-id": "default"})
    body = assert_v4_error(response, 400, 5006, "AiError: Bad input")
    assert "input" in body["errors"][0]["message"]


# --- malformed bodies, content types, methods, paths ------------------------------------
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_malformed_json_is_a_clear_400_in_the_routes_dialect(http, route):
    path, _ = ROUTES[route]
    response = http.post(path, content=b'{"model": ', headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    body = response.json()
    if route in ("chat", "responses"):
        assert "could not parse the JSON body" in body["error"]["message"]
    elif route.startswith("messages"):
        assert body["type"] == "error" and "JSON" in body["error"]["message"]
    else:
        assert body["success"] is False and "JSON" in body["errors"][0]["message"]


@pytest.mark.parametrize("route", ["chat", "messages", "run", "run-legacy"])
def test_json_body_is_read_whatever_the_content_type_says(http, route):
    path, body = ROUTES[route]
    response = http.post(path, content=json.dumps(body), headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.text


def test_lone_surrogate_escape_in_a_body_is_read_as_json(http):
    # Valid JSON text (JSON.parse and Python's json read it); the fast parser refuses it.
    body = b'{"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi \\ud800"}]}'
    response = http.post("/ai/v1/chat/completions", content=body, headers={"content-type": "application/json", "cf-aig-gateway-id": "default"})
    assert response.status_code == 200, response.text
    assert response.json()["object"] == "chat.completion"


def test_lone_surrogate_echoed_back_is_written_as_its_escape_whole_and_streamed(http):
    # Responses echo `instructions`; a lone surrogate has no UTF-8 form (it was a 500).
    body = b'{"model": "openai/gpt-4o-mini", "instructions": "be \\ud800 brief", "input": "hi"STREAM}'
    headers = {"content-type": "application/json", "cf-aig-gateway-id": "default"}
    whole = http.post("/ai/v1/responses", content=body.replace(b"STREAM", b""), headers=headers)
    assert whole.status_code == 200, whole.text
    assert b'"instructions":"be \\ud800 brief"' in whole.content
    assert json.loads(whole.content)["instructions"] == "be \ud800 brief"
    streamed = http.post("/ai/v1/responses", content=body.replace(b"STREAM", b', "stream": true'), headers=headers)
    assert streamed.status_code == 200, streamed.text
    assert b'"instructions":"be \\ud800 brief"' in streamed.content and b"response.completed" in streamed.content


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(http, literal):
    # JSON.parse refuses them; Python's json would read them (even when the fast reader refused
    # something else in the body, as it refuses a lone surrogate).
    for text in ("hi", "hi \\ud800"):
        body = f'{{"model": "openai/gpt-4o-mini", "temperature": {literal}, "messages": [{{"role": "user", "content": "{text}"}}]}}'
        response = http.post("/ai/v1/chat/completions", content=body, headers={"content-type": "application/json", "cf-aig-gateway-id": "default"})
        assert response.status_code == 400, response.text
        assert "could not parse the JSON body" in response.json()["error"]["message"]


def test_number_beyond_a_float_and_integer_beyond_64_bits_echoed_back_whole_and_streamed(http):
    # 1e400 reads as infinity (as JSON.parse reads it) and is written as null; the integer reads
    # as a float, whichever reader read the body. Together they were an internal 500 in a stream.
    body = (b'{"model": "openai/gpt-4.1", "input": "0", "tools": [{"type": "function", "name": "a",'
            b' "parameters": {"type": "object", "properties": {"": {"maximum": 1e400, "minimum": -9223372036854775809}}}}]STREAM}')
    headers = {"content-type": "application/json", "cf-aig-gateway-id": "default"}
    whole = http.post("/ai/v1/responses", content=body.replace(b"STREAM", b""), headers=headers)
    assert whole.status_code == 200, whole.text
    echoed = whole.json()["tools"][0]["parameters"]["properties"][""]
    assert echoed == {"maximum": None, "minimum": -9223372036854775809.0}
    streamed = http.post("/ai/v1/responses", content=body.replace(b"STREAM", b', "stream": true'), headers=headers)
    assert streamed.status_code == 200, streamed.text
    assert streamed.content.endswith(b"\n\n") and b"response.completed" in streamed.content
    assert b'"maximum":null' in streamed.content


def test_integer_beyond_64_bits_in_a_fixture_answer_is_written_as_is(http, add_fixture):
    add_fixture({"match": {"model": "@cf/baai/bge-small-en-v1.5"}, "respond": {"output": {"shape": [1, 2], "data": [[0.5, 0.5]], "big": 2**70}}})
    response = http.post("/ai/run", json={"model": "@cf/baai/bge-small-en-v1.5", "input": {"text": "x"}}, headers={"cf-aig-gateway-id": "default"})
    assert response.status_code == 200, response.text
    assert b'"big":1180591620717411303424' in response.content


def test_form_encoded_body_is_malformed_json(http):
    response = http.post("/ai/v1/chat/completions", data={"model": "openai/gpt-4.1"})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("route", ["chat", "messages", "run", "run-legacy"])
def test_wrong_method_is_405_7001(http, route, method):
    path, _ = ROUTES[route]
    response = http.request(method, path)
    assert_v4_error(response, 405, 7001, f"{method} not supported for requested URI.")


def test_wrong_method_raises_api_status_error_in_openai_sdk(openai_client):
    with pytest.raises(openai.APIStatusError) as caught:
        openai_client.get("/chat/completions", cast_to=object)
    assert caught.value.status_code == 405


@pytest.mark.parametrize("path", ["/client/v4/accounts/x/ai/v1/embeddingz", "/client/v4/nothing", "/v1/chat/completions"])
def test_unknown_path_is_404_7003_naming_the_path(emulator, path):
    response = httpx.post(emulator.base_url + path, json={}, headers=emulator.auth())
    assert_v4_error(response, 404, 7003, f"Could not route to {path}")


# --- a client that leaves before its body is all sent -----------------------------------
def _send_half_a_body(emulator, path: str) -> None:
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(emulator.base_url)
    with socket.create_connection((url.hostname, url.port)) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {emulator.api_token}\r\n"
            f"cf-aig-authorization: Bearer {emulator.api_token}\r\n"  # the gateway host's default gateway is authenticated
            "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        )
        sock.sendall(head.encode() + b'{"model": "openai/gpt-4.1", "mess')


@pytest.mark.parametrize("route", [
    "/client/v4/accounts/{account}/ai/v1/chat/completions",  # dispatched directly
    "/client/v4/accounts/{account}/ai/run/@cf/meta/llama-3.1-8b-instruct",  # through Starlette's router
    "/v1/{account}/default",  # the universal endpoint
    "/__emulator__/fixtures",  # the control API reads its body through Starlette
])
def test_a_client_leaving_mid_body_is_no_server_error_and_the_server_keeps_its_state(emulator, route):
    import time

    httpx.post(emulator.base_url + "/__emulator__/reset").raise_for_status()
    httpx.post(emulator.base_url + "/__emulator__/fixtures", json={"name": "kept", "match": {"content": "still here?"}, "respond": {"text": "yes"}}).raise_for_status()
    _send_half_a_body(emulator, route.format(account=emulator.account_id))
    # (the autouse check fails the test if the emulator logged a traceback for it)
    deadline = time.monotonic() + 5
    entries: list = []
    while time.monotonic() < deadline:
        entries = httpx.get(emulator.base_url + "/__emulator__/journal").json()["entries"]
        if entries or route.startswith("/__emulator__"):
            break
        time.sleep(0.02)
    if not route.startswith("/__emulator__"):  # the inference endpoints journal the abandoned request
        assert [(e["status"], e["error"]) for e in entries] == [(499, "499 0: the client closed the connection before sending the whole body")]
    answer = httpx.post(emulator.openai_base_url + "/chat/completions", headers=emulator.auth(),
                        json={"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "still here?"}]})
    assert answer.status_code == 200 and answer.json()["choices"][0]["message"]["content"] == "yes"
