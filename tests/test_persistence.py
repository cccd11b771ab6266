"""--state-dir: gateways, their settings, logs and the clock survive a restart, and a crash
(SIGKILL while requests run) loses at most the requests in flight."""

from __future__ import annotations

import sqlite3
import threading

import httpx
import openai
import pytest

from emulator.settings import build_settings
from tests.server import start_emulator


def _gateways_url(emu) -> str:
    return f"{emu.account_url}/ai-gateway/gateways"


def _logs(emu, gateway: str = "default", **params) -> list[dict]:
    response = httpx.get(f"{_gateways_url(emu)}/{gateway}/logs", headers=emu.auth(), params={"per_page": 50, **params})
    assert response.status_code == 200, response.text
    return response.json()["result"]


def _chat(emu, text: str, **headers: str):
    client = openai.OpenAI(base_url=emu.openai_base_url, api_key=emu.api_token, max_retries=0, default_headers=headers)
    return client.with_raw_response.chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": text}])


def test_restart_keeps_gateways_their_settings_logs_and_the_clock(start, tmp_path):
    state = tmp_path / "state"
    first = start("--state-dir", str(state))
    assert f"state kept in: {state / 'state.sqlite3'}" in first.banner
    created = httpx.post(_gateways_url(first), headers=first.auth(), json={
        "id": "prod", "cache_ttl": 120, "cache_invalidate_on_update": False, "collect_logs": True,
        "rate_limiting_interval": 0, "rate_limiting_limit": 0, "guardrails": {"enabled": True},
    })
    assert created.status_code == 200, created.text
    assert httpx.put(f"{_gateways_url(first)}/prod", headers=first.auth(), json={
        "cache_ttl": 600, "cache_invalidate_on_update": False, "collect_logs": True, "rate_limiting_interval": 0, "rate_limiting_limit": 0,
    }).status_code == 200
    httpx.post(first.base_url + "/__emulator__/clock", json={"advance": 3600}).raise_for_status()
    first_answer = _chat(first, "Hello!", **{"cf-aig-gateway-id": "prod", "cf-aig-metadata": '{"user": "ada"}'})
    _chat(first, "Write a haiku about caches")  # through `default`, made on first use
    log_id = first_answer.headers["cf-aig-log-id"]
    patched = httpx.patch(f"{_gateways_url(first)}/prod/logs/{log_id}", headers=first.auth(), json={"feedback": 1})
    assert patched.status_code == 200
    before = {"prod": _logs(first, "prod"), "default": _logs(first)}
    clock_before = httpx.get(first.base_url + "/__emulator__/clock").json()
    first.stop()

    second = start("--state-dir", str(state))
    gateways = {g["id"]: g for g in httpx.get(_gateways_url(second), headers=second.auth()).json()["result"]}
    assert set(gateways) == {"default", "prod"}
    assert gateways["prod"]["cache_ttl"] == 600 and gateways["prod"]["guardrails"] == {"enabled": True}
    assert {"prod": _logs(second, "prod"), "default": _logs(second)} == before
    kept = httpx.get(f"{_gateways_url(second)}/prod/logs/{log_id}", headers=second.auth()).json()["result"]
    assert kept["feedback"] == 1 and kept["metadata"] == '{"user":"ada"}'
    body = httpx.get(f"{_gateways_url(second)}/prod/logs/{log_id}/response", headers=second.auth()).json()["result"]
    assert body["choices"][0]["message"]["content"] == first_answer.parse().choices[0].message.content
    assert httpx.get(second.base_url + "/__emulator__/clock").json() == clock_before
    # The dashboard still says which fixture answered (saved with the log), but no header is kept.
    detail = httpx.get(f"{second.base_url}/__emulator__/dashboard/gateways/{second.account_id}/prod/logs/{log_id}").json()
    assert detail["journal"]["fixture"] == "hello"
    assert any(r["fixture"] == "provider-outage" and r["result"] != "matched" for r in detail["journal"]["fixture_report"])
    assert "headers" not in detail["journal"]

    # The next run goes on: new log ids, none of the old ones again, the clock from where it stood.
    again = _chat(second, "Hello!", **{"cf-aig-gateway-id": "prod"})
    assert again.headers["cf-aig-log-id"] not in {e["id"] for e in before["prod"]}
    assert len(_logs(second, "prod")) == 2
    assert _logs(second, "prod")[0]["created_at"] >= clock_before["iso"][:19]


