"""Stored provider keys (BYOK): the provider_configs API, cf-aig-byok-alias, the credential order,
and the simulated provider's own check of the key it gets."""

import json

import anthropic
import cloudflare
import httpx
import openai
import pytest

from tests.gateway_helpers import add_fixture, reset

SECRET = "sk-stored-secret-0123456789abcdef"


def cf(emu) -> cloudflare.Cloudflare:
    return cloudflare.Cloudflare(api_token=emu.api_token, base_url=emu.cloudflare_base_url, max_retries=0)


def store_key(emu, secret: str = SECRET, alias: str = "default", provider: str = "openai", default: bool = True, gateway: str = "default"):
    return cf(emu).ai_gateway.provider_configs.create(
        gateway, account_id=emu.account_id, alias=alias, default_config=default, provider_slug=provider, secret=secret,
    )


def native_openai(emu, key: str | None = None):
    """The OpenAI SDK on the gateway host's OpenAI path, sending `key` (None: no provider key at all)."""
    client = openai.OpenAI(
        base_url=f"{emu.base_url}/v1/{emu.account_id}/default/openai", api_key=key or "unused", max_retries=0,
        default_headers={"cf-aig-authorization": f"Bearer {emu.api_token}"},
    )
    client.sends_key = key is not None
    return client


def chat(client: openai.OpenAI, content: str = "keyed", model: str = "gpt-4.1", **headers: str):
    if not client.sends_key:
        headers["Authorization"] = openai.Omit()
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}], extra_headers=headers)


@pytest.fixture
def keyed(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "keyed"}, "respond": {"text": "ok", "usage": {"input_tokens": 1000, "output_tokens": 125}}})
    # Metered credits, none left: a request that falls back to Unified Billing is a 402.
    httpx.put(emulator.base_url + "/__emulator__/credits", json={"balance": 0}).raise_for_status()
    yield
    reset(emulator)  # no credits left must not turn later tests on this emulator into 402s


def test_stored_keys_are_listed_with_a_masked_preview_never_the_secret(emulator, keyed):
    created = store_key(emulator)
    assert (created.alias, created.provider_slug, created.default_config, created.gateway_id) == ("default", "openai", True, "default")
    assert created.secret_preview != SECRET and SECRET not in created.secret_preview and created.secret_preview.endswith(SECRET[-4:])
    listed = list(cf(emulator).ai_gateway.provider_configs.list("default", account_id=emulator.account_id))
    assert [(k.id, k.secret_preview) for k in listed] == [(created.id, created.secret_preview)]
    with pytest.raises(cloudflare.BadRequestError) as raised:
        store_key(emulator)  # the same provider and alias again
    assert "default" in raised.value.response.json()["errors"][0]["message"]


def test_the_credential_order_request_key_then_stored_key_then_unified_billing(emulator, keyed):
    with pytest.raises(openai.APIStatusError) as raised:
        chat(native_openai(emulator))  # no key anywhere: Unified Billing, and no credits left
    assert raised.value.status_code == 402
    store_key(emulator)
    assert chat(native_openai(emulator)).choices[0].message.content == "ok"  # the stored default key
    assert chat(native_openai(emulator, key="sk-my-own-request-key")).choices[0].message.content == "ok"
    logs = httpx.get(f"{emulator.account_url}/ai-gateway/gateways/default/logs", headers=emulator.auth()).json()["result"]
    detail = [httpx.get(f"{emulator.account_url}/ai-gateway/gateways/default/logs/{log['id']}", headers=emulator.auth()).json()["result"] for log in logs]
    # newest first: the request's own key, the stored key, then the refused Unified Billing request
    assert [(e["status_code"], e["byok"], e["wholesale"]) for e in detail] == [(200, False, False), (200, True, False), (402, False, False)]


def test_byok_alias_picks_a_named_key_and_an_unknown_alias_is_the_documented_400(emulator, keyed):
    store_key(emulator, secret="sk-production-key-000000000", alias="prod", default=False)
    assert chat(native_openai(emulator), **{"cf-aig-byok-alias": "prod"}).choices[0].message.content == "ok"
    with pytest.raises(openai.BadRequestError) as raised:
        chat(native_openai(emulator), **{"cf-aig-byok-alias": "staging"})
    error = raised.value.response.json()["error"][0]
    assert error == {"code": 2040, "message": "Provider 'openai' has no BYOK credential named 'staging'. Configured aliases: 'prod'"}


def test_the_simulated_provider_rejects_a_malformed_key_with_its_own_401(emulator, keyed):
    with pytest.raises(openai.AuthenticationError) as raised:
        chat(native_openai(emulator, key="not-an-openai-key"))
    assert raised.value.body["code"] == "invalid_api_key" and "not-an-openai-key" not in raised.value.message
    claude = anthropic.Anthropic(
        base_url=f"{emulator.base_url}/v1/{emulator.account_id}/default/anthropic", api_key="sk-wrong-kind",
        default_headers={"cf-aig-authorization": f"Bearer {emulator.api_token}"}, max_retries=0,
    )
    with pytest.raises(anthropic.AuthenticationError) as raised:
        claude.messages.create(model="claude-sonnet-4.5", max_tokens=10, messages=[{"role": "user", "content": "keyed"}])
    assert raised.value.body["error"]["type"] == "authentication_error"
    store_key(emulator, secret="broken-stored-secret-123456")
    with pytest.raises(openai.AuthenticationError):
        chat(native_openai(emulator))  # the stored key is what the provider gets, and rejects


def test_on_ai_run_a_rejected_stored_key_is_401_2009(http, emulator, keyed):
    store_key(emulator, secret="broken-stored-secret-123456")
    ask = {"model": "openai/gpt-4.1", "input": {"messages": [{"role": "user", "content": "keyed"}]}}
    rejected = http.post("/ai/run", json=ask)
    assert rejected.status_code == 401
    assert rejected.json()["errors"] == [{"code": 2009, "message": "Unauthorized"}]


def test_no_stored_secret_reaches_a_log_the_journal_or_an_answer(emulator, keyed):
    store_key(emulator)
    store_key(emulator, secret="sk-ant-stored-claude-secret-0000", provider="anthropic")
    answer = native_openai(emulator).chat.completions.with_raw_response.create(
        model="gpt-4.1", messages=[{"role": "user", "content": "keyed"}], extra_headers={"Authorization": openai.Omit()})
    everything = [
        answer.text, json.dumps(dict(answer.headers)),
        httpx.get(emulator.base_url + "/__emulator__/journal").text,
        httpx.get(f"{emulator.account_url}/ai-gateway/gateways/default/logs", headers=emulator.auth()).text,
        httpx.get(f"{emulator.account_url}/ai-gateway/gateways/default/logs/{answer.headers['cf-aig-log-id']}", headers=emulator.auth()).text,
        httpx.get(f"{emulator.account_url}/ai-gateway/gateways/default/provider_configs", headers=emulator.auth()).text,
        httpx.get(f"{emulator.account_url}/ai-gateway/gateways/default", headers=emulator.auth()).text,
    ]
    for text in everything:
        assert SECRET not in text and "stored-claude-secret" not in text
