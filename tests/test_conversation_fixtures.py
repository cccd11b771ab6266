"""Conversation matchers (turn, last role, tool results, tools, system prompt, JSON paths) and
sequences: an agent's "tool call, then answer" scripted once, answered alike in every dialect."""

from __future__ import annotations

import json

import httpx
import pytest

WEATHER_TOOL = {"name": "get_weather", "description": "Weather of a city", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}

# The agent loop of the issue: the same user message twice, the second time with the tool's result.
AGENT_FIXTURES = {"fixtures": [
    {"name": "call-weather", "match": {"content": "weather in Paris?", "turn": 0, "tools": ["get_weather"]},
     "respond": {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]}},
    {"name": "final-answer", "match": {"content": "weather in Paris?", "last_role": "tool", "tool_result": {"tool": "get_weather", "content": {"contains": "18"}}},
     "respond": {"text": "It is 18 C in Paris."}},
]}


def journal(emulator) -> list[dict]:
    return httpx.get(emulator.base_url + "/__emulator__/journal").json()["entries"]


def test_openai_chat_agent_loop_gets_the_tool_call_then_the_answer(openai_client, add_fixture, http, emulator):
    add_fixture(AGENT_FIXTURES)
    messages = [{"role": "user", "content": "weather in Paris?"}]
    tools = [{"type": "function", "function": WEATHER_TOOL}]
    first = openai_client.chat.completions.create(model="openai/gpt-4.1", messages=messages, tools=tools)
    call = first.choices[0].message.tool_calls[0]
    assert (call.function.name, json.loads(call.function.arguments)) == ("get_weather", {"city": "Paris"})
    messages += [first.choices[0].message.model_dump(exclude_none=True), {"role": "tool", "tool_call_id": call.id, "content": "18 C, sunny"}]
    second = openai_client.chat.completions.create(model="openai/gpt-4.1", messages=messages, tools=tools)
    assert second.choices[0].message.content == "It is 18 C in Paris."
    assert [e["fixture"] for e in journal(emulator)] == ["call-weather", "final-answer"]


def test_responses_agent_loop_gets_the_tool_call_then_the_answer(openai_client, add_fixture, http, emulator):
    add_fixture(AGENT_FIXTURES)
    tools = [{"type": "function", **WEATHER_TOOL}]
    first = openai_client.responses.create(model="openai/gpt-4.1", input="weather in Paris?", tools=tools)
    call = next(item for item in first.output if item.type == "function_call")
    assert call.name == "get_weather"
    items = [{"role": "user", "content": "weather in Paris?"}, call.model_dump(exclude_none=True),
             {"type": "function_call_output", "call_id": call.call_id, "output": "18 C, sunny"}]
    second = openai_client.responses.create(model="openai/gpt-4.1", input=items, tools=tools)
    assert second.output_text == "It is 18 C in Paris."


