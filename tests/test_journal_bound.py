"""The journal keeps at most --journal-size requests, dropping the oldest."""

from __future__ import annotations

import httpx


def test_journal_keeps_only_the_newest_requests_up_to_its_size(start):
    emu = start("--journal-size", "2")
    url = emu.openai_base_url + "/chat/completions"
    for word in ("first", "second", "third"):
        body = {"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": word}]}
        assert httpx.post(url, json=body, headers=emu.auth()).status_code == 200
    entries = httpx.get(emu.base_url + "/__emulator__/journal").json()["entries"]
    assert [e["body"]["messages"][0]["content"] for e in entries] == ["second", "third"]


def test_journal_size_comes_from_the_environment(start):
    emu = start(env={"AI_GATEWAY_EMULATOR_JOURNAL_MAX_ENTRIES": "1"})
    url = emu.openai_base_url + "/chat/completions"
    for word in ("first", "second"):
        httpx.post(url, json={"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": word}]}, headers=emu.auth())
    entries = httpx.get(emu.base_url + "/__emulator__/journal").json()["entries"]
    assert [e["body"]["messages"][0]["content"] for e in entries] == ["second"]


def test_journal_size_below_one_is_refused_at_start_up():
    import subprocess
    import sys

    from tests.server import ROOT

    run = subprocess.run([sys.executable, "-m", "emulator", "check", "--journal-max-entries", "0"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 2
    assert "journal_max_entries must be at least 1" in run.stderr
