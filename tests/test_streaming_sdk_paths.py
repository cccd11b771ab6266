"""Streaming as users must call it: the cloudflare SDK's raw streaming path, OpenAI streaming for a
Workers AI model, and a third-party model streamed through ai/run: each equals the plain answer."""

from __future__ import annotations

import json

import cloudflare
import httpx
import openai
import pytest

from tests.streaming_support import CHAT_MODEL, CLAUDE, LLAMA, payloads, sse_events

WORKERS_AI_CHAT = {"model": LLAMA, "messages": [{"role": "user", "content": "Stream a Workers AI chat answer"}]}


def test_cloudflare_sdk_streaming_response_lines_add_up_to_the_plain_run_answer(emulator):
    cf = cloudflare.Cloudflare(base_url=emulator.cloudflare_base_url, api_token=emulator.api_token, max_retries=0)
    ask = {"account_id": emulator.account_id, "prompt": "Stream through the cloudflare SDK"}
    whole = cf.ai.run(LLAMA, **ask)
    with cf.ai.with_streaming_response.run(LLAMA, **ask, stream=True) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"
    frames = [json.loads(line[len("data: "):]) for line in lines[:-1]]
    assert len(frames) > 2
    assert "".join(frame["response"] for frame in frames) == whole["response"]
    assert frames[-1]["usage"] == whole["usage"]
    assert not any("usage" in frame for frame in frames[:-1])


@pytest.fixture
def workers_ai_openai(emulator) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=emulator.openai_base_url, api_key=emulator.api_token, max_retries=0,
        default_headers={"cf-aig-gateway-id": "default"},
    )


def test_openai_stream_of_a_workers_ai_model_equals_the_plain_answer(workers_ai_openai):
    whole = workers_ai_openai.chat.completions.create(**WORKERS_AI_CHAT)
    chunks = list(workers_ai_openai.chat.completions.create(**WORKERS_AI_CHAT, stream=True, stream_options={"include_usage": True}))
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == whole.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert chunks[-1].usage == whole.usage
    assert {chunk.model for chunk in chunks} == {LLAMA}


def test_openai_stream_helper_of_a_workers_ai_model_gives_the_plain_answer(workers_ai_openai):
    whole = workers_ai_openai.chat.completions.create(**WORKERS_AI_CHAT)
    with workers_ai_openai.chat.completions.stream(**WORKERS_AI_CHAT, stream_options={"include_usage": True}) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == whole.choices[0].message.content
    assert final.choices[0].finish_reason == whole.choices[0].finish_reason
    assert final.usage == whole.usage


def test_openai_model_on_ai_run_streams_the_plain_text_and_usage(emulator):
    body = {"model": CHAT_MODEL, "input": {"messages": [{"role": "user", "content": "Stream GPT via run"}]}}
    whole = plain_run_result(emulator, body)
    body["input"].update(stream=True, stream_options={"include_usage": True})
    _, events = sse_events(emulator, "/ai/run", body)
    chunks = payloads(events)
    assert events[-1] == (None, "[DONE]")
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]) == whole["choices"][0]["message"]["content"]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == whole["usage"]


def test_anthropic_model_on_ai_run_streams_the_plain_text_and_usage(emulator):
    body = {"model": CLAUDE, "input": {"max_tokens": 100, "messages": [{"role": "user", "content": "Stream Claude usage via run"}]}}
    whole = plain_run_result(emulator, body)
    body["input"]["stream"] = True
    _, events = sse_events(emulator, "/ai/run", body)
    events_by_type = payloads(events)
    text = "".join(e["delta"]["text"] for e in events_by_type if e["type"] == "content_block_delta")
    assert text == whole["content"][0]["text"]
    start = next(e for e in events_by_type if e["type"] == "message_start")["message"]["usage"]
    final = next(e for e in events_by_type if e["type"] == "message_delta")["usage"]
    assert start["input_tokens"] == whole["usage"]["input_tokens"]
    assert final["output_tokens"] == whole["usage"]["output_tokens"]
    assert next(e for e in events_by_type if e["type"] == "message_delta")["delta"]["stop_reason"] == whole["stop_reason"]


def plain_run_result(emulator, body: dict) -> dict:
    """The plain (non-streamed) ai/run answer's result."""
    response = httpx.post(emulator.account_url + "/ai/run", json=body, headers=emulator.auth(), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["result"]
