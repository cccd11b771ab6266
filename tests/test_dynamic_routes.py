"""Dynamic routes: managed with the cloudflare SDK, walked by `model: "dynamic/<name>"` on compat
chat completions, ai/v1/chat/completions and the ai/run envelope."""

from __future__ import annotations

import json

import cloudflare
import httpx
import openai
import pytest

from tests.gateway_helpers import add_fixture, advance, reset

GATEWAY_AUTH = {"cf-aig-authorization": "Bearer emulator-token"}


def model(element_id: str, provider: str, name: str, success: str = "end", fallback: str = "end", **props) -> dict:
    outputs = {"success": {"elementId": success}, "fallback": {"elementId": fallback}}
    return {"id": element_id, "type": "model", "properties": {"provider": provider, "model": name, "timeout": 60000, "retries": 0, **props}, "outputs": outputs}


START = lambda to: {"id": "start", "type": "start", "outputs": {"next": {"elementId": to}}}  # noqa: E731
END = {"id": "end", "type": "end", "outputs": {}}


def cf(emulator) -> cloudflare.Cloudflare:
    return cloudflare.Cloudflare(base_url=emulator.cloudflare_base_url, api_token=emulator.api_token)


def create_route(emulator, name: str, elements: list[dict]):
    return cf(emulator).ai_gateway.dynamic_routing.create("default", account_id=emulator.account_id, name=name, elements=elements)


def compat(emulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{emulator.base_url}/v1/{emulator.account_id}/default/compat", api_key="sk-ant-provider-key",  # a key both simulated providers take
                         default_headers=GATEWAY_AUTH)


def compat_chat(emulator, route: str, content: str, headers: dict | None = None) -> httpx.Response:
    url = f"{emulator.base_url}/v1/{emulator.account_id}/default/compat/chat/completions"
    body = {"model": f"dynamic/{route}", "messages": [{"role": "user", "content": content}]}
    return httpx.post(url, json=body, headers={**GATEWAY_AUTH, **(headers or {})})


@pytest.fixture
def gateway(emulator):
    reset(emulator)
    compat_chat(emulator, "none", "make the default gateway")  # the default gateway is made on first use
    yield emulator
    reset(emulator)  # routes and their spend left behind must not steer later tests


def test_routes_and_versions_through_the_cloudflare_sdk(gateway):
    emulator, api = gateway, cf(gateway).ai_gateway.dynamic_routing
    where = {"account_id": emulator.account_id, "gateway_id": "default"}
    created = create_route(emulator, "support", [START("m"), model("m", "openai", "gpt-4o-mini"), END])
    assert created.name == "support" and created.version.active == "true" and created.deployment.version_id == created.version.version_id
    assert json.loads(created.version.data)[1]["properties"]["model"] == "gpt-4o-mini"
    listed = api.list("default", account_id=emulator.account_id)  # the list answers {"data": ..., "success"}
    assert listed.success and [r.name for r in listed.data.routes] == ["support"] and listed.data.page == 1
    assert api.get(created.id, **where).to_dict()["elements"][1]["properties"]["model"] == "gpt-4o-mini"
    renamed = api.update(created.id, name="helpdesk", **where)
    assert renamed.route.name == "helpdesk" and renamed.success
    api.create_version(created.id, elements=[START("m"), model("m", "anthropic", "claude-sonnet-4.5"), END], **where)
    versions = api.list_versions(created.id, **where).data.versions
    assert [v.active for v in versions] == ["true", "false"]
    newer = versions[1].version_id
    assert api.get_version(newer, id=created.id, **where).to_dict()["elements"][1]["properties"]["provider"] == "anthropic"
    api.create_deployment(created.id, version_id=newer, **where)
    assert api.list_deployments(created.id, **where).data.deployments[-1].version_id == newer
    reply = compat(emulator).chat.completions.with_raw_response.create(model="dynamic/helpdesk", messages=[{"role": "user", "content": "hi"}])
    assert reply.headers["cf-aig-model"] == "claude-sonnet-4.5" and reply.headers["cf-aig-provider"] == "anthropic"
    api.delete(created.id, **where)
    assert api.list("default", account_id=emulator.account_id).data.routes == []
    with pytest.raises(cloudflare.BadRequestError):
        create_route(emulator, "broken", [START("nowhere"), END])


