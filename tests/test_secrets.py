"""No credential a client sends is shown again: the journal, the gateway logs, the pytest plugin's
failure reports and the server's own output keep only its scheme and its last 4 characters."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest

from emulator.redaction import redact_secret
from tests.gateway_helpers import reset

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
CHAT = {"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "hi"}]}

# One distinct token per place a credential can be sent; each ends in its own 4 characters.
TOKENS = {
    "rest authorization": "tok-rest-auth-1111",
    "rest x-api-key": "tok-x-api-key-2222",
    "rest x-auth-key": "tok-x-auth-key-3333",
    "cf-aig-authorization": "tok-cf-aig-auth-4444",
    "provider authorization": "sk-provider-auth-5555",  # OpenAI keys start sk-: the simulated provider checks
    "api-key": "tok-azure-api-key-6666",
    "x-goog-api-key": "tok-goog-api-key-7777",
    "step header": "sk-step-header-8888",
    "universal body": "tok-universal-body-9999",
    "chat body": "tok-chat-body-AAAA",
}


def test_a_credential_keeps_its_scheme_and_last_four_characters():
    assert redact_secret("Bearer sk-live-0123-AAAA") == "Bearer ****AAAA"
    assert redact_secret("sk-ant-api03-xyzw") == "****xyzw"
    assert redact_secret("Bearer short") == "Bearer ****"
    assert redact_secret("session=abc123xyz; theme=dark") == "****dark"  # a cookie has no scheme
    assert redact_secret(redact_secret("Bearer sk-live-0123-AAAA")) == "Bearer ****AAAA"


def send_every_credential(emu) -> None:
    """Each token in its place, on the REST host, the gateway host and the universal endpoint."""
    gateway = f"{emu.base_url}/v1/{emu.account_id}/default"
    sent = [
        httpx.post(emu.openai_base_url + "/chat/completions", json={**CHAT, "metadata": {"x-api-key": TOKENS["chat body"]}},
                   headers={"Authorization": f"Bearer {TOKENS['rest authorization']}", "cf-aig-gateway-id": "default"}),
        httpx.post(emu.anthropic_base_url + "/v1/messages", headers={"x-api-key": TOKENS["rest x-api-key"]},
                   json={"model": "anthropic/claude-sonnet-4.5", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}),
        httpx.post(emu.openai_base_url + "/chat/completions", json=CHAT,
                   headers={"X-Auth-Key": TOKENS["rest x-auth-key"], "X-Auth-Email": "dev@example.com"}),
        httpx.post(gateway + "/openai/chat/completions", json={**CHAT, "model": "gpt-4.1"}, headers={
            "cf-aig-authorization": f"Bearer {TOKENS['cf-aig-authorization']}",
            "Authorization": f"Bearer {TOKENS['provider authorization']}",
            "api-key": TOKENS["api-key"], "x-goog-api-key": TOKENS["x-goog-api-key"],
        }),
        httpx.post(gateway, headers={"cf-aig-authorization": "Bearer gateway-token"}, json=[
            {"provider": "openai", "endpoint": "chat/completions", "headers": {"Authorization": f"Bearer {TOKENS['step header']}"},
             "query": {**CHAT, "model": "gpt-4.1"}},
        ]),
        # Refused (a step header name with a space): the journal keeps the body it was sent.
        httpx.post(gateway, headers={"cf-aig-authorization": "Bearer gateway-token"}, json=[
            {"provider": "openai", "endpoint": "chat/completions", "query": CHAT,
             "headers": {"x-api-key": TOKENS["universal body"], "bad name": "x"}},
        ]),
    ]
    assert [r.status_code for r in sent] == [200, 200, 200, 200, 200, 400], [r.text for r in sent]


def every_surface(emu) -> dict[str, str]:
    """What the journal and the logs API show, as text."""
    journal = httpx.get(emu.base_url + "/__emulator__/journal").text
    logs_url = f"{emu.account_url}/ai-gateway/gateways/default/logs"
    listing = httpx.get(logs_url, headers=emu.auth(), params={"per_page": 50})
    surfaces = {"journal": journal, "logs list": listing.text}
    for entry in listing.json()["result"]:
        for suffix in ("", "/request", "/response"):
            surfaces[f"log {entry['id']}{suffix}"] = httpx.get(f"{logs_url}/{entry['id']}{suffix}", headers=emu.auth()).text
    return surfaces


def test_no_surface_shows_a_credential_and_each_is_told_apart_by_its_last_four(emulator):
    reset(emulator)
    send_every_credential(emulator)
    surfaces = every_surface(emulator)
    surfaces["server output"] = emulator.stderr()
    leaks = [(place, surface) for place, token in TOKENS.items() for surface, text in surfaces.items() if token in text]
    assert leaks == []
    journal = json.loads(surfaces["journal"])["entries"]
    headers = [entry["headers"] for entry in journal]
    assert headers[0]["authorization"] == "Bearer ****1111"
    assert headers[1]["x-api-key"] == "****2222"
    assert headers[2]["x-auth-key"] == "****3333"
    assert (headers[3]["cf-aig-authorization"], headers[3]["authorization"]) == ("Bearer ****4444", "Bearer ****5555")
    assert (headers[3]["api-key"], headers[3]["x-goog-api-key"]) == ("****6666", "****7777")
    assert headers[4]["authorization"] == "Bearer ****8888"
    assert journal[0]["body"]["metadata"] == {"x-api-key": "****AAAA"}
    assert journal[5]["body"][0]["headers"]["x-api-key"] == "****9999"
    assert '"x-api-key":"****AAAA"' in surfaces[f"log {journal[0]['log_id']}"].replace(" ", "").replace("\\", "")


def test_a_failing_tests_report_shows_no_credential(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    # The tokens come from the environment: the report also quotes the test's source.
    monkeypatch.setenv("PLANTED_BODY_TOKEN", TOKENS["chat body"])
    monkeypatch.setenv("PLANTED_HEADER_TOKEN", TOKENS["rest authorization"])
    pytester.makepyfile(
        test_report="""
        import json, os, urllib.request

        def test_fails_after_sending_a_credential_in_its_body(ai_gateway):
            body = {"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "hi"}],
                    "metadata": {"authorization": "Bearer " + os.environ["PLANTED_BODY_TOKEN"]}}
            request = urllib.request.Request(
                ai_gateway.openai_base_url + "/chat/completions", data=json.dumps(body).encode(),
                headers={"Authorization": "Bearer " + os.environ["PLANTED_HEADER_TOKEN"], "Content-Type": "application/json"},
            )
            urllib.request.urlopen(request).read()
            assert False, "the app expected another answer"
        """
    )
    result = pytester.runpytest_subprocess("-p", "pytest_plugin.plugin", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    report = result.stdout.str()
    assert "ai gateway journal" in report and '"authorization": "Bearer ****AAAA"' in report
    assert TOKENS["chat body"] not in report and TOKENS["rest authorization"] not in report


def test_the_state_file_on_disk_holds_no_credential(start, tmp_path):
    running = start("--state-dir", str(tmp_path))
    send_every_credential(running)
    running.stop()
    written = b"".join(path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())
    assert written, "the state directory is empty"
    assert [place for place, token in TOKENS.items() if token.encode() in written] == []
