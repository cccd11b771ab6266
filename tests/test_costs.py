"""Every gateway log entry's cost: tokens times the price table's (or cf-aig-custom-cost's) rates.
Expected costs are worked out by hand from fixtures/prices.json (USD per 1M tokens)."""

import json

import anthropic
import cloudflare
import openai
import pytest

from tests.gateway_helpers import add_fixture, last_journal_entry, reset


def cf(emu) -> cloudflare.Cloudflare:
    return cloudflare.Cloudflare(api_token=emu.api_token, base_url=emu.cloudflare_base_url, max_retries=0)


def logged(emu, raw_response, gateway: str = "default"):
    log_id = raw_response.headers["cf-aig-log-id"]
    return cf(emu).ai_gateway.logs.get(log_id, account_id=emu.account_id, gateway_id=gateway)


def ask_openai(emu, content: str, headers: dict[str, str] | None = None, model: str = "openai/gpt-4.1"):
    client = openai.OpenAI(base_url=emu.openai_base_url, api_key=emu.api_token, max_retries=0)
    return client.chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": content}], extra_headers=headers or {}
    )


def test_uncached_request_costs_its_tokens_at_the_models_list_price(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "price me"}, "respond": {"text": "ok", "usage": {"input_tokens": 1000, "output_tokens": 500}}})
    entry = logged(emulator, ask_openai(emulator, "price me"))
    # gpt-4.1: $2 in, $8 out per 1M tokens: 1000 * 2e-6 + 500 * 8e-6
    assert (entry.cost, entry.custom_cost) == (0.006, False)


def test_cache_hit_costs_nothing_and_the_miss_before_it_costs_the_full_price(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "cache price"}, "respond": {"text": "ok", "usage": {"input_tokens": 10, "output_tokens": 20}}})
    ttl = {"cf-aig-cache-ttl": "3600"}
    miss, hit = ask_openai(emulator, "cache price", ttl), ask_openai(emulator, "cache price", ttl)
    assert hit.headers["cf-aig-cache-status"] == "HIT"
    # gpt-4.1: 10 * 2e-6 + 20 * 8e-6
    assert logged(emulator, miss).cost == pytest.approx(0.00018, abs=1e-15)
    assert (logged(emulator, hit).cost, logged(emulator, hit).cached) == (0, True)


def test_custom_cost_header_prices_one_request_and_marks_the_entry(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "negotiated"}, "respond": {"text": "ok", "usage": {"input_tokens": 1000, "output_tokens": 100}}})
    custom = {"cf-aig-custom-cost": json.dumps({"per_token_in": 0.000001, "per_token_out": 0.000002})}
    entry = logged(emulator, ask_openai(emulator, "negotiated", custom))
    assert (entry.cost, entry.custom_cost) == (0.0012, True)  # 1000 * 1e-6 + 100 * 2e-6
    assert logged(emulator, ask_openai(emulator, "negotiated")).custom_cost is False


def test_cache_tokens_are_priced_at_the_cache_rates_on_anthropic(emulator):
    reset(emulator)
    usage = {"input_tokens": 100, "cache_read_tokens": 1000, "cache_write_tokens": 200, "output_tokens": 50}
    add_fixture(emulator, {"match": {"content": "cached prompt"}, "respond": {"text": "ok", "usage": usage}})
    client = anthropic.Anthropic(base_url=emulator.anthropic_base_url, api_key=emulator.api_token, max_retries=0)
    raw = client.messages.with_raw_response.create(
        model="anthropic/claude-sonnet-4.5", max_tokens=100, messages=[{"role": "user", "content": "cached prompt"}],
    )
    message = raw.parse()
    assert (message.usage.input_tokens, message.usage.cache_read_input_tokens, message.usage.cache_creation_input_tokens) == (100, 1000, 200)
    # claude-sonnet-4.5 per 1M: input 3, cache read 0.30, cache write 3.75, output 15
    assert logged(emulator, raw).cost == pytest.approx((100 * 3 + 1000 * 0.30 + 200 * 3.75 + 50 * 15) / 1e6, abs=1e-15)


def test_openai_counts_cache_reads_inside_its_prompt_tokens_and_prices_them_apart(emulator):
    reset(emulator)
    usage = {"input_tokens": 200, "cache_read_tokens": 800, "output_tokens": 100}
    add_fixture(emulator, {"match": {"content": "openai cache"}, "respond": {"text": "ok", "usage": usage}})
    raw = ask_openai(emulator, "openai cache")
    completion = raw.parse()
    assert (completion.usage.prompt_tokens, completion.usage.prompt_tokens_details.cached_tokens) == (1000, 800)
    entry = logged(emulator, raw)
    assert entry.tokens_in == 1000
    # gpt-4.1 per 1M: input 2, cache read 0.50, output 8
    assert entry.cost == pytest.approx((200 * 2 + 800 * 0.5 + 100 * 8) / 1e6, abs=1e-15)