def test_conditional_on_metadata_and_each_step_in_the_log(gateway):
    emulator = gateway
    condition = {"id": "plan", "type": "conditional", "properties": {"conditions": {"metadata.plan": {"$eq": "free"}}},
                 "outputs": {"true": {"elementId": "cheap"}, "false": {"elementId": "best"}}}
    create_route(emulator, "tiered", [START("plan"), condition, model("cheap", "workers-ai", "@cf/meta/llama-3.1-8b-instruct"), model("best", "openai", "gpt-4.1"), END])
    free = compat_chat(emulator, "tiered", "hi", {"cf-aig-metadata": json.dumps({"plan": "free"})})
    paid = compat_chat(emulator, "tiered", "hi", {"cf-aig-metadata": json.dumps({"plan": "pro"})})
    assert free.status_code == 200 and free.json()["object"] == "chat.completion"
    assert (free.headers["cf-aig-provider"], free.headers["cf-aig-model"]) == ("workers-ai", "@cf/meta/llama-3.1-8b-instruct")
    assert (paid.headers["cf-aig-provider"], paid.headers["cf-aig-model"]) == ("openai", "gpt-4.1")
    log = httpx.get(f"{emulator.account_url}/ai-gateway/gateways/default/logs/{paid.headers['cf-aig-log-id']}", headers=emulator.auth()).json()["result"]
    assert [s["element"] for s in log["route_steps"]] == ["start", "plan", "best", "end"]
    assert log["route_steps"][1]["outcome"] is False and log["model"] == "openai/gpt-4.1"


def test_percentage_split_is_deterministic_and_matches_its_shares(gateway):
    emulator = gateway
    split = {"id": "split", "type": "percentage", "outputs": {"30%": {"elementId": "a"}, "else": {"elementId": "b"}}}
    create_route(emulator, "ab", [START("split"), split, model("a", "openai", "gpt-4o-mini"), model("b", "openai", "gpt-4.1"), END])

    def branches() -> list[str]:
        with httpx.Client(headers=GATEWAY_AUTH) as client:
            url = f"{emulator.base_url}/v1/{emulator.account_id}/default/compat/chat/completions"
            return [client.post(url, json={"model": "dynamic/ab", "messages": [{"role": "user", "content": f"request {i}"}]}).headers["cf-aig-model"]
                    for i in range(1000)]

    first = branches()
    share = first.count("gpt-4o-mini") / len(first) * 100
    assert abs(share - 30) <= 2, share
    assert branches() == first


def test_rate_node_falls_back_exactly_at_its_limit_on_the_virtual_clock(gateway):
    emulator = gateway
    rate = {"id": "quota", "type": "rate", "properties": {"limitType": "count", "key": "metadata.user_id", "limit": 3, "window": 60, "technique": "fixed"},
            "outputs": {"success": {"elementId": "best"}, "fallback": {"elementId": "cheap"}}}
    create_route(emulator, "quota", [START("quota"), rate, model("best", "openai", "gpt-4.1"), model("cheap", "openai", "gpt-4o-mini"), END])
    user = {"cf-aig-metadata": json.dumps({"user_id": "u1"})}
    seen = [compat_chat(emulator, "quota", f"q{i}", user).headers["cf-aig-model"] for i in range(4)]
    assert seen == ["gpt-4.1", "gpt-4.1", "gpt-4.1", "gpt-4o-mini"]
    assert compat_chat(emulator, "quota", "other user", {"cf-aig-metadata": json.dumps({"user_id": "u2"})}).headers["cf-aig-model"] == "gpt-4.1"
    advance(emulator, 60)
    assert compat_chat(emulator, "quota", "next window", user).headers["cf-aig-model"] == "gpt-4.1"


def test_rate_node_without_fallback_ends_the_route_with_429(gateway):
    emulator = gateway
    rate = {"id": "quota", "type": "rate", "properties": {"limitType": "count", "key": "metadata.user_id", "limit": 1, "window": 60},
            "outputs": {"success": {"elementId": "m"}}}
    create_route(emulator, "strict", [START("quota"), rate, model("m", "openai", "gpt-4.1"), END])
    assert compat_chat(emulator, "strict", "one").status_code == 200
    limited = compat_chat(emulator, "strict", "two")
    assert limited.status_code == 429 and limited.json()["internalCode"] == 2003


