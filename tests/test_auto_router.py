"""The Auto Router: `model: "cloudflare/auto"` on compat chat completions and Responses, its
documented headers, the allowed-models / allowed-providers pool, and session affinity."""

from __future__ import annotations

import re

import httpx
import openai
import pytest

from tests.gateway_helpers import reset

GATEWAY_AUTH = {"cf-aig-authorization": "Bearer emulator-token"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def compat(emulator, **headers: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{emulator.base_url}/v1/{emulator.account_id}/default/compat", api_key="sk-ant-provider-key",  # a key both simulated providers take
                         default_headers={**GATEWAY_AUTH, **headers})


def routed(emulator, messages: list[dict], **headers: str):
    return compat(emulator, **headers).chat.completions.with_raw_response.create(model="cloudflare/auto", messages=messages)


HELLO = [{"role": "user", "content": "hello"}]


def test_auto_router_answers_with_its_routing_headers(emulator):
    reset(emulator)
    reply = routed(emulator, HELLO)
    assert reply.status_code == 200 and reply.parse().choices[0].message.content
    assert reply.headers["cf-aig-routed-model"] == "openai/gpt-5.6-luna"
    assert reply.headers["cf-aig-routing-reason"] == "cost_optimal_within_pool"
    assert UUID.fullmatch(reply.headers["cf-aig-routing-decision-id"])
    assert reply.headers["cf-aig-request-id"] == reply.headers["cf-aig-log-id"]
    assert reply.parse().model == "openai/gpt-5.6-luna"


def test_allowed_models_and_providers_make_the_pool(emulator):
    reset(emulator)
    assert routed(emulator, HELLO, **{"cf-aig-allowed-models": "anthropic/*"}).headers["cf-aig-routed-model"] == "anthropic/claude-sonnet-5"
    forced = routed(emulator, HELLO, **{"cf-aig-allowed-models": "xai/grok-4.5"})
    assert (forced.headers["cf-aig-routed-model"], forced.headers["cf-aig-routing-reason"]) == ("xai/grok-4.5", "forced_by_candidate_pool")
    both = routed(emulator, HELLO, **{"cf-aig-allowed-models": "openai/*,anthropic/*", "cf-aig-allowed-providers": "anthropic"})
    assert both.headers["cf-aig-routed-model"].startswith("anthropic/")
    assert routed(emulator, HELLO, **{"cf-aig-allowed-providers": "workers-ai"}).headers["cf-aig-routed-model"] == "@cf/openai/gpt-oss-20b"


@pytest.mark.parametrize("headers", [{"cf-aig-allowed-models": "*"}, {"cf-aig-allowed-models": "google/*"}, {"cf-aig-allowed-providers": "nobody"}])
def test_an_allowed_entry_that_matches_no_model_is_a_400(emulator, headers):
    with pytest.raises(openai.BadRequestError) as caught:
        routed(emulator, HELLO, **headers)
    assert caught.value.status_code == 400 and "matches no" in caught.value.response.json()["message"]


def test_a_session_keeps_its_model_for_the_turn(emulator):
    reset(emulator)
    session = {"cf-aig-session-id": "s-1", "cf-aig-allowed-providers": "openai,anthropic"}
    first = routed(emulator, HELLO, **session)
    assert first.headers["cf-aig-routing-reason"] == "cost_optimal_within_pool"
    follow_up = HELLO + [{"role": "assistant", "content": "hi"}]
    again = routed(emulator, follow_up, **session)
    assert again.headers["cf-aig-routing-reason"] == "pinned_by_turn"
    assert again.headers["cf-aig-routed-model"] == first.headers["cf-aig-routed-model"]
    next_turn = follow_up + [{"role": "user", "content": "and now?"}]
    assert routed(emulator, next_turn, **session).headers["cf-aig-routing-reason"] == "cost_optimal_within_pool"
    assert routed(emulator, HELLO, **session, **{"cf-aig-turn-id": "t-9"}).headers["cf-aig-routing-reason"] == "cost_optimal_within_pool"
    assert routed(emulator, HELLO, **session, **{"cf-aig-turn-id": "t-9"}).headers["cf-aig-routing-reason"] == "pinned_by_turn"
    unpinned = {**session, "cf-aig-no-session-affinity": "true"}
    assert routed(emulator, HELLO, **unpinned).headers["cf-aig-routing-reason"] == "cost_optimal_within_pool"
    assert routed(emulator, HELLO, **unpinned).headers["cf-aig-routing-reason"] == "cost_optimal_within_pool"


def test_responses_take_the_auto_router_too(emulator):
    reset(emulator)
    client = openai.OpenAI(base_url=emulator.openai_base_url, api_key=emulator.api_token)
    reply = client.responses.with_raw_response.create(model="cloudflare/auto", input="hello")
    assert reply.status_code == 200 and reply.parse().output_text
    assert reply.headers["cf-aig-routing-reason"] == "cost_optimal_within_pool"
    logs = httpx.get(f"{emulator.account_url}/ai-gateway/gateways/default/logs", headers=emulator.auth()).json()["result"]
    assert logs[0]["model"] == "openai/gpt-5.6-luna"


def test_the_cheapest_model_of_the_pool_by_the_price_table_serves(start, tmp_path):
    config = tmp_path / "config.yaml"  # USD per 1M tokens, replacing the built-in table's
    config.write_text("prices:\n  anthropic/claude-sonnet-5: {input: 3, output: 15}\n  anthropic/claude-opus-5: {input: 5, output: 2}\n"
                      "  xai/grok-4.5: {input: 0.5, output: 1}\n")
    emulator = start("--config", str(config))

    def choice(pool: str, max_tokens: int):
        reply = compat(emulator, **{"cf-aig-allowed-models": pool}).chat.completions.with_raw_response.create(
            model="cloudflare/auto", messages=HELLO, max_tokens=max_tokens)
        return reply.headers["cf-aig-routed-model"], reply.headers["cf-aig-routing-reason"]

    # "hello" is 1 input token, max_tokens 100 output: sonnet 3 + 15 * 100 = 1503, opus 5 + 2 * 100 = 205,
    # grok 0.5 + 1 * 100 = 100.5 (1e-6 USD); claude-fable-5 has no price: it ranks after the priced ones.
    assert choice("anthropic/claude-fable-5,anthropic/claude-sonnet-5", 100) == ("anthropic/claude-sonnet-5", "cost_optimal_within_pool")
    assert choice("anthropic/*", 100) == ("anthropic/claude-opus-5", "cost_optimal_within_pool")
    assert choice("anthropic/*,xai/*", 100) == ("xai/grok-4.5", "cost_optimal_within_pool")
