"""Unified Billing credits: a balance per account, spent by each request that uses Cloudflare's key."""

import httpx
import cloudflare
import openai
import pytest

from tests.gateway_helpers import add_fixture, reset


def cf(emu) -> cloudflare.Cloudflare:
    return cloudflare.Cloudflare(api_token=emu.api_token, base_url=emu.cloudflare_base_url, max_retries=0)


def set_credits(emu, balance: float) -> None:
    assert httpx.put(emu.base_url + "/__emulator__/credits", json={"balance": balance}).status_code == 200


def balance(emu) -> float:
    return cf(emu).ai_gateway.billing.credit_balance(account_id=emu.account_id).balance


def ask(emu, content: str = "billed", **headers: str):
    client = openai.OpenAI(base_url=emu.openai_base_url, api_key=emu.api_token, max_retries=0)
    return client.chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": content}], extra_headers=headers)


def gateway_host_chat(emu, content: str = "billed", key: str | None = None, gateway: str = "default") -> httpx.Response:
    headers = {"cf-aig-authorization": f"Bearer {emu.api_token}"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    body = {"model": "gpt-4.1", "messages": [{"role": "user", "content": content}]}
    return httpx.post(f"{emu.base_url}/v1/{emu.account_id}/{gateway}/openai/chat/completions", json=body, headers=headers)


@pytest.fixture
def billed(emulator):
    """Each gpt-4.1 "billed" answer costs 1000 * $2/1M + 125 * $8/1M = $0.003."""
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "billed"}, "respond": {"text": "ok", "usage": {"input_tokens": 1000, "output_tokens": 125}}})
    yield
    reset(emulator)  # the balance set here must not turn later tests on this emulator into 402s


def test_credits_reaching_zero_mid_run_turn_the_next_request_into_402(emulator, billed):
    set_credits(emulator, 0.005)
    ask(emulator)
    assert balance(emulator) == pytest.approx(0.002, abs=1e-12)
    ask(emulator)  # 0.002 left at the check: admitted; its cost empties the balance
    assert balance(emulator) == 0
    with pytest.raises(openai.APIStatusError) as raised:
        ask(emulator)
    assert raised.value.status_code == 402
    assert raised.value.response.json()["errors"] == [{"code": 2021, "message": "Insufficient balance; add money to your gateway or use BYOK"}]


def test_a_top_up_through_the_billing_api_adds_credits(emulator, billed):
    set_credits(emulator, 0)
    with pytest.raises(openai.APIStatusError):
        ask(emulator)
    cf(emulator).ai_gateway.billing.topup.create(account_id=emulator.account_id, amount=1000)  # cents
    assert balance(emulator) == 10
    ask(emulator)
    assert balance(emulator) == pytest.approx(9.997, abs=1e-12)


def test_a_provider_key_on_the_request_is_used_instead_of_credits(emulator, billed):
    set_credits(emulator, 0)
    with_key = gateway_host_chat(emulator, key="sk-my-own-key")
    assert with_key.status_code == 200
    without = gateway_host_chat(emulator)
    assert without.status_code == 402
    assert without.json()["error"][0]["code"] == 2021
    assert without.json()["error"][0]["message"].startswith("Insufficient wholesale credits")


def test_cache_hits_and_workers_ai_need_no_credits(emulator, billed):
    set_credits(emulator, 0.003)
    ask(emulator, **{"cf-aig-cache-ttl": "600"})
    assert balance(emulator) == 0
    assert ask(emulator, **{"cf-aig-cache-ttl": "600"}).choices[0].message.content == "ok"
    client = openai.OpenAI(base_url=emulator.openai_base_url, api_key=emulator.api_token, max_retries=0)
    client.chat.completions.create(
        model="@cf/meta/llama-3.1-8b-instruct", messages=[{"role": "user", "content": "hi"}],
        extra_headers={"cf-aig-gateway-id": "default"},
    )


def test_byok_only_and_no_wholesale_forbid_unified_billing_but_not_a_provider_key(emulator, billed):
    with pytest.raises(openai.BadRequestError) as raised:
        ask(emulator, **{"cf-aig-no-wholesale": "true"})
    assert raised.value.response.json()["errors"][0]["code"] == 2040
    cf(emulator).ai_gateway.create(
        account_id=emulator.account_id, id="keys-only", byok_only=True, authentication=False, cache_invalidate_on_update=False,
        cache_ttl=0, collect_logs=True, rate_limiting_interval=0, rate_limiting_limit=0,
    )
    refused = gateway_host_chat(emulator, gateway="keys-only")
    assert (refused.status_code, refused.json()["error"][0]["code"]) == (400, 2040)
    assert "byok_only" in refused.json()["error"][0]["message"]
    assert gateway_host_chat(emulator, key="sk-mine", gateway="keys-only").status_code == 200


def test_unified_billing_is_rate_limited_per_gateway_and_provider_keys_are_exempt(emulator, billed):
    set_credits(emulator, 100)
    with httpx.Client() as client:
        url = f"{emulator.base_url}/v1/{emulator.account_id}/default/openai/chat/completions"
        body = {"model": "gpt-4.1", "messages": [{"role": "user", "content": "billed"}]}
        statuses = [client.post(url, json=body, headers={"cf-aig-authorization": "Bearer t"}).status_code for _ in range(201)]
        assert statuses[:200] == [200] * 200 and statuses[200] == 429
        keyed = client.post(url, json=body, headers={"cf-aig-authorization": "Bearer t", "Authorization": "Bearer sk-own"})
        assert keyed.status_code == 200
    httpx.post(emulator.base_url + "/__emulator__/clock", json={"advance": 60})
    assert gateway_host_chat(emulator).status_code == 200


def test_the_config_file_sets_every_accounts_balance_and_reset_restores_it(start, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("unified_billing: {balance: 0}\n")
    emu = start("--config", str(config))
    with pytest.raises(openai.APIStatusError) as raised:
        ask(emu, "Hello!")
    assert raised.value.status_code == 402
    set_credits(emu, 1)
    ask(emu, "Hello!")
    reset(emu)
    assert balance(emu) == 0


def test_the_deprecated_account_spending_limit_refuses_to_be_set(emulator):
    with pytest.raises(cloudflare.PermissionDeniedError):
        cf(emulator).ai_gateway.billing.spending_limit.create(account_id=emulator.account_id, amount=1000, duration="daily", strategy="fixed")
