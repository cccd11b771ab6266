"""ai/v1/responses through the official openai SDK."""

from __future__ import annotations

import json

import openai
import pytest

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
    assert openai_client.responses.create(model="openai/gpt-5.6-luna", input="hi").output_text
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(model="openai/gpt-5.6-luna", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.body["param"] == "model"


def test_reasoning_settings_echo_back_and_an_unknown_effort_is_a_400(openai_client):
    response = openai_client.responses.create(model="openai/gpt-5", input="x", reasoning={"effort": "low", "summary": "auto"})
    assert (response.reasoning.effort, response.reasoning.summary) == ("low", "auto")
    assert openai_client.responses.create(model="openai/gpt-5", input="x").reasoning.effort is None
    with pytest.raises(openai.BadRequestError) as raised:
        openai_client.responses.create(model="openai/gpt-5", input="x", reasoning={"effort": "extreme"})
    assert raised.value.body["param"] == "reasoning.effort"


def test_a_reasoning_model_answers_a_reasoning_item_first_with_its_tokens(openai_client):
    plain = openai_client.responses.create(model="openai/gpt-4.1", input="Why?")
    reasoned = openai_client.responses.create(model="openai/gpt-5", input="Why?")
    assert [item.type for item in plain.output] == ["message"]
    assert [item.type for item in reasoned.output] == ["reasoning", "message"]
    assert reasoned.output[0].id.startswith("rs_") and reasoned.output[0].summary == []
    assert reasoned.usage.output_tokens_details.reasoning_tokens > 0
    assert plain.usage.output_tokens_details.reasoning_tokens == 0
    summarized = openai_client.responses.create(model="openai/gpt-5", input="Why?", reasoning={"summary": "auto"})
    assert summarized.output[0].summary[0].type == "summary_text" and summarized.output[0].summary[0].text
    assert summarized.output_text == reasoned.output_text  # reasoning does not change the answer
    with openai_client.responses.stream(model="openai/gpt-5", input="Why?", reasoning={"summary": "auto"}) as stream:
        streamed = stream.get_final_response()
    assert streamed.output[0].summary == summarized.output[0].summary
    off = openai_client.responses.create(model="openai/gpt-5", input="Why?", reasoning={"effort": "none"})
    assert [item.type for item in off.output] == ["message"]
    # Passing the output back as the next turn's input, as multi-turn code does, is accepted.
    follow_up = [{"role": "user", "content": "Why?"}, *[item.model_dump(exclude_none=True) for item in reasoned.output], {"role": "user", "content": "And?"}]
    assert openai_client.responses.create(model="openai/gpt-5", input=follow_up).status == "completed"


def test_chat_completions_count_a_reasoning_models_reasoning_tokens(openai_client):
    reasoned = openai_client.chat.completions.create(model="openai/gpt-5", messages=[{"role": "user", "content": "Why?"}])
    assert reasoned.usage.completion_tokens_details.reasoning_tokens > 0
    assert reasoned.usage.completion_tokens > reasoned.usage.completion_tokens_details.reasoning_tokens
    low = openai_client.chat.completions.create(model="openai/gpt-5", messages=[{"role": "user", "content": "Why?"}], reasoning_effort="none")
    assert low.usage.completion_tokens_details.reasoning_tokens == 0
    assert low.choices[0].message.content == reasoned.choices[0].message.content
    with pytest.raises(openai.BadRequestError) as raised:
        openai_client.chat.completions.create(model="openai/gpt-5", messages=[{"role": "user", "content": "Why?"}], reasoning_effort="extreme")
    assert raised.value.body["param"] == "reasoning_effort"


def test_a_reasoning_model_on_ai_run_reports_the_same_reasoning_tokens(openai_client, http):
    messages = [{"role": "user", "content": "Why?"}]
    chat = openai_client.chat.completions.create(model="openai/gpt-5", messages=messages)
    run = http.post("/ai/run", json={"model": "openai/gpt-5", "input": {"messages": messages}}).json()["result"]
    assert run["usage"]["completion_tokens_details"]["reasoning_tokens"] == chat.usage.completion_tokens_details.reasoning_tokens > 0