def test_model_that_fails_falls_back_to_the_next(gateway):
    emulator = gateway
    add_fixture(emulator, {"match": {"model": "openai/gpt-4.1", "content": "flaky"}, "respond": {"error": {"status": 500, "message": "upstream down"}}})
    create_route(emulator, "resilient", [START("first"), model("first", "openai", "gpt-4.1", fallback="second", retries=2), model("second", "anthropic", "claude-haiku-4.5"), END])
    reply = compat(emulator).chat.completions.with_raw_response.create(model="dynamic/resilient", messages=[{"role": "user", "content": "flaky"}])
    assert reply.status_code == 200 and reply.headers["cf-aig-provider"] == "anthropic"
    assert reply.parse().choices[0].message.content
    entry = httpx.get(emulator.base_url + "/__emulator__/journal").json()["entries"][-1]
    assert [s.get("outcome") for s in entry["route_steps"] if s["type"] == "model"] == ["fallback", "success"]


def test_rest_chat_completions_and_ai_run_envelope_take_a_route(emulator, http):
    compat_chat(emulator, "none", "make the default gateway")
    create_route(emulator, "rest", [START("m"), model("m", "openai", "gpt-4o"), END])
    client = openai.OpenAI(base_url=emulator.openai_base_url, api_key=emulator.api_token)
    reply = client.chat.completions.with_raw_response.create(model="dynamic/rest", messages=[{"role": "user", "content": "Hello!"}])
    assert reply.headers["cf-aig-model"] == "gpt-4o" and reply.parse().choices[0].message.content
    run = http.post("/ai/run", json={"model": "dynamic/rest", "input": {"messages": [{"role": "user", "content": "Hello!"}]}})
    assert run.status_code == 200 and run.json()["result"]["object"] == "chat.completion"
    assert run.headers["cf-aig-provider"] == "openai"
    missing = http.post("/ai/run", json={"model": "dynamic/nope", "input": {"messages": [{"role": "user", "content": "x"}]}})
    assert missing.status_code == 404


def test_routes_from_the_config_file(start, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"gateways": [{"id": "routed", "authentication": False, "routes": [
        {"name": "configured", "elements": [START("m"), model("m", "openai", "gpt-4.1-mini"), END]}]}]}))
    emulator = start("--config", str(config))
    url = f"{emulator.base_url}/v1/{emulator.account_id}/routed/compat/chat/completions"
    reply = httpx.post(url, json={"model": "dynamic/configured", "messages": [{"role": "user", "content": "hi"}]})
    assert reply.status_code == 200 and reply.headers["cf-aig-model"] == "gpt-4.1-mini"


def test_budget_node_falls_back_once_its_spend_crosses_the_limit_and_recovers_next_window(gateway):
    emulator = gateway
    add_fixture(emulator, {"match": {"content": "budget"}, "respond": {"text": "ok", "usage": {"input_tokens": 1000, "output_tokens": 500}}})
    # fixtures/prices.json: openai/gpt-4.1 is $2 in / $8 out per 1M tokens, so each answer costs
    # 1000 * 2e-6 + 500 * 8e-6 = $0.006; a $0.015 budget lets 3 through (spent 0, 0.006, 0.012).
    budget = {"id": "budget", "type": "rate", "properties": {"limitType": "cost", "key": "metadata.team", "limit": 0.015, "window": 60},
              "outputs": {"success": {"elementId": "best"}, "fallback": {"elementId": "cheap"}}}
    create_route(emulator, "budget", [START("budget"), budget, model("best", "openai", "gpt-4.1"), model("cheap", "openai", "gpt-4o-mini"), END])
    team = {"cf-aig-metadata": json.dumps({"team": "t1"})}
    first = compat_chat(emulator, "budget", "budget", team)
    logged = cf(emulator).ai_gateway.logs.get(first.headers["cf-aig-log-id"], account_id=emulator.account_id, gateway_id="default")
    assert logged.cost == pytest.approx(0.006, abs=1e-12)  # the budget's spend is the logged cost
    seen = [first.headers["cf-aig-model"]] + [compat_chat(emulator, "budget", "budget", team).headers["cf-aig-model"] for _ in range(3)]
    assert seen == ["gpt-4.1", "gpt-4.1", "gpt-4.1", "gpt-4o-mini"]
    assert compat_chat(emulator, "budget", "budget", {"cf-aig-metadata": json.dumps({"team": "t2"})}).headers["cf-aig-model"] == "gpt-4.1"
    advance(emulator, 60)
    assert compat_chat(emulator, "budget", "budget", team).headers["cf-aig-model"] == "gpt-4.1"