def test_anthropic_agent_loop_gets_the_tool_call_then_the_answer(anthropic_client, add_fixture, http):
    add_fixture(AGENT_FIXTURES)
    tools = [{"name": "get_weather", "description": "Weather of a city", "input_schema": WEATHER_TOOL["parameters"]}]
    messages = [{"role": "user", "content": "weather in Paris?"}]
    first = anthropic_client.messages.create(model="anthropic/claude-sonnet-4.5", max_tokens=200, messages=messages, tools=tools)
    use = next(block for block in first.content if block.type == "tool_use")
    assert (use.name, use.input) == ("get_weather", {"city": "Paris"})
    messages += [{"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "18 C, sunny"}]}]
    second = anthropic_client.messages.create(model="anthropic/claude-sonnet-4.5", max_tokens=200, messages=messages, tools=tools)
    assert second.content[0].text == "It is 18 C in Paris."


def test_workers_ai_agent_loop_gets_the_tool_call_then_the_answer(http, add_fixture, emulator):
    add_fixture(AGENT_FIXTURES)
    model = "@cf/meta/llama-3.1-8b-instruct"
    messages = [{"role": "user", "content": "weather in Paris?"}]
    tools = [{"type": "function", "function": WEATHER_TOOL}]
    headers = {"cf-aig-gateway-id": "default"}
    first = http.post(f"/ai/run/{model}", json={"messages": messages, "tools": tools}, headers=headers).json()["result"]
    assert first["tool_calls"] == [{"name": "get_weather", "arguments": {"city": "Paris"}}]
    messages += [{"role": "assistant", "content": "", "tool_calls": first["tool_calls"]}, {"role": "tool", "name": "get_weather", "content": "18 C, sunny"}]
    second = http.post(f"/ai/run/{model}", json={"messages": messages, "tools": tools}, headers=headers)
    assert second.json()["result"]["response"] == "It is 18 C in Paris.", second.text


def chat(http, messages, **extra):
    response = http.post("/ai/v1/chat/completions", json={"model": "openai/gpt-4.1", "messages": messages, **extra})
    assert response.status_code == 200, response.text
    return response.json()["choices"][0]["message"]["content"]


def test_tool_result_false_and_true_tell_first_requests_from_follow_ups(http, add_fixture):
    add_fixture({"fixtures": [
        {"match": {"content": "status?", "tool_result": False}, "respond": {"text": "no result yet"}},
        {"match": {"content": "status?", "tool_result": True}, "respond": {"text": "got a result"}},
    ]})
    assert chat(http, [{"role": "user", "content": "status?"}]) == "no result yet"
    follow_up = [{"role": "user", "content": "status?"},
                 {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "probe", "arguments": "{}"}}]},
                 {"role": "tool", "tool_call_id": "call_1", "content": "up"}]
    assert chat(http, follow_up) == "got a result"


def test_turn_counts_the_assistant_turns_so_far(http, add_fixture):
    add_fixture({"fixtures": [{"match": {"content": "again", "turn": n}, "respond": {"text": f"turn {n}"}} for n in range(3)]})
    messages = [{"role": "user", "content": "again"}]
    for n in range(3):
        assert chat(http, messages) == f"turn {n}"
        messages += [{"role": "assistant", "content": "..."}, {"role": "user", "content": "again"}]


def test_system_prompt_and_offered_tools_select_the_fixture(http, add_fixture):
    add_fixture({"fixtures": [
        {"match": {"system": {"contains": "pirate"}}, "respond": {"text": "Arr."}},
        {"match": {"system": {"contains": "pirate"}, "tools": ["search", "fetch"]}, "respond": {"text": "Arr, with tools."}},
    ]})
    pirate = [{"role": "developer", "content": "You are a pirate."}, {"role": "user", "content": "hi"}]
    def tool(name):
        return {"type": "function", "function": {"name": name, "parameters": {"type": "object", "properties": {}}}}
    assert chat(http, pirate) == "Arr."
    assert chat(http, pirate, tools=[tool("search")]) == "Arr."
    assert chat(http, pirate, tools=[tool("fetch"), tool("search"), tool("other")]) == "Arr, with tools."
    assert chat(http, [{"role": "user", "content": "hi"}]) != "Arr."


def test_json_path_matches_any_part_of_the_body(http, add_fixture):
    add_fixture({"fixtures": [
        {"match": {"json_path": {"$.temperature": {"equals": 0}}}, "respond": {"text": "cold"}},
        {"match": {"json_path": {"$.messages[-1].content": {"regex": "^order #[0-9]+$"}, "$.user": {"exists": True}}}, "respond": {"text": "order with user"}},
        {"match": {"json_path": {"$['metadata'].tags[*]": {"equals": "vip"}}}, "respond": {"text": "vip"}},
    ]})
    assert chat(http, [{"role": "user", "content": "hi"}], temperature=0) == "cold"
    assert chat(http, [{"role": "user", "content": "hi"}], temperature=0.5) != "cold"
    assert chat(http, [{"role": "user", "content": "order #12"}], user="u1") == "order with user"
    assert chat(http, [{"role": "user", "content": "order #12"}]) != "order with user"
    assert chat(http, [{"role": "user", "content": "hi"}], metadata={"tags": "x"}) != "vip"
    assert chat(http, [{"role": "user", "content": "hi"}], store=True, metadata={"tags": "vip"}) != "vip"  # a string, not a list


