"""Streamed answers to varied valid-looking requests (tools, schemas, thinking, limits): never a
5xx, every stream ends on a complete frame, and the server logs no error (conftest checks)."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_fuzz import schema

NAME = st.from_regex(r"[a-z]{1,8}", fullmatch=True)
TURNS = st.lists(st.fixed_dictionaries({"role": st.just("user"), "content": st.text(min_size=1, max_size=30)}), min_size=1, max_size=2)
JSON_SCHEMA_FORMAT = st.fixed_dictionaries({"type": st.just("json_schema"), "name": st.just("x"), "schema": schema})

STREAMED = {
    "chat": ("/ai/v1/chat/completions", st.fixed_dictionaries(
        {"model": st.sampled_from(["openai/gpt-4.1", "@cf/meta/llama-3.1-8b-instruct"]), "messages": TURNS, "stream": st.just(True)},
        optional={
            "tools": st.lists(st.fixed_dictionaries({"type": st.just("function"), "function": st.fixed_dictionaries({"name": NAME, "parameters": schema})}), min_size=1, max_size=2),
            "tool_choice": st.sampled_from(["auto", "required"]),
            "stream_options": st.just({"include_usage": True}),
            "max_tokens": st.integers(1, 30),
            "response_format": st.fixed_dictionaries({"type": st.just("json_schema"), "json_schema": st.fixed_dictionaries({"name": st.just("x"), "schema": schema})}),
        })),
    "responses": ("/ai/v1/responses", st.fixed_dictionaries(
        {"model": st.just("openai/gpt-4.1"), "input": st.text(min_size=1, max_size=20), "stream": st.just(True)},
        optional={
            "tools": st.lists(st.fixed_dictionaries({"type": st.just("function"), "name": NAME, "parameters": schema}), min_size=1, max_size=2),
            "tool_choice": st.sampled_from(["auto", "required"]),
            "max_output_tokens": st.integers(16, 40),
            "text": st.fixed_dictionaries({"format": JSON_SCHEMA_FORMAT}),
        })),
    "messages": ("/ai/v1/messages", st.fixed_dictionaries(
        {"model": st.just("anthropic/claude-haiku-4.5"), "messages": TURNS, "max_tokens": st.integers(1, 3000), "stream": st.just(True)},
        optional={
            "tools": st.lists(st.fixed_dictionaries({"name": NAME, "input_schema": schema}), min_size=1, max_size=2),
            "tool_choice": st.sampled_from([{"type": "any"}, {"type": "auto"}]),
            "thinking": st.sampled_from([{"type": "enabled", "budget_tokens": 1024}, {"type": "adaptive"}]),
        })),
    "run": ("/ai/run", st.fixed_dictionaries(
        {"model": st.sampled_from(["@cf/meta/llama-3.1-8b-instruct", "openai/gpt-4.1"]), "input": st.fixed_dictionaries({"messages": TURNS, "stream": st.just(True)})})),
}


@pytest.fixture(scope="module")
def client(emulator):
    headers = {**emulator.auth(), "cf-aig-gateway-id": "default"}
    with httpx.Client(base_url=emulator.account_url, headers=headers, timeout=10) as http:
        yield http


@pytest.mark.parametrize("endpoint", sorted(STREAMED))
def test_streams_end_whole_and_never_fail_on_the_server(client, endpoint):
    path, bodies = STREAMED[endpoint]

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(body=bodies)
    def check(body):
        with client.stream("POST", path, content=json.dumps(body)) as response:
            data = b"".join(response.iter_bytes())
        assert response.status_code < 500, (body, data[:300])
        if response.status_code == 200:
            assert response.headers["content-type"].startswith("text/event-stream")
            assert data.endswith(b"\n\n"), (body, data[-200:])

    check()
