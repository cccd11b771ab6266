"""Streaming in every dialect, through the official SDKs: the accumulated stream is the answer."""

from __future__ import annotations

import json
import time
from typing import Any

import anthropic
import httpx
import httpx2
import openai
import pytest

from tests.streaming_support import (
    CHAT_MODEL, CLAUDE, LLAMA, WEATHER_TOOL, add_fixture, anthropic_client, openai_client, payloads, reset, sse_events,
    still_answers,
)

KINDS = ["text", "tool"]


def chat_request(kind: str) -> dict[str, Any]:
    body: dict[str, Any] = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": f"Stream me a {kind} answer"}]}
    if kind == "tool":
        body["tools"] = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_TOOL}}]
        body["tool_choice"] = "required"
    return body


def responses_request(kind: str) -> dict[str, Any]:
    body: dict[str, Any] = {"model": CHAT_MODEL, "input": f"Stream me a {kind} answer"}
    if kind == "tool":
        body["tools"] = [{"type": "function", "name": "get_weather", "parameters": WEATHER_TOOL, "strict": False}]
        body["tool_choice"] = "required"
    return body


def messages_request(kind: str) -> dict[str, Any]:
    body: dict[str, Any] = {"model": CLAUDE, "max_tokens": 300, "messages": [{"role": "user", "content": f"Stream me a {kind} answer"}]}
    if kind == "tool":
        body["tools"] = [{"name": "get_weather", "description": "Weather by city", "input_schema": WEATHER_TOOL}]
        body["tool_choice"] = {"type": "any"}
    return body


def tool_calls_of(message) -> list[tuple[str, str, str]]:
    return [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []]


# --- Chat Completions ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_chat_stream_chunks_add_up_to_the_non_streamed_answer(emulator, kind):
    client = openai_client(emulator)
    whole = client.chat.completions.create(**chat_request(kind))
    chunks = list(client.chat.completions.create(**chat_request(kind), stream=True, stream_options={"include_usage": True}))

    with_choices = [c for c in chunks if c.choices]
    roles = [c.choices[0].delta.role for c in with_choices]
    assert roles[0] == "assistant" and not any(roles[1:])
    text = "".join(c.choices[0].delta.content or "" for c in with_choices)
    assert (text if kind == "text" else None) == whole.choices[0].message.content
    calls: dict[int, list[str]] = {}
    for chunk in with_choices:
        for delta in chunk.choices[0].delta.tool_calls or []:
            if delta.index not in calls:
                calls[delta.index] = [delta.id, delta.function.name, ""]
            else:
                assert delta.id is None and delta.function.name is None
            calls[delta.index][2] += delta.function.arguments or ""
    assert [tuple(calls[i]) for i in sorted(calls)] == tool_calls_of(whole.choices[0].message)
    finishes = [c.choices[0].finish_reason for c in with_choices if c.choices[0].finish_reason]
    assert finishes == [whole.choices[0].finish_reason]
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage
    assert all(c.usage is None for c in chunks[:-1])
    assert {c.id for c in chunks} == {chunks[0].id}


@pytest.mark.parametrize("kind", KINDS)
def test_chat_stream_helper_final_completion_equals_the_non_streamed_answer(emulator, kind):
    client = openai_client(emulator)
    whole = client.chat.completions.create(**chat_request(kind))
    with client.chat.completions.stream(**chat_request(kind), stream_options={"include_usage": True}) as stream:
        final = stream.get_final_completion()
    got, expected = final.choices[0], whole.choices[0]
    assert got.message.role == expected.message.role == "assistant"
    assert got.message.content == expected.message.content
    assert tool_calls_of(got.message) == tool_calls_of(expected.message)
    assert got.finish_reason == expected.finish_reason
    assert final.usage == whole.usage
    assert final.model == whole.model


def test_chat_stream_without_include_usage_has_no_usage_chunk(emulator):
    response, events = sse_events(emulator, "/ai/v1/chat/completions", {**chat_request("text"), "stream": True})
    chunks = payloads(events)
    assert events[-1] == (None, "[DONE]")
    assert all(chunk["choices"] and "usage" not in chunk for chunk in chunks)


