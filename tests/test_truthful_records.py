"""The records say what happened: a stream its client abandoned is logged 499, not a success, with
the tokens it was actually sent."""

from __future__ import annotations

import time

import httpx

from tests.streaming_support import add_fixture

WORDS = 40
CHAT_MODEL = "openai/gpt-4.1"


def journal_status(emu, log_id: str) -> int | None:
    entries = httpx.get(emu.base_url + "/__emulator__/journal").json()["entries"]
    return next((e["status"] for e in entries if e["log_id"] == log_id), None)


def test_a_stream_the_client_abandons_is_logged_499_unsuccessful_with_the_tokens_sent(start):
    private = start("--clock", "real")  # the client must leave while the stream is still being written
    add_fixture(private, {"match": {"content": "long"}, "respond": {"text": " ".join(["word"] * WORDS), "stream": {"chunk_delay_ms": 100}}})
    body = {"model": CHAT_MODEL, "stream": True, "messages": [{"role": "user", "content": "long"}]}
    with httpx.stream("POST", private.account_url + "/ai/v1/chat/completions", json=body, headers=private.auth(), timeout=5) as response:
        lines = response.iter_lines()
        received = [next(lines) for _ in range(8)]  # the role chunk, then a few words (blank lines between)
        log_id = response.headers["cf-aig-log-id"]
    assert any('"content":"word"' in line for line in received)
    deadline = time.monotonic() + 5  # the stream notices at its next frame, 0.1 s later
    while journal_status(private, log_id) != 499 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert journal_status(private, log_id) == 499
    log = httpx.get(f"{private.account_url}/ai-gateway/gateways/default/logs/{log_id}", headers=private.auth()).json()["result"]
    assert (log["status_code"], log["success"]) == (499, False)
    assert 1 <= log["tokens_out"] < WORDS

    with httpx.stream("POST", private.account_url + "/ai/v1/chat/completions", headers=private.auth(), timeout=10,
                      json={**body, "messages": [{"role": "user", "content": "short"}]}) as whole:
        whole.read()
    log = httpx.get(f"{private.account_url}/ai-gateway/gateways/default/logs/{whole.headers['cf-aig-log-id']}", headers=private.auth()).json()["result"]
    assert (log["status_code"], log["success"]) == (200, True)
