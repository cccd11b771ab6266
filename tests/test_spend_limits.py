"""Gateway spend limits: budgets in USD over a window, checked before the upstream, charged after."""

import json

import cloudflare
import openai
import pytest

from tests.gateway_helpers import add_fixture, advance, reset

GATEWAY_FIELDS = dict(cache_invalidate_on_update=False, cache_ttl=0, collect_logs=True, rate_limiting_interval=0, rate_limiting_limit=0)


def cf(emu) -> cloudflare.Cloudflare:
    return cloudflare.Cloudflare(api_token=emu.api_token, base_url=emu.cloudflare_base_url, max_retries=0)


def budget_gateway(emu, *rules: dict, gateway_id: str = "budget") -> None:
    cf(emu).ai_gateway.create(
        account_id=emu.account_id, id=gateway_id, authentication=False, **GATEWAY_FIELDS,
        spend_limits={"enabled": True, "rules": list(rules)},
    )


def ask(emu, content: str = "spend", model: str = "openai/gpt-4.1", gateway: str = "budget", **headers: str):
    client = openai.OpenAI(base_url=emu.openai_base_url, api_key=emu.api_token, max_retries=0)
    return client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": content}],
        extra_headers={"cf-aig-gateway-id": gateway, **headers},
    )


@pytest.fixture
def three_millidollar_answers(emulator):
    """Every gpt-4.1 "spend" request costs 1000 * $2/1M + 125 * $8/1M = $0.003."""
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "spend"}, "respond": {"text": "ok", "usage": {"input_tokens": 1000, "output_tokens": 125}}})
    yield
    reset(emulator)  # a spend rule left on the gateway would refuse later tests' requests


def test_spend_reaching_the_limit_blocks_with_429_until_the_window_resets(emulator, three_millidollar_answers):
    budget_gateway(emulator, {"id": "hourly", "limitType": "cost", "limit": 0.006, "window": 3600, "technique": "fixed"})
    ask(emulator)
    ask(emulator)  # spent: exactly 0.006, the limit
    with pytest.raises(openai.RateLimitError) as raised:
        ask(emulator)
    error = raised.value.response.json()["errors"][0]
    assert error == {
        "code": 2045,
        "message": "Spend limit exceeded: rule 'hourly' (cost limit 0.006 per 3600s, fixed) for openai openai/gpt-4.1",
    }
    assert raised.value.response.headers["cf-aig-log-id"]
    advance(emulator, 3599)
    with pytest.raises(openai.RateLimitError):
        ask(emulator)
    advance(emulator, 1)  # the next fixed window
    assert ask(emulator).choices[0].message.content == "ok"


def test_a_request_under_the_limit_passes_even_if_its_cost_then_overshoots(emulator, three_millidollar_answers):
    budget_gateway(emulator, {"id": "small", "limitType": "cost", "limit": 0.004, "window": 60})
    ask(emulator)  # 0.003 < 0.004: admitted
    ask(emulator)  # 0.003 < 0.004 at the check; 0.006 after the charge
    with pytest.raises(openai.RateLimitError):
        ask(emulator)


def test_partition_by_metadata_gives_each_user_a_budget_and_filters_pick_the_models(emulator, three_millidollar_answers):
    budget_gateway(
        emulator,
        {"id": "per-user", "limitType": "cost", "limit": 0.003, "window": 86400, "metadata": {"user": {"mode": "partition"}}},
        {"id": "mini-only", "limitType": "cost", "limit": 0.000001, "window": 86400, "model": {"mode": "filter", "values": ["openai/gpt-4.1-mini"]}},
    )
    alice, bob = json.dumps({"user": "alice"}), json.dumps({"user": "bob"})
    ask(emulator, **{"cf-aig-metadata": alice})
    with pytest.raises(openai.RateLimitError) as raised:
        ask(emulator, **{"cf-aig-metadata": alice})
    assert "rule 'per-user'" in raised.value.response.json()["errors"][0]["message"]
    assert ask(emulator, **{"cf-aig-metadata": bob}).choices[0].message.content == "ok"
    ask(emulator, model="openai/gpt-4.1-mini", **{"cf-aig-metadata": json.dumps({"user": "carol"})})  # spends the mini budget
    with pytest.raises(openai.RateLimitError) as raised:
        ask(emulator, model="openai/gpt-4.1-mini", **{"cf-aig-metadata": json.dumps({"user": "dave"})})
    assert "rule 'mini-only'" in raised.value.response.json()["errors"][0]["message"]


def test_cache_hits_are_still_served_once_the_budget_is_spent(emulator, three_millidollar_answers):
    budget_gateway(emulator, {"id": "tiny", "limitType": "cost", "limit": 0.001, "window": 3600})
    ttl = {"cf-aig-cache-ttl": "600"}
    ask(emulator, **ttl)
    assert ask(emulator, **ttl).choices[0].message.content == "ok"  # a hit: never reaches the budget
    with pytest.raises(openai.RateLimitError):
        ask(emulator, **{**ttl, "cf-aig-skip-cache": "true"})


def test_a_disabled_rule_blocks_nothing_and_enabling_it_applies_at_once(emulator, three_millidollar_answers):
    rule = {"id": "off", "enabled": False, "limitType": "cost", "limit": 0.000001, "window": 60}
    budget_gateway(emulator, rule)
    ask(emulator)
    ask(emulator)  # over the limit, but the rule is off
    cf(emulator).ai_gateway.update(
        "budget", account_id=emulator.account_id, **GATEWAY_FIELDS, spend_limits={"enabled": True, "rules": [{**rule, "enabled": True}]},
    )
    ask(emulator)  # what the rule counts starts now
    with pytest.raises(openai.RateLimitError):
        ask(emulator)


def test_bad_spend_limits_are_a_400_naming_the_field(emulator):
    reset(emulator)
    with pytest.raises(cloudflare.BadRequestError) as raised:
        budget_gateway(emulator, {"id": "x", "limitType": "cost", "limit": -1, "window": 60})
    assert "spend_limits.rules[0].limit" in raised.value.response.json()["errors"][0]["message"]
    with pytest.raises(cloudflare.BadRequestError) as raised:
        budget_gateway(emulator, *[{"limitType": "cost", "limit": 1, "window": 60}] * 21)
    assert "at most 20 rules" in raised.value.response.json()["errors"][0]["message"]


def test_spend_limits_from_the_config_file(start, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        "gateways:\n  - id: capped\n    spend_limits:\n      rules:\n"
        "        - {id: daily, limitType: cost, limit: 0.000001, window: 86400}\n"
    )
    emu = start("--config", str(config))
    ask(emu, "Hello!", gateway="capped")
    with pytest.raises(openai.RateLimitError):
        ask(emu, "Hello!", gateway="capped")
    bad = tmp_path / "bad.yaml"
    bad.write_text("gateways:\n  - id: capped\n    spend_limits: {rules: [{limitType: tokens, limit: 1, window: 1}]}\n")
    with pytest.raises(RuntimeError, match=r"spend_limits.rules\[0\].limitType"):
        start("--config", str(bad))