def test_reset_and_deleting_a_gateway_also_forget_the_saved_state(start, tmp_path):
    state = tmp_path / "state"
    first = start("--state-dir", str(state))
    httpx.post(_gateways_url(first), headers=first.auth(), json={
        "id": "gone", "cache_ttl": 0, "cache_invalidate_on_update": False, "collect_logs": True, "rate_limiting_interval": 0, "rate_limiting_limit": 0,
    }).raise_for_status()
    _chat(first, "Hello!", **{"cf-aig-gateway-id": "gone"})
    _chat(first, "Hello!")
    httpx.delete(f"{_gateways_url(first)}/gone", headers=first.auth()).raise_for_status()
    first.stop()

    second = start("--state-dir", str(state))
    assert [g["id"] for g in httpx.get(_gateways_url(second), headers=second.auth()).json()["result"]] == ["default"]
    assert len(_logs(second)) == 1
    httpx.post(second.base_url + "/__emulator__/clock", json={"advance": 60}).raise_for_status()
    httpx.post(second.base_url + "/__emulator__/reset").raise_for_status()
    second.stop()

    third = start("--state-dir", str(state))
    assert httpx.get(_gateways_url(third), headers=third.auth()).json()["result"] == []
    assert httpx.get(third.base_url + "/__emulator__/clock").json()["iso"] == "2026-01-01T00:00:00Z"


def test_state_dir_from_the_environment_or_the_config_file(start, tmp_path):
    from_env = start(env={"AI_GATEWAY_EMULATOR_STATE_DIR": str(tmp_path / "env")})
    assert f"state kept in: {tmp_path / 'env' / 'state.sqlite3'}" in from_env.banner
    config = tmp_path / "config.yaml"
    config.write_text(f"state_dir: {tmp_path / 'conf'}\n")
    assert build_settings({"config_file": config}, environ={}).state_dir == tmp_path / "conf"
    assert build_settings({}, environ={}).state_dir is None  # off by default


def test_a_state_dir_that_cannot_be_used_stops_the_start_with_the_reason(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    with pytest.raises(RuntimeError, match=r"ai-gateway-emulator: .*file/state.sqlite3: cannot use it as the state file"):
        start_emulator("--state-dir", str(blocked))


def test_sigkill_while_requests_run_loses_at_most_the_requests_in_flight(start, tmp_path):
    state = tmp_path / "state"
    first = start("--state-dir", str(state))
    answered: list[str] = []
    streamed: list[str] = []
    stop = threading.Event()

    def send(worker: int) -> None:
        client = openai.OpenAI(base_url=first.openai_base_url, api_key=first.api_token, max_retries=0, timeout=5)
        n = 0
        while not stop.is_set():
            n += 1
            try:
                raw = client.with_raw_response.chat.completions.create(
                    model="openai/gpt-4.1", messages=[{"role": "user", "content": f"worker {worker} request {n}"}],
                    stream=n % 3 == 0, stream_options={"include_usage": True} if n % 3 == 0 else openai.NOT_GIVEN,
                )
                if n % 3 == 0:
                    list(raw.parse())  # the stream read to its end
                    streamed.append(raw.headers["cf-aig-log-id"])
                answered.append(raw.headers["cf-aig-log-id"])
            except (openai.APIError, httpx.HTTPError):
                return

    workers = [threading.Thread(target=send, args=(w,)) for w in range(4)]
    for w in workers:
        w.start()
    while len(answered) < 60:
        threading.Event().wait(0.01)
    first.process.kill()  # SIGKILL: no shutdown, no checkpoint
    first.process.wait()
    stop.set()
    for w in workers:
        w.join()
    answered_before_kill, streamed_before_kill = set(answered), set(streamed)

    with sqlite3.connect(state / "state.sqlite3") as db:  # the file is a readable SQLite database after the crash
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    second = start("--state-dir", str(state))
    kept = []
    page = 1
    while True:
        chunk = _logs(second, page=page)
        kept += chunk
        if len(chunk) < 50:
            break
        page += 1
    kept_ids = {e["id"] for e in kept}
    # Every whole answer a client got is in the logs. A stream's entry is written once the server
    # has written its end, which the client may not wait for after `data: [DONE]`: such a stream
    # was still in flight. Besides those, at most one request per worker was in flight.
    assert answered_before_kill - streamed_before_kill <= kept_ids
    in_flight = (streamed_before_kill - kept_ids) | (kept_ids - answered_before_kill)
    assert len(in_flight) <= len(workers)
    streamed = [e for e in kept if e["response_content_type"] == "text/event-stream"]
    assert streamed
    for entry in streamed[:3]:
        body = httpx.get(f"{_gateways_url(second)}/default/logs/{entry['id']}/response", headers=second.auth()).json()["result"]
        assert body.rstrip().endswith("data: [DONE]")
