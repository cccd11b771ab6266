"""ai/v1/chat/completions through the official openai SDK."""

from __future__ import annotations

import json

from tests.checks import ORDER_SCHEMA, assert_gateway_headers, assert_valid

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "required": ["city", "unit"],
            "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
        },
    },
}
ORDER_TOOL = {"type": "function", "function": {"name": "place_order", "parameters": ORDER_SCHEMA}}


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def test_chat_completion_is_a_raw_openai_object_with_usage(openai_client):
    raw = openai_client.chat.completions.with_raw_response.create(model="openai/gpt-4o-mini", messages=user("Tell me a story"))
    completion = raw.parse()
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == "openai/gpt-4o-mini"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content
    usage = completion.usage
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert_gateway_headers(raw.headers)
    assert completion._request_id == raw.headers["x-request-id"]


def test_event_id_sent_by_the_client_is_echoed(openai_client):
    raw = openai_client.chat.completions.with_raw_response.create(
        model="openai/gpt-4.1", messages=user("hi"), extra_headers={"cf-aig-event-id": "evt-42"}
    )
    assert_gateway_headers(raw.headers, event_id="evt-42")


def test_each_answer_gets_its_own_log_id(openai_client):
    first = openai_client.chat.completions.with_raw_response.create(model="openai/gpt-4.1", messages=user("hi"))
    second = openai_client.chat.completions.with_raw_response.create(model="openai/gpt-4.1", messages=user("hi"))
    assert first.headers["cf-aig-log-id"] != second.headers["cf-aig-log-id"]


def test_workers_ai_model_runs_on_chat_completions_with_a_gateway(openai_client):
    completion = openai_client.chat.completions.create(
        model="@cf/meta/llama-3.1-8b-instruct", messages=user("hi"), extra_headers={"cf-aig-gateway-id": "default"}
    )
    assert completion.choices[0].message.content


def test_fixture_tool_calls_come_back_as_openai_tool_calls(openai_client):
    completion = openai_client.chat.completions.create(
        model="openai/gpt-4.1", messages=user("What is the weather in Paris today?"), tools=[WEATHER_TOOL]
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    call = choice.message.tool_calls[0]
    assert call.id.startswith("call_")
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}


def test_tool_choice_naming_a_function_gets_arguments_valid_for_its_schema(openai_client):
    completion = openai_client.chat.completions.create(
        model="openai/gpt-4.1",
        messages=user("Order something"),
        tools=[WEATHER_TOOL, ORDER_TOOL],
        tool_choice={"type": "function", "function": {"name": "place_order"}},
    )
    call = completion.choices[0].message.tool_calls[0]
    assert call.function.name == "place_order"
    assert_valid(json.loads(call.function.arguments), ORDER_SCHEMA)


def test_tool_choice_required_calls_a_tool_with_valid_arguments(openai_client):
    completion = openai_client.chat.completions.create(
        model="openai/gpt-4.1", messages=user("anything"), tools=[WEATHER_TOOL], tool_choice="required"
    )
    call = completion.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert_valid(json.loads(call.function.arguments), WEATHER_TOOL["function"]["parameters"])


def test_tool_choice_auto_answers_with_text(openai_client):
    completion = openai_client.chat.completions.create(model="openai/gpt-4.1", messages=user("anything"), tools=[WEATHER_TOOL])
    assert completion.choices[0].message.tool_calls is None
    assert completion.choices[0].message.content


def test_response_format_json_schema_gets_a_valid_answer(openai_client):
    for question in ("first order", "second order", "third order"):
        completion = openai_client.chat.completions.create(
            model="openai/gpt-4.1",
            messages=user(question),
            response_format={"type": "json_schema", "json_schema": {"name": "order", "schema": ORDER_SCHEMA, "strict": True}},
        )
        assert_valid(json.loads(completion.choices[0].message.content), ORDER_SCHEMA)


def test_response_format_json_object_gets_a_json_object(openai_client):
    completion = openai_client.chat.completions.create(
        model="openai/gpt-4.1", messages=user("json please"), response_format={"type": "json_object"}
    )
    assert isinstance(json.loads(completion.choices[0].message.content), dict)


def test_max_tokens_cuts_the_answer_with_finish_reason_length(openai_client):
    completion = openai_client.chat.completions.create(model="openai/gpt-4.1", messages=user("Tell me a long story"), max_tokens=2)
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.completion_tokens == 2