def test_custom_cost_cache_rates_and_the_input_rate_they_default_to(emulator):
    reset(emulator)
    # The docs' example: 1,000 input tokens (600 cache reads, 200 cache writes inside them), 100 out.
    usage = {"input_tokens": 200, "cache_read_tokens": 600, "cache_write_tokens": 200, "output_tokens": 100}
    add_fixture(emulator, {"match": {"content": "custom cache"}, "respond": {"text": "ok", "usage": usage}})
    rates = {"per_token_in": 0.000001, "per_token_out": 0.000002, "per_cache_read_token": 0.0000001, "per_cache_write_token": 0.0000005}
    both = logged(emulator, ask_openai(emulator, "custom cache", {"cf-aig-custom-cost": json.dumps(rates)}))
    assert both.cost == pytest.approx(200 * 1e-6 + 600 * 1e-7 + 200 * 5e-7 + 100 * 2e-6, abs=1e-15)
    del rates["per_cache_write_token"]  # one cache rate given: the other is per_token_in
    one = logged(emulator, ask_openai(emulator, "custom cache", {"cf-aig-custom-cost": json.dumps(rates)}))
    assert one.cost == pytest.approx(200 * 1e-6 + 600 * 1e-7 + 200 * 1e-6 + 100 * 2e-6, abs=1e-15)
    del rates["per_cache_read_token"]  # none: the provider's whole input count at per_token_in
    none = logged(emulator, ask_openai(emulator, "custom cache", {"cf-aig-custom-cost": json.dumps(rates)}))
    assert none.cost == pytest.approx(1000 * 1e-6 + 100 * 2e-6, abs=1e-15)


def test_malformed_custom_cost_is_ignored_and_noted_and_rejected_when_strict(emulator, start):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "bad custom"}, "respond": {"text": "ok", "usage": {"input_tokens": 1000, "output_tokens": 0}}})
    entry = logged(emulator, ask_openai(emulator, "bad custom", {"cf-aig-custom-cost": '{"per_token_in": "cheap"}'}))
    assert (entry.cost, entry.custom_cost) == (0.002, False)  # gpt-4.1's own price
    assert any("cf-aig-custom-cost" in note and "per_token_in" in note for note in last_journal_entry(emulator)["header_notes"])
    strict = start("--strict-headers")
    with pytest.raises(openai.BadRequestError) as raised:
        ask_openai(strict, "Hello!", {"cf-aig-custom-cost": "not json"})
    error = raised.value.response.json()["errors"][0]
    assert error["code"] == 2019 and "cf-aig-custom-cost" in error["message"]


def test_a_model_without_a_price_costs_nothing_and_config_prices_replace_the_table(emulator, start, tmp_path):
    reset(emulator)
    unpriced = logged(emulator, ask_openai(emulator, "Hello!", model="openai/gpt-5.5"))
    assert (unpriced.cost, unpriced.tokens_out > 0) == (0, True)
    config = tmp_path / "config.yaml"
    config.write_text("prices:\n  openai/gpt-4.1: {input: 10, output: 20}\n  openai/gpt-5.5: {input: 1, output: 1}\n")
    priced = start("--config", str(config))
    add_fixture(priced, {"match": {"content": "config price"}, "respond": {"text": "ok", "usage": {"input_tokens": 100, "output_tokens": 10}}})
    assert logged(priced, ask_openai(priced, "config price")).cost == pytest.approx((100 * 10 + 10 * 20) / 1e6, abs=1e-15)
    assert logged(priced, ask_openai(priced, "config price", model="openai/gpt-5.5")).cost == pytest.approx(110 / 1e6, abs=1e-15)


def test_workers_ai_run_is_priced_from_the_workers_ai_table(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "wai price"}, "respond": {"text": "ok", "usage": {"input_tokens": 1000, "output_tokens": 1000}}})
    client = cf(emulator)
    raw = client.ai.with_raw_response.run(
        "@cf/meta/llama-3.1-8b-instruct", account_id=emulator.account_id,
        messages=[{"role": "user", "content": "wai price"}], extra_headers={"cf-aig-gateway-id": "default"},
    )
    entry = logged(emulator, raw)
    assert entry.cost == pytest.approx((1000 * 0.282 + 1000 * 0.827) / 1e6, abs=1e-15)