def test_stream_is_event_stream_with_gateway_and_request_id_headers(emulator):
    response, events = sse_events(emulator, "/ai/v1/chat/completions", {**chat_request("text"), "stream": True})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-request-id"].startswith("req_")
    assert response.headers["cf-aig-log-id"] and response.headers["cf-aig-step"] == "0"
    assert "content-length" not in response.headers


# --- Responses ----------------------------------------------------------------------------
def comparable(response) -> dict[str, Any]:
    """A Response without what differs between any two calls (ids, times)."""
    data = response.model_dump()
    for key in ("id", "created_at", "completed_at"):
        data.pop(key)
    for item in data["output"]:
        item.pop("id")
        item.pop("parsed_arguments", None)  # what the stream helper adds
        for part in item.get("content", []):
            part.pop("parsed", None)
    return data


@pytest.mark.parametrize("kind", KINDS)
def test_responses_stream_events_end_on_completed_with_the_non_streamed_response(emulator, kind):
    client = openai_client(emulator)
    whole = client.responses.create(**responses_request(kind))
    events = list(client.responses.create(**responses_request(kind), stream=True))

    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert [e.type for e in events[:2]] == ["response.created", "response.in_progress"]
    assert events[-1].type == "response.completed"
    assert len({e.response.id for e in events if hasattr(e, "response")}) == 1
    completed = events[-1].response
    assert comparable(completed) == comparable(whole)
    added = [e.item.id for e in events if e.type == "response.output_item.added"]
    assert added == [e.item.id for e in events if e.type == "response.output_item.done"] == [i.id for i in completed.output]
    if kind == "text":
        assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == whole.output_text
    else:
        arguments = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
        assert arguments == whole.output[0].arguments


@pytest.mark.parametrize("kind", KINDS)
def test_responses_stream_helper_final_response_equals_the_non_streamed_response(emulator, kind):
    client = openai_client(emulator)
    whole = client.responses.create(**responses_request(kind))
    with client.responses.stream(**responses_request(kind)) as stream:
        final = stream.get_final_response()
    assert comparable(final) == comparable(whole)
    assert final.output_text == whole.output_text


# --- Anthropic Messages ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_messages_stream_final_message_equals_the_non_streamed_message(emulator, kind):
    client = anthropic_client(emulator)
    whole = client.messages.create(**messages_request(kind))
    with client.messages.stream(**messages_request(kind)) as stream:
        final = stream.get_final_message()
    assert final.model_dump(exclude={"id"}) == whole.model_dump(exclude={"id"})


@pytest.mark.parametrize("kind", KINDS)
def test_messages_text_stream_yields_the_non_streamed_text(emulator, kind):
    client = anthropic_client(emulator)
    whole = client.messages.create(**messages_request(kind))
    with client.messages.stream(**messages_request(kind)) as stream:
        pieces = list(stream.text_stream)
    assert "".join(pieces) == "".join(b.text for b in whole.content if b.type == "text")
    assert (len(pieces) > 1) == (kind == "text")


def test_messages_stream_events_are_named_and_in_order(emulator):
    _, events = sse_events(emulator, "/ai/v1/messages", {**messages_request("text"), "stream": True})
    names = [name for name, _ in events]
    assert all(name == json.loads(data)["type"] for name, data in events)
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]


# --- ai/run -------------------------------------------------------------------------------
RUN_FORMS = {
    "envelope": lambda stream: ("/ai/run", {"model": LLAMA, "input": {"prompt": "Stream over ai/run", "stream": stream}}),
    "legacy": lambda stream: (f"/ai/run/{LLAMA}", {"prompt": "Stream over ai/run", "stream": stream}),
}