def test_journal_names_the_conversation_criterion_that_failed(http, add_fixture, emulator):
    add_fixture({"fixtures": [
        {"name": "by-turn", "match": {"turn": 2}, "respond": {"text": "-"}},
        {"name": "by-role", "match": {"last_role": "tool"}, "respond": {"text": "-"}},
        {"name": "by-result", "match": {"tool_result": {"tool": "get_weather"}}, "respond": {"text": "-"}},
        {"name": "by-tools", "match": {"tools": ["search"]}, "respond": {"text": "-"}},
        {"name": "by-system", "match": {"system": "Be brief."}, "respond": {"text": "-"}},
        {"name": "by-path", "match": {"json_path": {"$.temperature": {"equals": 1}}}, "respond": {"text": "-"}},
    ]})
    chat(http, [{"role": "user", "content": "nothing matches"}], temperature=0.5)
    report = {r["fixture"]: r["result"] for r in journal(emulator)[-1]["fixture_report"]}
    assert report["by-turn"] == "turn 0 (assistant turns so far) is not 2"
    assert report["by-role"] == "last message's role 'user' is not 'tool'"
    assert report["by-result"] == "no tool result matches tool equals 'get_weather' (tool results: none)"
    assert report["by-tools"] == "tool 'search' is not offered"
    assert report["by-system"] == "system prompt does not match equals 'Be brief.'"
    assert report["by-path"] == "body at $.temperature (found 0.5) does not match: expected it equals 1"


def test_a_conversation_criterion_counts_for_specificity(http, add_fixture):
    add_fixture({"fixtures": [
        {"match": {"content": "which?"}, "respond": {"text": "content only"}},
        {"match": {"content": "which?", "turn": 0}, "respond": {"text": "content and turn"}},
    ]})
    assert chat(http, [{"role": "user", "content": "which?"}]) == "content and turn"


def test_a_bad_json_path_is_refused_naming_the_field(emulator):
    response = httpx.post(emulator.base_url + "/__emulator__/fixtures", json={"match": {"json_path": {"$.a[x]": {"exists": True}}}, "respond": {"text": "-"}})
    assert response.status_code == 400
    assert "$.fixtures[0].match.json_path['$.a[x]']" in response.text


# --- sequences ---------------------------------------------------------------------------
def test_a_sequence_answers_its_items_in_order_then_repeats_the_last(http, add_fixture, emulator):
    add_fixture({"name": "steps", "match": {"content": "next"}, "respond": [{"text": "one"}, {"text": "two"}, {"text": "three"}]})
    answers = [chat(http, [{"role": "user", "content": "next"}]) for _ in range(5)]
    assert answers == ["one", "two", "three", "three", "three"]
    assert [e["fixture_item"] for e in journal(emulator)] == [0, 1, 2, 2, 2]


def test_reset_starts_a_sequence_over(emulator, http):
    # A file fixture's sequence is not forgotten by a reset (files stay), only started over.
    first = chat(http, [{"role": "user", "content": "sequence from a file"}])
    assert first == "first from file"
    assert chat(http, [{"role": "user", "content": "sequence from a file"}]) == "second from file"
    httpx.post(emulator.base_url + "/__emulator__/reset").raise_for_status()
    assert chat(http, [{"role": "user", "content": "sequence from a file"}]) == "first from file"


def test_a_sequence_scripts_an_agent_in_one_fixture(openai_client, add_fixture, http):
    add_fixture({"match": {"content": "plan a trip"}, "respond": [
        {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]},
        {"text": "Pack a coat."},
    ]})
    tools = [{"type": "function", "function": WEATHER_TOOL}]
    messages = [{"role": "user", "content": "plan a trip"}]
    first = openai_client.chat.completions.create(model="openai/gpt-4.1", messages=messages, tools=tools)
    assert first.choices[0].finish_reason == "tool_calls"
    second = openai_client.chat.completions.create(model="openai/gpt-4.1", messages=messages, tools=tools)
    assert second.choices[0].message.content == "Pack a coat."


@pytest.mark.parametrize("respond, where", [
    ([], "$.fixtures[0].respond"),
    ([{"text": "a"}, {"stream": {"chars": 1, "chunks": ["a"]}}], "$.fixtures[0].respond[1].stream"),
])
def test_a_bad_sequence_is_refused_naming_the_item(emulator, respond, where):
    response = httpx.post(emulator.base_url + "/__emulator__/fixtures", json={"respond": respond})
    assert response.status_code == 400
    assert where in response.text
