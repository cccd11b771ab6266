"""Small helpers shared by the gateway feature tests: reset, fixtures, chat calls, journal."""

from __future__ import annotations

from typing import Any

import httpx

MODEL = "openai/gpt-4.1"


def reset(emu) -> None:
    assert httpx.post(emu.base_url + "/__emulator__/reset").status_code == 200


def add_fixture(emu, spec: dict[str, Any]) -> None:
    response = httpx.post(emu.base_url + "/__emulator__/fixtures", json=spec)
    assert response.status_code == 201, response.text


def advance(emu, seconds: float) -> dict[str, Any]:
    return httpx.post(emu.base_url + "/__emulator__/clock", json={"advance": seconds}).json()


def chat(emu, content: str, headers: dict[str, str] | None = None, **body: Any) -> httpx.Response:
    payload = {"model": MODEL, "messages": [{"role": "user", "content": content}], **body}
    return httpx.post(emu.openai_base_url + "/chat/completions", json=payload, headers=emu.auth(**(headers or {})))


def last_journal_entry(emu) -> dict[str, Any]:
    return httpx.get(emu.base_url + "/__emulator__/journal").json()["entries"][-1]