@pytest.mark.parametrize("form", sorted(RUN_FORMS))
def test_workers_ai_stream_frames_add_up_to_the_non_streamed_result(emulator, form):
    path, body = RUN_FORMS[form](False)
    headers = emulator.auth(**({"cf-aig-gateway-id": "default"} if form == "envelope" else {}))
    whole = httpx.post(emulator.account_url + path, json=body, headers=headers).json()["result"]
    path, body = RUN_FORMS[form](True)
    with httpx.stream("POST", emulator.account_url + path, json=body, headers=headers) as response:
        text = response.read().decode()
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = [block[len("data: "):] for block in text.split("\n\n") if block]
    assert frames[-1] == "[DONE]"
    data = [json.loads(frame) for frame in frames[:-1]]
    assert "".join(d["response"] for d in data) == whole["response"]
    assert data[-1]["usage"] == whole["usage"]
    assert not any("usage" in d for d in data[:-1])
    assert not any("result" in d or "success" in d for d in data)


def test_third_party_model_on_ai_run_streams_its_providers_own_events(emulator):
    body = {"model": CLAUDE, "input": {"max_tokens": 100, "messages": [{"role": "user", "content": "Stream Claude via run"}]}}
    whole = httpx.post(emulator.account_url + "/ai/run", json=body, headers=emulator.auth()).json()["result"]
    body["input"]["stream"] = True
    _, events = sse_events(emulator, "/ai/run", body)
    assert events[0][0] == "message_start" and events[-1][0] == "message_stop"
    text = "".join(p["delta"]["text"] for p in payloads(events) if p["type"] == "content_block_delta")
    assert text == whole["content"][0]["text"]


# --- chunking and delays from fixtures -----------------------------------------------------
def test_fixture_chunks_by_characters(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "chunk by chars"}, "respond": {"text": "abcdefghij", "stream": {"chars": 4}}})
    stream = openai_client(emulator).chat.completions.create(
        model=CHAT_MODEL, messages=[{"role": "user", "content": "chunk by chars"}], stream=True
    )
    assert [c.choices[0].delta.content for c in stream if c.choices[0].delta.content] == ["abcd", "efgh", "ij"]


def test_fixture_explicit_chunks_are_the_streamed_pieces_and_the_whole_text(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "explicit"}, "respond": {"stream": {"chunks": ["Hel", "lo, ", "world"]}}})
    client = anthropic_client(emulator)
    request = {"model": CLAUDE, "max_tokens": 50, "messages": [{"role": "user", "content": "explicit"}]}
    with client.messages.stream(**request) as stream:
        assert list(stream.text_stream) == ["Hel", "lo, ", "world"]
    assert client.messages.create(**request).content[0].text == "Hello, world"


def test_fixture_delays_pass_on_the_virtual_clock(emulator):
    reset(emulator)
    start = httpx.get(emulator.base_url + "/__emulator__/clock").json()["now"]
    add_fixture(emulator, {
        "match": {"content": "slow stream"},
        "respond": {"text": "one two three", "stream": {"first_chunk_delay_ms": 1500, "chunk_delay_ms": 250}},
    })
    _, events = sse_events(emulator, "/ai/v1/chat/completions", {
        "model": CHAT_MODEL, "stream": True, "messages": [{"role": "user", "content": "slow stream"}],
    })
    elapsed = httpx.get(emulator.base_url + "/__emulator__/clock").json()["now"] - start
    assert elapsed == pytest.approx(1.5 + 0.25 * (len(events) - 1))


@pytest.mark.parametrize("stream, complaint", [
    ({"chars": 0}, "$.fixtures[0].respond.stream.chars"),
    ({"chars": 3, "chunks": ["a"]}, "choose one chunking"),
    ({"error_after": 1, "disconnect_after": 2}, "at most one fault"),
    ({"chunks": ["a", "b"]}, "concatenate to respond.text"),
    ({"retry_after": 1}, "retry_after"),
])
def test_bad_stream_fixture_is_refused_naming_the_field(emulator, stream, complaint):
    reset(emulator)
    added = httpx.post(emulator.base_url + "/__emulator__/fixtures", json={"respond": {"text": "abc", "stream": stream}})
    assert added.status_code == 400
    assert complaint in added.json()["error"]


# --- faults: what the SDK raises or yields, and the server answers afterwards ---------------
def fault_fixture(emulator, fault: str, after: int = 3) -> None:
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "fault"}, "respond": {"text": "one two three four five", "stream": {fault: after}}})


def chat_stream(emulator):
    return openai_client(emulator).chat.completions.create(model=CHAT_MODEL, messages=[{"role": "user", "content": "fault"}], stream=True)


