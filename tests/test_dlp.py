"""DLP: policies over the shipped and custom profiles, the cf-aig-dlp header, 2029 / 2030 blocks on
both hosts (streamed too), and the DLP fields of the log entry with the logs API's DLP action filter."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import cloudflare
import httpx
import openai
import pytest

from tests.gateway_helpers import add_fixture, reset

FINANCIAL = "2f035437-bbe5-5ff8-a3a2-ba8b4dc5b5eb"
PII = "6fed1aa0-16ed-5803-b3a2-a734c2467154"
CREDENTIALS = "d49f9215-0918-569a-b6e6-86b9091c4f39"
ENTRIES = {
    "visa": "8c1d382d-dfd0-533d-bde3-f76d042b470d",
    "mastercard": "aa7f4094-6019-5f59-a7f4-662942549737",
    "amex": "04bbe843-c67b-576a-9af8-ea7524f9bf1c",
    "email": "5c4c366b-1182-566b-a5c0-5e1a8e77f80d",
    "phone": "de9de326-2fb0-5562-85f7-b85cd0c75581",
    "aws": "15e83c4f-f743-5b29-84f0-7540274da08c",
    "github": "e1fc244f-3a2a-5c66-bf34-00a1c3ab4e22",
}
REQUEST_BLOCKED = "Request content blocked due to DLP policy violations"
RESPONSE_BLOCKED = "Response content blocked due to DLP policy violations"


@pytest.fixture
def emu(guarded_emulator):
    reset(guarded_emulator)
    return guarded_emulator


def rest_openai(emu, gateway: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=emu.openai_base_url, api_key=emu.api_token, max_retries=0, default_headers={"cf-aig-gateway-id": gateway})


def gateway_url(emu, gateway: str) -> str:
    return f"{emu.base_url}/v1/{emu.account_id}/{gateway}"


def dlp_header(headers: Any) -> dict[str, Any] | None:
    value = headers.get("cf-aig-dlp")
    return None if value is None else json.loads(value)


def finding(profile: str, entries: list[str], policies: list[str], check: str = "REQUEST") -> dict[str, Any]:
    return {"profile": {"context": {}, "entry_ids": entries, "profile_id": profile}, "policy_ids": policies, "check": check}


# --- every shipped profile, found and not found -------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("Charge my card 4111 1111 1111 1111 today", (FINANCIAL, [ENTRIES["visa"]])),
    ("card 5555-5555-5555-4444, please", (FINANCIAL, [ENTRIES["mastercard"]])),
    ("amex 378282246310005", (FINANCIAL, [ENTRIES["amex"]])),
    ("Charge my card 4111 1111 1111 1112 today", None),  # 16 digits that fail Luhn's check
    ("order number 1234567890123452", None),  # passes Luhn, but no card brand starts with 1
    ("Write to me at jane.doe+ai@example.co.uk", (PII, [ENTRIES["email"]])),
    ("```\nconfig:\n  owner: ops@example.com\n```", (PII, [ENTRIES["email"]])),  # inside a code block
    ("write to jane at example dot com", None),
    ("Call me on (415) 555-2671", (PII, [ENTRIES["phone"]])),
    ("version 415.5552", None),
    ("my key is AKIAIOSFODNN7EXAMPLE", (CREDENTIALS, [ENTRIES["aws"]])),
    ("token ghp_" + "a1B2" * 9, (CREDENTIALS, [ENTRIES["github"]])),
    ("AKIA is how AWS key ids start", None),
    ("badge EMP-123456 lost", ("employee-ids", ["employee-id"])),  # a custom profile of the config
    ("badge EMP-12345 lost", None),
])
def test_each_profile_finds_what_it_detects_and_nothing_else(emu, text, expected):
    raw = rest_openai(emu, "dlp-flag").chat.completions.with_raw_response.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": text}])
    assert raw.http_response.status_code == 200
    header = dlp_header(raw.headers)
    if expected is None:
        assert header is None
    else:
        profile, entries = expected
        assert header == {"findings": [finding(profile, entries, ["flag_everything"])], "action": "FLAG"}


def test_request_scan_reads_every_message_and_a_flag_reports_each_profile(emu):
    messages = [{"role": "system", "content": "The user's email is ops@example.com"}, {"role": "user", "content": "pay with 4111111111111111"}]
    raw = rest_openai(emu, "dlp-flag").chat.completions.with_raw_response.create(model="openai/gpt-4.1", messages=messages)
    assert dlp_header(raw.headers) == {"findings": [
        finding(FINANCIAL, [ENTRIES["visa"]], ["flag_everything"]), finding(PII, [ENTRIES["email"]], ["flag_everything"]),
    ], "action": "FLAG"}


# --- blocks -------------------------------------------------------------------------------------------
def test_blocked_request_is_400_2029_with_the_header_and_no_upstream_attempt(emu):
    with pytest.raises(openai.BadRequestError) as caught:
        rest_openai(emu, "dlp-block").chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "card 4111 1111 1111 1111, email a@b.io"}])
    body = caught.value.response.json()
    assert (body["errors"], body["name"], body["internalCode"]) == ([{"code": 2029, "message": REQUEST_BLOCKED}], "AiGatewayError", 2029)
    assert dlp_header(caught.value.response.headers) == {"findings": [
        finding(FINANCIAL, [ENTRIES["visa"]], ["block_financial_requests"]), finding(PII, [ENTRIES["email"]], ["flag_pii"]),
    ], "action": "BLOCK"}
    assert httpx.get(emu.base_url + "/__emulator__/journal").json()["entries"][-1]["attempts"] == []


def test_disabled_policy_does_not_block(emu):
    raw = rest_openai(emu, "dlp-block").chat.completions.with_raw_response.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "mail a@b.io"}])
    assert raw.http_response.status_code == 200
    assert dlp_header(raw.headers) == {"findings": [finding(PII, [ENTRIES["email"]], ["flag_pii"])], "action": "FLAG"}


def test_blocked_response_is_2030_on_the_gateway_host_in_the_ai_gateway_error_body(emu):
    add_fixture(emu, {"match": {"content": "what is the key"}, "respond": {"text": "It is AKIAIOSFODNN7EXAMPLE."}})
    claude = anthropic.Anthropic(base_url=gateway_url(emu, "dlp-block") + "/anthropic", api_key="sk-ant-anything", max_retries=0)
    with pytest.raises(anthropic.BadRequestError) as caught:
        claude.messages.create(model="claude-sonnet-4-5", max_tokens=50, messages=[{"role": "user", "content": "what is the key"}])
    assert caught.value.response.json() == {
        "success": False, "result": [], "messages": [], "error": [{"code": 2030, "message": RESPONSE_BLOCKED}],
        "name": "AiGatewayError", "httpCode": 400, "internalCode": 2030, "message": RESPONSE_BLOCKED, "description": RESPONSE_BLOCKED,
    }
    assert dlp_header(caught.value.response.headers)["findings"] == [finding(CREDENTIALS, [ENTRIES["aws"]], ["block_secrets_in_answers"], "RESPONSE")]


def test_streamed_answer_is_scanned_whole_before_it_is_sent(emu):
    add_fixture(emu, {"match": {"content": "what is the key"}, "respond": {"text": "It is AKIAIOSFODNN7EXAMPLE."}})
    add_fixture(emu, {"match": {"content": "who to mail"}, "respond": {"text": "Mail ops@example.com."}})
    with pytest.raises(openai.BadRequestError):
        rest_openai(emu, "dlp-block").chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "what is the key"}], stream=True)
    raw = rest_openai(emu, "dlp-block").chat.completions.with_raw_response.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "who to mail"}], stream=True)
    assert dlp_header(raw.headers)["findings"] == [finding(PII, [ENTRIES["email"]], ["flag_pii"], "RESPONSE")]
    assert "".join(chunk.choices[0].delta.content or "" for chunk in raw.parse() if chunk.choices) == "Mail ops@example.com."


def test_gateway_host_flags_and_blocks_requests_with_the_header(emu):
    client = openai.OpenAI(base_url=gateway_url(emu, "dlp-block") + "/openai", api_key="sk-anything", max_retries=0)
    raw = client.chat.completions.with_raw_response.create(model="gpt-4.1", messages=[{"role": "user", "content": "mail a@b.io"}])
    assert raw.parse().choices[0].message.content
    assert dlp_header(raw.headers) == {"findings": [finding(PII, [ENTRIES["email"]], ["flag_pii"])], "action": "FLAG"}
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "4111-1111-1111-1111"}], stream=True)
    assert caught.value.response.json()["error"] == [{"code": 2029, "message": REQUEST_BLOCKED}]
    assert dlp_header(caught.value.response.headers)["action"] == "BLOCK"


def test_single_policy_form_checks_requests_and_responses(emu):
    client = cloudflare.Cloudflare(api_token=emu.api_token, base_url=emu.cloudflare_base_url, max_retries=0)
    settings = {"cache_invalidate_on_update": False, "cache_ttl": 0, "collect_logs": True, "rate_limiting_interval": 0, "rate_limiting_limit": 0}
    client.ai_gateway.create(account_id=emu.account_id, id="one-policy", **settings, dlp={"action": "BLOCK", "enabled": True, "profiles": [PII]})
    with pytest.raises(cloudflare.BadRequestError, match=r"dlp\.action: must be FLAG or BLOCK"):
        client.ai_gateway.update("one-policy", account_id=emu.account_id, **settings, extra_body={"dlp": {"action": "DROP", "enabled": True, "profiles": [PII]}})
    response = httpx.post(emu.openai_base_url + "/chat/completions", headers=emu.auth(**{"cf-aig-gateway-id": "one-policy"}),
                          json={"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "mail me: x@y.org"}]})
    assert (response.status_code, response.json()["errors"][0]["code"]) == (400, 2029)
    assert dlp_header(response.headers)["findings"][0]["policy_ids"] == ["default"]


def test_flagged_answer_is_cached_and_a_hit_is_not_scanned_again(emu):
    chat = rest_openai(emu, "dlp-flag").chat.completions
    ask = {"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "mail ops@example.com"}], "extra_headers": {"cf-aig-cache-ttl": "600"}}
    first, hit = chat.with_raw_response.create(**ask), chat.with_raw_response.create(**ask)
    assert (first.headers["cf-aig-cache-status"], hit.headers["cf-aig-cache-status"]) == ("MISS", "HIT")
    assert dlp_header(first.headers)["action"] == "FLAG" and dlp_header(hit.headers) is None
    assert hit.parse().choices[0].message.content == first.parse().choices[0].message.content


# --- logs ---------------------------------------------------------------------------------------------
def test_log_entries_carry_the_findings_and_the_logs_api_filters_by_dlp_action(emu):
    chat = rest_openai(emu, "dlp-block").chat.completions
    chat.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "mail a@b.io"}])
    with pytest.raises(openai.BadRequestError) as caught:
        chat.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "card 4111111111111111"}])
    chat.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "nothing to see"}])
    client = cloudflare.Cloudflare(api_token=emu.api_token, base_url=emu.cloudflare_base_url, max_retries=0)

    def listed(action: str) -> list[Any]:
        return list(client.ai_gateway.logs.list("dlp-block", account_id=emu.account_id, filters=[{"key": "dlp_action", "operator": "eq", "value": [action]}]))

    blocked, flagged = listed("BLOCK"), listed("FLAG")
    assert [(e.status_code, e.to_dict()["dlp_action"]) for e in blocked] == [(400, "BLOCK")]
    assert [(e.status_code, e.to_dict()["dlp_action"]) for e in flagged] == [(200, "FLAG")]
    entry = client.ai_gateway.logs.get(caught.value.response.headers["cf-aig-log-id"], account_id=emu.account_id, gateway_id="dlp-block").to_dict()
    assert {k: entry[k] for k in ("dlp_action", "dlp_policy_ids", "dlp_profile_ids", "dlp_entry_ids", "dlp_check")} == {
        "dlp_action": "BLOCK", "dlp_policy_ids": ["block_financial_requests"], "dlp_profile_ids": [FINANCIAL],
        "dlp_entry_ids": [ENTRIES["visa"]], "dlp_check": ["REQUEST"],
    }
