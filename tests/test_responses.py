"""ai/v1/responses through the official openai SDK."""

from __future__ import annotations

import json

from tests.checks import ORDER_SCHEMA, assert_gateway_headers, assert_valid

ORDER_TOOL = {"type": "function", "name": "place_order", "parameters": ORDER_SCHEMA, "strict": True}
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def test_response_object_has_output_text_usage_and_headers(openai_client):
    raw = openai_client.responses.with_raw_response.create(model="openai/gpt-4.1", input="Tell me a story", instructions="Be brief")
    response = raw.parse()
    assert response.object == "response"
    assert response.id.startswith("resp_")
    assert response.status == "completed"
    assert response.output[0].type == "message"
    assert response.output_text
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    assert_gateway_headers(raw.headers)
    assert response._request_id == raw.headers["x-request-id"]


def test_fixture_answers_on_responses(openai_client):
    response = openai_client.responses.create(model="openai/gpt-4.1", input="What is the capital of France?")
    assert response.output_text == "The capital of France is Paris."


def test_fixture_tool_calls_come_back_as_function_call_items(openai_client):
    response = openai_client.responses.create(model="openai/gpt-4.1", input="weather in Paris please", tools=[WEATHER_TOOL])
    call = next(item for item in response.output if item.type == "function_call")
    assert call.name == "get_weather"
    assert json.loads(call.arguments) == {"city": "Paris"}
    assert call.call_id


def test_forced_function_tool_choice_gets_valid_arguments(openai_client):
    response = openai_client.responses.create(
        model="openai/gpt-4.1",
        input="Order",
        tools=[WEATHER_TOOL, ORDER_TOOL],
        tool_choice={"type": "function", "name": "place_order"},
    )
    call = next(item for item in response.output if item.type == "function_call")
    assert call.name == "place_order"
    assert_valid(json.loads(call.arguments), ORDER_SCHEMA)


def test_tool_choice_required_calls_the_tool(openai_client):
    response = openai_client.responses.create(model="openai/gpt-4.1", input="x", tools=[WEATHER_TOOL], tool_choice="required")
    call = next(item for item in response.output if item.type == "function_call")
    assert_valid(json.loads(call.arguments), WEATHER_TOOL["parameters"])


def test_text_format_json_schema_gets_a_valid_answer(openai_client):
    response = openai_client.responses.create(
        model="openai/gpt-4.1",
        input="an order",
        text={"format": {"type": "json_schema", "name": "order", "schema": ORDER_SCHEMA, "strict": True}},
    )
    assert_valid(json.loads(response.output_text), ORDER_SCHEMA)


def test_responses_only_model_works_on_responses_but_not_chat(openai_client):
    import openai
    import pytest

    assert openai_client.responses.create(model="openai/gpt-5.6-luna", input="hi").output_text
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(model="openai/gpt-5.6-luna", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.body["param"] == "model"


def test_reasoning_settings_echo_back_and_an_unknown_effort_is_a_400(openai_client):
    import openai
    import pytest

    response = openai_client.responses.create(model="openai/gpt-5", input="x", reasoning={"effort": "low", "summary": "auto"})
    assert (response.reasoning.effort, response.reasoning.summary) == ("low", "auto")
    assert openai_client.responses.create(model="openai/gpt-5", input="x").reasoning.effort is None
    with pytest.raises(openai.BadRequestError) as raised:
        openai_client.responses.create(model="openai/gpt-5", input="x", reasoning={"effort": "extreme"})
    assert raised.value.body["param"] == "reasoning.effort"