def responses_helper(emulator):
    with openai_client(emulator).responses.stream(model=CHAT_MODEL, input="fault") as stream:
        return stream.get_final_response()


def messages_helper(emulator):
    request = {"model": CLAUDE, "max_tokens": 50, "messages": [{"role": "user", "content": "fault"}]}
    with anthropic_client(emulator).messages.stream(**request) as stream:
        return stream.get_final_message()


def test_chat_mid_stream_error_raises_api_error_after_the_first_chunks(emulator):
    fault_fixture(emulator, "error_after")
    received = []
    with pytest.raises(openai.APIError, match="The server had an error"):
        for chunk in chat_stream(emulator):
            received.append(chunk.choices[0].delta.content)
    assert received == ["", "one", " two"]
    still_answers(emulator)


def test_responses_mid_stream_error_is_a_failed_event_and_no_final_response(emulator):
    fault_fixture(emulator, "error_after")
    events = list(openai_client(emulator).responses.create(model=CHAT_MODEL, input="fault", stream=True))
    assert events[-1].type == "response.failed"
    assert events[-1].response.status == "failed" and events[-1].response.error.code == "server_error"
    assert [e.sequence_number for e in events] == [0, 1, 2, 3]
    with pytest.raises(RuntimeError, match="response.completed"):
        responses_helper(emulator)
    still_answers(emulator)


def test_messages_mid_stream_error_raises_overloaded_status_error(emulator):
    fault_fixture(emulator, "error_after")
    with pytest.raises(anthropic.APIStatusError) as raised:
        messages_helper(emulator)
    assert raised.value.body["error"]["type"] == "overloaded_error"
    still_answers(emulator)


def test_workers_ai_mid_stream_error_is_an_errors_frame_then_the_end(emulator):
    fault_fixture(emulator, "error_after", after=2)
    _, events = sse_events(emulator, f"/ai/run/{LLAMA}", {"prompt": "fault", "stream": True})
    data = payloads(events)
    assert [d.get("response") for d in data[:2]] == ["one", " two"]
    assert data[2]["errors"][0]["message"].startswith("AiError:") and len(data) == 3
    still_answers(emulator)


@pytest.mark.parametrize("client_call", [chat_stream, responses_helper, messages_helper], ids=["chat", "responses", "messages"])
def test_malformed_chunk_makes_the_sdk_raise_a_json_error(emulator, client_call):
    fault_fixture(emulator, "malformed_after")
    with pytest.raises(json.JSONDecodeError):
        result = client_call(emulator)
        list(result) if isinstance(result, openai.Stream) else None
    still_answers(emulator)


# Newer SDKs (openai 3.x from some release on, anthropic 2.17) wrap a read that fails mid-stream in
# APIConnectionError; the lowest supported ones let the transport's RemoteProtocolError escape.
# Either way the stream fails loudly, with the truncated body as the cause.
@pytest.mark.parametrize("client_call, raised", [
    (chat_stream, (openai.APIConnectionError, httpx2.RemoteProtocolError)),
    (responses_helper, (openai.APIConnectionError, httpx2.RemoteProtocolError)),
    (messages_helper, (anthropic.APIConnectionError, httpx2.RemoteProtocolError)),
], ids=["chat", "responses", "messages"])
def test_disconnect_mid_stream_surfaces_as_a_truncated_body(emulator, client_call, raised):
    fault_fixture(emulator, "disconnect_after")
    with pytest.raises(raised) as caught:
        result = client_call(emulator)
        list(result) if isinstance(result, openai.Stream) else None
    cause = caught.value if isinstance(caught.value, httpx2.RemoteProtocolError) else caught.value.__cause__
    assert isinstance(cause, httpx2.RemoteProtocolError) and "incomplete chunked read" in str(cause)
    still_answers(emulator)


