"""ai/v1/messages through the official anthropic SDK, on both base URLs."""

from __future__ import annotations

import anthropic
import pytest

from tests.checks import ORDER_SCHEMA, assert_gateway_headers, assert_valid

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather",
    "input_schema": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}},
}
ORDER_TOOL = {"name": "place_order", "input_schema": ORDER_SCHEMA}


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


@pytest.fixture(params=["ai", "ai/v1"])
def client(request, emulator):
    """The SDK on `.../ai` (sends /ai/v1/messages) and on `.../ai/v1` as Cloudflare's docs show (sends /ai/v1/v1/messages)."""
    return anthropic.Anthropic(base_url=f"{emulator.account_url}/{request.param}", api_key=emulator.api_token, max_retries=0)


def test_message_through_both_base_urls(client):
    raw = client.messages.with_raw_response.create(model="anthropic/claude-sonnet-4.5", max_tokens=200, messages=user("Tell me a story"))
    message = raw.parse()
    assert message.type == "message"
    assert message.id.startswith("msg_")
    assert message.role == "assistant"
    assert message.model == "anthropic/claude-sonnet-4.5"
    assert message.content[0].type == "text" and message.content[0].text
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
    assert_gateway_headers(raw.headers)
    assert raw.headers["request-id"].startswith("req_")
    assert message._request_id == raw.headers["request-id"]


def test_error_carries_request_id_header_and_body(client):
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(model="anthropic/claude-sonnet-4.5", max_tokens=10, messages=[{"role": "robot", "content": "x"}])
    err = caught.value
    assert err.request_id and err.request_id.startswith("req_")
    assert err.body["request_id"] == err.request_id
    assert err.body["type"] == "error"
    assert err.body["error"]["type"] == "invalid_request_error"
    assert "messages.0.role" in err.body["error"]["message"]


def test_x_api_key_is_accepted_as_older_sdks_send_it(emulator):
    import httpx

    body = {"model": "anthropic/claude-haiku-4.5", "max_tokens": 50, "messages": user("hi")}
    headers = {"x-api-key": emulator.api_token, "anthropic-version": "2023-06-01"}
    response = httpx.post(emulator.account_url + "/ai/v1/messages", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["type"] == "message"
    assert_gateway_headers(response.headers)


def test_any_anthropic_version_is_accepted(http):
    body = {"model": "anthropic/claude-haiku-4.5", "max_tokens": 50, "messages": user("hi")}
    assert http.post("/ai/v1/messages", json=body, headers={"anthropic-version": "1999-01-01"}).status_code == 200


def test_system_as_string_or_blocks(anthropic_client):
    for system in ("Be brief", [{"type": "text", "text": "Be brief"}]):
        message = anthropic_client.messages.create(model="anthropic/claude-sonnet-4.5", max_tokens=50, system=system, messages=user("hi"))
        assert message.content[0].text


def test_fixture_tool_calls_come_back_as_tool_use_blocks(anthropic_client):
    message = anthropic_client.messages.create(
        model="anthropic/claude-sonnet-4.5", max_tokens=200, tools=[WEATHER_TOOL], messages=user("What is the weather in Paris?")
    )
    assert message.stop_reason == "tool_use"
    block = next(b for b in message.content if b.type == "tool_use")
    assert block.id.startswith("toolu_")
    assert block.name == "get_weather" and block.input == {"city": "Paris"}


@pytest.mark.parametrize("choice", [{"type": "tool", "name": "place_order"}, {"type": "any"}])
def test_forced_tool_choice_gets_input_valid_for_the_tool_schema(anthropic_client, choice):
    tools = [ORDER_TOOL, WEATHER_TOOL] if choice["type"] == "tool" else [ORDER_TOOL]
    message = anthropic_client.messages.create(
        model="anthropic/claude-sonnet-4.5", max_tokens=500, tools=tools, tool_choice=choice, messages=user("buy")
    )
    block = next(b for b in message.content if b.type == "tool_use")
    assert block.name == "place_order"
    assert_valid(block.input, ORDER_SCHEMA)


def test_output_format_json_schema_gets_a_valid_answer(http):
    import json

    body = {
        "model": "anthropic/claude-sonnet-4.5",
        "max_tokens": 500,
        "messages": user("an order"),
        "output_format": {"type": "json_schema", "schema": ORDER_SCHEMA},
    }
    response = http.post("/ai/v1/messages", json=body)
    assert response.status_code == 200, response.text
    assert_valid(json.loads(response.json()["content"][0]["text"]), ORDER_SCHEMA)


def test_other_third_party_models_answer_on_messages(anthropic_client):
    message = anthropic_client.messages.create(model="openai/gpt-4.1", max_tokens=50, messages=user("hi"))
    assert message.model == "openai/gpt-4.1"


THINKING = {"type": "enabled", "budget_tokens": 1024}


def test_extended_thinking_answers_a_signed_thinking_block_before_the_text(client):
    ask = {"model": "anthropic/claude-sonnet-4.5", "max_tokens": 2048, "messages": user("Think first")}
    thought = client.messages.create(**ask, thinking=THINKING)
    plain = client.messages.create(**ask)
    assert [block.type for block in thought.content] == ["thinking", "text"]
    assert thought.content[0].thinking and thought.content[0].signature
    assert thought.content[1].text == plain.content[0].text  # the answer is the same, thinking or not
    assert thought.usage.output_tokens > plain.usage.output_tokens  # thinking is billed as output
    with client.messages.stream(**ask, thinking=THINKING) as stream:
        kinds = {event.type for event in stream}
        streamed = stream.get_final_message()
    assert {"thinking", "signature"} <= kinds  # the SDK's events for thinking_delta and signature_delta
    assert streamed.model_dump(exclude={"id"}) == thought.model_dump(exclude={"id"})


def test_a_fixture_scripts_the_thinking_and_adaptive_thinking_shows_it(client, add_fixture, http):
    add_fixture({"match": {"content": "scripted thought"}, "respond": {"reasoning": "First, the facts.", "text": "Done."}})
    message = client.messages.create(model="anthropic/claude-sonnet-4.5", max_tokens=100, messages=user("scripted thought"), thinking={"type": "adaptive"})
    assert [(b.type, getattr(b, "thinking", None) or getattr(b, "text", None)) for b in message.content] == [("thinking", "First, the facts."), ("text", "Done.")]
    without = client.messages.create(model="anthropic/claude-sonnet-4.5", max_tokens=100, messages=user("scripted thought"))
    assert [b.type for b in without.content] == ["text"]


@pytest.mark.parametrize(
    "thinking,max_tokens,words",
    [
        ({"type": "enabled", "budget_tokens": 100}, 2048, "greater than or equal to 1024"),
        ({"type": "enabled"}, 2048, "budget_tokens"),
        ({"type": "enabled", "budget_tokens": 4096}, 2048, "`max_tokens` must be greater than `thinking.budget_tokens`"),
    ],
)
def test_thinking_budget_errors_are_anthropic_400s(client, thinking, max_tokens, words):
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.messages.create(model="anthropic/claude-sonnet-4.5", max_tokens=max_tokens, messages=user("x"), thinking=thinking)
    assert raised.value.body["error"]["type"] == "invalid_request_error" and words in raised.value.body["error"]["message"]
