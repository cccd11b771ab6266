import cloudflare
import httpx
import pytest

from tests.gateway_helpers import reset

FULL = dict(
    cache_invalidate_on_update=True, cache_ttl=300, collect_logs=True, rate_limiting_interval=60,
    rate_limiting_limit=100, rate_limiting_technique="sliding", authentication=False, byok_only=True,
    retry_max_attempts=3, retry_delay=500, retry_backoff="exponential", workers_ai_billing_mode="unified", zdr=True,
    log_management=10000, log_management_strategy="DELETE_OLDEST", logpush=False,
    guardrails={"prompt": {"S1": "BLOCK"}, "response": {"S2": "FLAG"}},
    dlp={"action": "BLOCK", "enabled": True, "profiles": ["p1"]},
    spend_limits={"enabled": True, "rules": [{"limit": 1.5, "limitType": "cost", "window": 3600, "technique": "fixed"}]},
)


def client(emu) -> cloudflare.Cloudflare:
    return cloudflare.Cloudflare(api_token=emu.api_token, base_url=emu.cloudflare_base_url, max_retries=0)


def test_sdk_create_get_list_update_delete_round_trip_every_field(emulator):
    reset(emulator)
    cf = client(emulator)
    created = cf.ai_gateway.create(account_id=emulator.account_id, id="my-gw", **FULL)
    assert created.id == "my-gw" and created.retry_backoff == "exponential" and created.zdr is True
    got = cf.ai_gateway.get("my-gw", account_id=emulator.account_id)
    raw = got.model_dump(mode="json", by_alias=True, exclude_none=True)
    for key, value in FULL.items():
        assert raw[key] == value, key
    assert [g.id for g in cf.ai_gateway.list(account_id=emulator.account_id)] == ["my-gw"]
    updated = cf.ai_gateway.update(
        "my-gw", account_id=emulator.account_id, cache_invalidate_on_update=False, cache_ttl=0, collect_logs=False,
        rate_limiting_interval=None, rate_limiting_limit=None,
    )
    assert updated.collect_logs is False and updated.cache_ttl == 0 and updated.retry_delay == 500
    cf.ai_gateway.delete("my-gw", account_id=emulator.account_id)
    with pytest.raises(cloudflare.NotFoundError):
        cf.ai_gateway.get("my-gw", account_id=emulator.account_id)


def test_created_gateway_serves_requests_and_unknown_one_is_2001(emulator):
    reset(emulator)
    cf = client(emulator)
    url = emulator.openai_base_url + "/chat/completions"
    body = {"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "hi"}]}
    missing = httpx.post(url, json=body, headers=emulator.auth(**{"cf-aig-gateway-id": "fresh"}))
    assert missing.status_code == 400 and missing.json()["errors"][0]["code"] == 2001
    cf.ai_gateway.create(account_id=emulator.account_id, id="fresh", cache_invalidate_on_update=False, cache_ttl=60,
                         collect_logs=True, rate_limiting_interval=None, rate_limiting_limit=None)
    first = httpx.post(url, json=body, headers=emulator.auth(**{"cf-aig-gateway-id": "fresh"}))
    second = httpx.post(url, json=body, headers=emulator.auth(**{"cf-aig-gateway-id": "fresh"}))
    assert (first.headers["cf-aig-cache-status"], second.headers["cf-aig-cache-status"]) == ("MISS", "HIT")


def test_create_missing_a_required_field_is_a_v4_error_naming_it(emulator):
    reset(emulator)
    url = emulator.account_url + "/ai-gateway/gateways"
    response = httpx.post(url, json={"id": "x", "cache_ttl": 0}, headers=emulator.auth())
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False and "cache_invalidate_on_update" in body["errors"][0]["message"]


def test_duplicate_gateway_id_is_rejected(emulator):
    reset(emulator)
    cf = client(emulator)
    args = dict(account_id=emulator.account_id, id="dup", cache_invalidate_on_update=False, cache_ttl=0,
                collect_logs=True, rate_limiting_interval=0, rate_limiting_limit=0)
    cf.ai_gateway.create(**args)
    with pytest.raises(cloudflare.BadRequestError):
        cf.ai_gateway.create(**args)


def test_config_file_gateways_are_listed(start, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("gateways:\n  - id: from-config\n    cache_ttl: 60\n    retry_max_attempts: 2\n    zdr: true\n")
    emu = start("--config", str(config))
    (gw,) = list(client(emu).ai_gateway.list(account_id=emu.account_id))
    assert (gw.id, gw.cache_ttl, gw.retry_max_attempts, gw.zdr) == ("from-config", 60, 2, True)
