"""Gateway policies (beta): who may call which models, with spend caps per UTC calendar window.
The cloudflare SDK has no policies resource yet: the management calls are plain HTTP, as the docs' curl."""

import base64
import json

import httpx
import openai
import pytest

from tests.gateway_helpers import add_fixture, advance, reset

CAP = {"type": "limit", "amount": 0.003, "period": "weekly", "technique": "named-interval"}
MONDAY_AFTER_START = 4 * 86400  # the clock starts on Thursday 2026-01-01 00:00 UTC


def access_jwt(**claims) -> str:
    """A Cloudflare Access JWT as the emulator reads it (claims only; the signature is not checked)."""
    part = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")  # noqa: E731
    return f"{part({'alg': 'RS256'})}.{part(claims)}.signature"


def policies_url(emu, gateway: str = "default") -> str:
    return f"{emu.account_url}/ai-gateway/gateways/{gateway}/policies"


def add_policy(emu, commit: bool = True, **policy) -> dict:
    policy.setdefault("actor", "company:all")
    policy.setdefault("resource", "*")
    policy.setdefault("condition", "true")
    response = httpx.post(policies_url(emu) + ("?commit=true" if commit else ""), json=policy, headers=emu.auth())
    assert response.status_code == 200, response.text
    return response.json()


def ask(emu, content: str = "policed", model: str = "openai/gpt-4.1", **headers: str):
    client = openai.OpenAI(base_url=emu.openai_base_url, api_key=emu.api_token, max_retries=0)
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}], extra_headers=headers)


def simulate(emu, **body) -> dict:
    response = httpx.post(policies_url(emu) + "/simulate", json=body, headers=emu.auth())
    assert response.status_code == 200, response.text
    return response.json()["result"]


@pytest.fixture
def policed(emulator):
    """Each gpt-4.1 "policed" answer costs $0.003."""
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "policed"}, "respond": {"text": "ok", "usage": {"input_tokens": 1000, "output_tokens": 125}}})
    yield
    reset(emulator)  # a policy left on the gateway denies every later test's request by default


def test_a_weekly_cap_is_spent_and_starts_again_on_monday_0000_utc(emulator, policed):
    add_policy(emulator, name="Everyone weekly", action=CAP)
    ask(emulator)
    with pytest.raises(openai.RateLimitError) as raised:
        ask(emulator)
    assert raised.value.response.json() == {
        "success": False,
        "error": {"message": "Spending limit exceeded", "bucket": 'company:all|*', "spent": 0.003, "limit": 0.003},
    }
    advance(emulator, MONDAY_AFTER_START - 1)  # Sunday 23:59:59 UTC: the same week
    with pytest.raises(openai.RateLimitError):
        ask(emulator)
    advance(emulator, 1)
    assert ask(emulator).choices[0].message.content == "ok"


def test_once_a_policy_exists_what_no_policy_allows_is_denied(emulator, policed):
    assert ask(emulator).choices[0].message.content == "ok"  # no policy: everything is allowed
    add_policy(emulator, name="Mini only", resource={"model": "openai/gpt-4.1-*"}, action={"type": "no-limit"})
    assert ask(emulator, model="openai/gpt-4.1-mini").choices[0].message.content == "ok"
    with pytest.raises(openai.PermissionDeniedError) as raised:
        ask(emulator)
    assert raised.value.response.json() == {"success": False, "error": {"message": "Access denied by policy"}}


def test_block_wins_for_the_access_group_it_names_and_cache_hits_skip_policies(emulator, policed):
    add_policy(emulator, name="Everyone", action={"type": "no-limit"})
    add_policy(emulator, name="No contractors", condition='"contractors" in cf.user.groups', action={"type": "block"})
    contractor = {"cf-access-jwt-assertion": access_jwt(sub="u1", email="c@example.com", groups=["contractors"])}
    employee = {"cf-access-jwt-assertion": access_jwt(sub="u2", email="e@example.com", groups=["engineering"])}
    ttl = {"cf-aig-cache-ttl": "600"}
    ask(emulator, **employee, **ttl)
    with pytest.raises(openai.PermissionDeniedError):
        ask(emulator, "policed, again", **contractor)
    assert ask(emulator, **contractor, **ttl).choices[0].message.content == "ok"  # the cached answer: no policy looked