def test_client_leaving_mid_stream_leaves_no_traceback_and_the_server_keeps_serving(start):
    private = start("--clock", "real")
    add_fixture(private, {"match": {"content": "long"}, "respond": {"text": " ".join(["word"] * 50), "stream": {"chunk_delay_ms": 200}}})
    body = {"model": CHAT_MODEL, "stream": True, "messages": [{"role": "user", "content": "long"}]}
    with httpx.stream("POST", private.account_url + "/ai/v1/chat/completions", json=body, headers=private.auth(), timeout=5) as response:
        first = next(response.iter_lines())
        log_id = response.headers["cf-aig-log-id"]
    # 52 chunks 0.2 s apart take 10 s to produce: the first one arriving means chunks are flushed as made.
    assert json.loads(first[len("data: "):])["choices"][0]["delta"]["role"] == "assistant"
    still_answers(private)
    # The stream stops at its next frame once the client is gone: the log's response (what was
    # written) does not grow by a chunk every 0.2 s. (Real time here: the test is about --clock real.)
    time.sleep(1.2)
    written = httpx.get(f"{private.account_url}/ai-gateway/gateways/default/logs/{log_id}/response", headers=private.auth())
    assert written.status_code == 200, written.text
    assert 1 <= str(written.json()["result"]).count("chat.completion.chunk") <= 3, written.text
    log = private.stop()
    assert "Traceback" not in log and "Task was destroyed" not in log, log


def test_text_and_two_tool_calls_stream_as_separate_blocks_and_indexes(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "text and tools"}, "respond": {
        "text": "Checking both cities.",
        "tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}, {"name": "get_weather", "arguments": {"city": "Rome", "days": 1}}],
    }})
    chat = {**chat_request("tool"), "messages": [{"role": "user", "content": "text and tools"}], "tool_choice": "auto"}
    openai_sdk = openai_client(emulator)
    whole = openai_sdk.chat.completions.create(**chat)
    with openai_sdk.chat.completions.stream(**chat) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == whole.choices[0].message.content == "Checking both cities."
    assert tool_calls_of(final.choices[0].message) == tool_calls_of(whole.choices[0].message)
    assert len(tool_calls_of(final.choices[0].message)) == 2

    messages = {**messages_request("tool"), "messages": [{"role": "user", "content": "text and tools"}], "tool_choice": {"type": "auto"}}
    anthropic_sdk = anthropic_client(emulator)
    whole_message = anthropic_sdk.messages.create(**messages)
    with anthropic_sdk.messages.stream(**messages) as stream:
        final_message = stream.get_final_message()
    assert [b.type for b in final_message.content] == ["text", "tool_use", "tool_use"]
    assert final_message.model_dump(exclude={"id"}) == whole_message.model_dump(exclude={"id"})


def test_gateway_log_of_a_streamed_request_holds_the_event_stream_and_its_tokens(emulator):
    reset(emulator)
    response, events = sse_events(emulator, "/ai/v1/chat/completions", {**chat_request("text"), "stream": True, "stream_options": {"include_usage": True}})
    logs = f"{emulator.account_url}/ai-gateway/gateways/default/logs/{response.headers['cf-aig-log-id']}"
    entry = httpx.get(logs, headers=emulator.auth()).json()["result"]
    usage = payloads(events)[-1]["usage"]
    assert (entry["tokens_in"], entry["tokens_out"]) == (usage["prompt_tokens"], usage["completion_tokens"])
    assert entry["response_content_type"].startswith("text/event-stream")
    body = httpx.get(logs + "/response", headers=emulator.auth()).json()["result"]
    assert body.endswith("data: [DONE]\n\n") and entry["response_size"] == len(body.encode())


def test_responses_cut_by_max_output_tokens_ends_on_incomplete_which_the_stream_helper_rejects(emulator):
    # The real API ends such a stream on response.incomplete; openai 3.54's helper then raises
    # (openai/openai-python PR #3538 proposes accepting it), so the emulator must make it raise too.
    client = openai_client(emulator)
    request = {"model": CHAT_MODEL, "input": "cut short please", "max_output_tokens": 16}
    whole = client.responses.create(**request)
    events = list(client.responses.create(**request, stream=True))
    assert whole.status == "incomplete" and events[-1].type == "response.incomplete"
    assert comparable(events[-1].response) == comparable(whole)
    with pytest.raises(RuntimeError, match="response.completed"):
        with client.responses.stream(**request) as stream:
            stream.get_final_response()
