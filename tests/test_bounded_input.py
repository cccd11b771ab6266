"""Bounded input: bodies over the cap get the real 413 in each route's dialect, the journal and the
logs keep a bounded prefix, large bodies are not cached, deep JSON and deep or infinite schemas are
400s naming the field, and no error leaves a keep-alive connection unusable."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from emulator.json_codec import MAX_DEPTH
from emulator.request_body import KEPT_BODY_BYTES
from tests.gateway_helpers import reset

CAP = 4000
CHAT = {"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "hi"}]}
ANTHROPIC = {"model": "anthropic/claude-sonnet-4.5", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def capped(request):
    from tests.server import start_emulator

    running = start_emulator("--max-body-bytes", str(CAP))
    yield running
    running.stop()


def gateway_url(emu) -> str:
    return f"{emu.base_url}/v1/{emu.account_id}/default"


def test_a_body_over_the_cap_is_a_413_in_each_routes_dialect_and_the_connection_is_closed(capped):
    big = "x" * CAP
    headers = capped.auth(**{"cf-aig-gateway-id": "default", "cf-aig-authorization": "Bearer gateway-token"})

    def post(url: str, body) -> httpx.Response:
        return httpx.post(url, headers=headers, json=body)

    openai_answer = post(capped.openai_base_url + "/chat/completions", {**CHAT, "messages": [{"role": "user", "content": big}]})
    assert openai_answer.status_code == 413 and openai_answer.headers["connection"] == "close"
    assert openai_answer.json()["error"]["code"] == "request_too_large"
    assert openai_answer.json()["error"]["type"] == "invalid_request_error"
    anthropic_answer = post(capped.anthropic_base_url + "/v1/messages", {**ANTHROPIC, "system": big})
    assert (anthropic_answer.status_code, anthropic_answer.json()["error"]["type"]) == (413, "request_too_large")
    for url, body in [
        (capped.account_url + "/ai/run", {"model": "@cf/meta/llama-3.1-8b-instruct", "input": {"prompt": big}}),
        (capped.account_url + "/ai/run/@cf/meta/llama-3.1-8b-instruct", {"prompt": big}),
        (gateway_url(capped), [{"provider": "openai", "endpoint": "chat/completions", "query": {**CHAT, "x": big}}]),
    ]:
        answer = post(url, body)
        assert (answer.status_code, answer.json()["errors"]) == (413, [{"code": 3006, "message": "Request is too large"}])
    control = httpx.post(capped.base_url + "/__emulator__/fixtures", json={"match": {"content": big}, "respond": {"text": "x"}})
    assert (control.status_code, control.json()) == (413, {"error": f"body: the request body is larger than {CAP} bytes"})
    management = post(capped.account_url + "/ai-gateway/gateways", {"id": "g", "note": big})
    assert (management.status_code, management.json()["errors"][0]["code"]) == (413, 3006)


def test_a_chunked_body_is_cut_off_at_the_cap_and_journaled(capped):
    reset(capped)

    def chunks():
        for _ in range(10):
            yield b"x" * (CAP // 4)

    answer = httpx.post(capped.openai_base_url + "/chat/completions", headers=capped.auth(), content=chunks())
    assert answer.status_code == 413
    entry = httpx.get(capped.base_url + "/__emulator__/journal").json()["entries"][-1]
    assert (entry["endpoint"], entry["status"], entry["error"]) == ("chat_completions", 413, f"the request body is larger than {CAP} bytes")


def test_the_journal_and_the_logs_keep_a_bounded_prefix_of_a_large_body(emulator):
    reset(emulator)
    content = "y" * (KEPT_BODY_BYTES + 1000)
    answer = httpx.post(emulator.openai_base_url + "/chat/completions", headers=emulator.auth(), timeout=60,
                        json={**CHAT, "messages": [{"role": "user", "content": content}]})
    assert answer.status_code == 200
    entry = httpx.get(emulator.base_url + "/__emulator__/journal").json()["entries"][-1]
    assert entry["body_truncated"] is True
    assert isinstance(entry["body"], str) and len(entry["body"]) == KEPT_BODY_BYTES
    assert entry["body"].startswith('{"model"')
    log = httpx.get(f"{emulator.account_url}/ai-gateway/gateways/default/logs/{answer.headers['cf-aig-log-id']}",
                    headers=emulator.auth()).json()["result"]
    assert log["request_size"] > KEPT_BODY_BYTES + 1000 and log["request_head_complete"] is False
    assert len(log["request_head"]) == KEPT_BODY_BYTES


def test_a_request_over_25_mb_is_never_cached(emulator):
    reset(emulator)
    body = json.dumps({**CHAT, "messages": [{"role": "user", "content": "z" * (25 * 1024 * 1024)}]}).encode()
    headers = emulator.auth(**{"cf-aig-cache-ttl": "3600", "content-type": "application/json"})
    with httpx.Client(timeout=120) as client:
        answers = [client.post(emulator.openai_base_url + "/chat/completions", headers=headers, content=body) for _ in range(2)]
        small = [client.post(emulator.openai_base_url + "/chat/completions", headers=headers, json=CHAT) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert [a.headers.get("cf-aig-cache-status") for a in answers] == [None, None]
    assert [a.headers.get("cf-aig-cache-status") for a in small] == ["MISS", "HIT"]


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_nested_a_thousand_deep_is_a_400_naming_the_field_on_every_json_route(emulator):
    reset(emulator)
    deep = nested(1000)
    headers = emulator.auth(**{"cf-aig-gateway-id": "default", "cf-aig-authorization": "Bearer gateway-token", "content-type": "application/json"})
    chat = '{"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "hi"}], "metadata": {"tag": %s}}' % deep
    routes = [
        (emulator.openai_base_url + "/chat/completions", chat, lambda b: b["error"]["param"], "metadata.tag[0][0][0][0][0][0]..."),
        (emulator.openai_base_url + "/responses", '{"model": "openai/gpt-4.1", "input": %s}' % deep, lambda b: b["error"]["param"], "input[0][0][0][0][0][0][0]..."),
        (emulator.openai_base_url + "/embeddings", '{"model": "@cf/baai/bge-small-en-v1.5", "input": %s}' % deep, lambda b: b["error"]["param"], "input[0][0][0][0][0][0][0]..."),
        (emulator.anthropic_base_url + "/v1/messages", '{"model": "anthropic/claude-sonnet-4.5", "max_tokens": 5, "messages": %s}' % deep,
         lambda b: b["error"]["message"], f"messages[0][0][0][0][0][0][0]...: nested more than {MAX_DEPTH} levels deep"),
        (emulator.account_url + "/ai/run", '{"model": "@cf/meta/llama-3.1-8b-instruct", "input": {"prompt": %s}}' % deep,
         lambda b: b["errors"][0]["code"], 5006),
        (gateway_url(emulator), deep, lambda b: b["error"][0]["message"],
         f"Invalid universal request: [0][0][0][0][0][0][0][0]...: nested more than {MAX_DEPTH} levels deep"),
        (gateway_url(emulator) + "/openai/chat/completions", chat.replace("openai/gpt-4.1", "gpt-4.1"), lambda b: b["error"]["param"], "metadata.tag[0][0][0][0][0][0]..."),
        (emulator.account_url + "/ai-gateway/gateways", deep, lambda b: b["errors"][0]["code"], 7003),
        (emulator.base_url + "/__emulator__/fixtures", deep, lambda b: b["error"], f"body: [0][0][0][0][0][0][0][0]...: nested more than {MAX_DEPTH} levels deep"),
        (emulator.base_url + "/__emulator__/clock", deep, lambda b: b["error"], f"body: [0][0][0][0][0][0][0][0]...: nested more than {MAX_DEPTH} levels deep"),
    ]
    # One keep-alive connection for all of them: none may leave it unusable.
    with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=1)) as client:
        for url, raw, field, expected in routes:
            answer = client.post(url, headers=headers, content=raw)
            assert (answer.status_code, field(answer.json())) == (400, expected), url
        filters = client.get(f"{emulator.account_url}/ai-gateway/gateways/default/logs", headers=headers, params={"filters": deep})
        assert filters.status_code == 400
        assert filters.json()["errors"][0]["message"].startswith("filters: [0][0]")
        assert client.post(emulator.openai_base_url + "/chat/completions", headers=headers, json=CHAT).status_code == 200


def schema_nested(levels: int) -> dict:
    schema: dict = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "array", "items": schema, "minItems": 1}
    return schema


def test_a_json_schema_97_levels_deep_is_a_400_wherever_a_schema_is_sent(emulator):
    deep = schema_nested(97)
    openai_url, anthropic_url = emulator.openai_base_url, emulator.anthropic_base_url
    sent = [
        (openai_url + "/chat/completions", {**CHAT, "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": deep}}}),
        (openai_url + "/chat/completions", {**CHAT, "tools": [{"type": "function", "function": {"name": "f", "parameters": deep}}], "tool_choice": "required"}),
        (anthropic_url + "/v1/messages", {**ANTHROPIC, "tools": [{"name": "f", "input_schema": deep}], "tool_choice": {"type": "any"}}),
        (openai_url + "/responses", {"model": "openai/gpt-4.1", "input": "hi", "text": {"format": {"type": "json_schema", "name": "x", "schema": deep}}}),
    ]
    for url, body in sent:
        answer = httpx.post(url, headers=emulator.auth(), json=body)
        assert answer.status_code == 400, url
        assert f"nested more than {MAX_DEPTH} levels deep" in answer.text


def test_a_schema_bound_beyond_a_float_is_a_400_naming_the_keyword(emulator):
    schema = '{"type": "object", "properties": {"n": {"type": "integer", "minimum": 1e999}}, "required": ["n"]}'
    raw = '{"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": %s}}}' % schema
    answer = httpx.post(emulator.openai_base_url + "/chat/completions", headers=emulator.auth(**{"content-type": "application/json"}), content=raw)
    assert answer.status_code == 400
    assert answer.json()["error"]["message"].startswith("Invalid schema for response_format: at properties/n/minimum:")


def test_bad_inputs_on_one_raw_connection_each_get_their_answer_and_the_connection_stays_open(emulator):
    """What a keep-alive client sees, byte for byte: every answer whole, the socket never dropped."""
    host, port = emulator.base_url.removeprefix("http://").rsplit(":", 1)
    path = emulator.account_url.removeprefix(emulator.base_url)
    bodies = [nested(1000).encode(), b"{not json", json.dumps({**CHAT, "messages": 3}).encode(), json.dumps(CHAT).encode()]
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        reader = sock.makefile("rb")
        statuses = []
        for body in bodies:
            sock.sendall(
                f"POST {path}/ai/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
            )
            status_line = reader.readline().decode()
            headers = {}
            while (line := reader.readline().decode().strip()):
                name, _, value = line.partition(":")
                headers[name.lower()] = value.strip()
            reader.read(int(headers["content-length"]))
            statuses.append(int(status_line.split()[1]))
            assert headers.get("connection") != "close"
    assert statuses == [400, 400, 400, 200]


def test_a_server_error_tells_the_client_the_connection_is_closed():
    """A bug's 500 (no input known to cause one) closes the connection, saying so."""
    import asyncio

    from emulator.app import build_app
    from emulator.settings import Settings

    app = build_app(Settings())
    state = app.app.state.emulator

    def broken(name):
        raise RuntimeError("a bug")

    state.catalog.get = broken

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
            return await client.post("/client/v4/accounts/acc/ai/v1/chat/completions", json=CHAT, headers={"Authorization": "Bearer t"})

    answer = asyncio.run(call())
    assert (answer.status_code, answer.headers["connection"]) == (500, "close")
    assert answer.json()["errors"][0]["code"] == 10001


def test_a_streamed_answers_transcript_is_kept_as_its_first_mib_in_the_logs(emulator, add_fixture):
    reset(emulator)
    text = "w" * (KEPT_BODY_BYTES + 10_000)
    add_fixture({"match": {"content": "long stream"}, "respond": {"text": text, "stream": {"chars": 65536}}})
    with httpx.stream("POST", emulator.openai_base_url + "/chat/completions", headers=emulator.auth(), timeout=60,
                      json={**CHAT, "stream": True, "messages": [{"role": "user", "content": "long stream"}]}) as answer:
        sent = answer.read()
    assert answer.status_code == 200 and len(sent) > KEPT_BODY_BYTES + 10_000
    log_url = f"{emulator.account_url}/ai-gateway/gateways/default/logs/{answer.headers['cf-aig-log-id']}"
    log = httpx.get(log_url, headers=emulator.auth()).json()["result"]
    assert (log["response_size"], log["response_head_complete"]) == (len(sent), False)
    assert log["response_head"] == sent[:KEPT_BODY_BYTES].decode()
    kept = httpx.get(log_url + "/response", headers=emulator.auth(), timeout=60).json()["result"]
    assert kept == sent[:KEPT_BODY_BYTES].decode()