def test_simulate_agrees_with_what_the_request_then_gets(emulator, policed):
    add_policy(emulator, name="Per user", actor="user:{metadata.user}", action={**CAP, "period": "daily"})
    add_policy(emulator, name="Block Opus", resource={"model": "anthropic/claude-opus-*"}, action={"type": "block"})
    alice = {"metadata": {"user": "alice"}}
    first = simulate(emulator, identity=alice, model="openai/gpt-4.1", provider="openai")
    assert (first["evaluation"]["decision"], first["enforcement"], first["policiesEvaluated"]) == ("check_limits", {"allowed": True}, 2)
    ask(emulator, **{"cf-aig-metadata": json.dumps({"user": "alice"})})
    spent = simulate(emulator, identity=alice, model="openai/gpt-4.1", provider="openai", bucketUsage={"Per user": {"spent": 0.003}})
    assert spent["enforcement"] == {"allowed": False, "reason": "limit_exceeded", "bucket": "user:alice|*", "spent": 0.003,
                                    "limit": 0.003, "policyName": "Per user"}
    with pytest.raises(openai.RateLimitError) as raised:
        ask(emulator, **{"cf-aig-metadata": json.dumps({"user": "alice"})})
    assert raised.value.response.json()["error"]["bucket"] == spent["enforcement"]["bucket"]
    opus = simulate(emulator, identity=alice, model="anthropic/claude-opus-4.5")
    assert (opus["evaluation"]["decision"], opus["enforcement"]) == ("block", {"allowed": False, "reason": "blocked"})
    with pytest.raises(openai.PermissionDeniedError):
        ask(emulator, model="anthropic/claude-opus-4.5", **{"cf-aig-metadata": json.dumps({"user": "alice"})})
    nobody = simulate(emulator, identity={}, model="openai/gpt-4.1")  # no user: the per-user cap does not apply
    assert nobody["enforcement"] == {"allowed": False, "reason": "blocked"}
    with pytest.raises(openai.PermissionDeniedError):
        ask(emulator)


def test_drafts_are_not_enforced_until_committed_and_simulate_sees_them(emulator, policed):
    draft = add_policy(emulator, commit=False, name="Block all", action={"type": "block"})
    assert draft["committed"] is False
    assert ask(emulator).choices[0].message.content == "ok"
    listed = httpx.get(policies_url(emulator) + "?includeStaging=true", headers=emulator.auth()).json()["result"]
    assert [(p["name"], p.get("staging")) for p in listed] == [("Block all", True)]
    assert httpx.get(policies_url(emulator), headers=emulator.auth()).json()["result"] == []
    assert simulate(emulator, identity={}, model="openai/gpt-4.1")["enforcement"]["reason"] == "blocked"
    committed = httpx.post(policies_url(emulator) + "/commit", headers=emulator.auth()).json()["result"]
    assert committed == {"committed": 1, "failed": 0, "policies": []}
    with pytest.raises(openai.PermissionDeniedError):
        ask(emulator)
    httpx.delete(policies_url(emulator) + "/" + draft["result"]["id"], headers=emulator.auth()).raise_for_status()
    assert ask(emulator).choices[0].message.content == "ok"


def test_a_condition_outside_the_supported_cel_is_a_400_naming_it(emulator, policed):
    response = httpx.post(policies_url(emulator), json={"name": "x", "actor": "a", "resource": "*", "condition": "request.path == '/x'",
                                                         "action": {"type": "block"}}, headers=emulator.auth())
    assert response.status_code == 400
    assert "request.path == '/x'" in response.json()["errors"][0]["message"]
