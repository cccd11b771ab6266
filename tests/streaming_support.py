"""What the streaming tests share: SDK clients, runtime fixtures, and raw SSE reading."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import openai

CHAT_MODEL = "openai/gpt-4.1"
CLAUDE = "anthropic/claude-sonnet-4.5"
LLAMA = "@cf/meta/llama-3.1-8b-instruct"

WEATHER_TOOL = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 7}},
    "required": ["city", "days"],
}


def openai_client(emulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=emulator.openai_base_url, api_key=emulator.api_token, max_retries=0)


def anthropic_client(emulator) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=emulator.anthropic_base_url, api_key=emulator.api_token, max_retries=0)


def reset(emulator) -> None:
    assert httpx.post(emulator.base_url + "/__emulator__/reset").status_code == 200


def add_fixture(emulator, spec: dict[str, Any]) -> None:
    added = httpx.post(emulator.base_url + "/__emulator__/fixtures", json=spec)
    assert added.status_code == 201, added.text


def sse_events(emulator, path: str, body: dict[str, Any]) -> tuple[httpx.Response, list[tuple[str | None, str]]]:
    """POST and read the whole event stream as (event name, data) pairs."""
    with httpx.stream("POST", emulator.account_url + path, json=body, headers=emulator.auth(), timeout=10) as response:
        text = response.read().decode()
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        name = None
        data = []
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: "):
                data.append(line[len("data: "):])
        events.append((name, "\n".join(data)))
    return response, events


def payloads(events: list[tuple[str | None, str]]) -> list[Any]:
    return [json.loads(data) for _, data in events if data != "[DONE]"]


def still_answers(emulator) -> None:
    """The server is healthy and answers a plain request after a fault."""
    assert httpx.get(emulator.base_url + "/__emulator__/health").json()["status"] == "ok"
    answer = openai_client(emulator).chat.completions.create(model=CHAT_MODEL, messages=[{"role": "user", "content": "still there?"}])
    assert answer.choices[0].message.content
