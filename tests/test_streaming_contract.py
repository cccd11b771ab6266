"""Every streamed chat chunk and Responses event validates against OpenAI's published schema."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from tests.server import ROOT
from tests.streaming_support import CHAT_MODEL, WEATHER_TOOL, add_fixture, payloads, reset, sse_events

SPEC_ENV = "AI_GATEWAY_EMULATOR_OPENAPI"  # path to openai/openapi.json, if not in a ../shared next to the repo


def openapi_path() -> Path | None:
    if os.environ.get(SPEC_ENV):
        return Path(os.environ[SPEC_ENV])
    for parent in ROOT.parents:
        candidate = parent / "shared" / "specs" / "openai" / "openapi.json"
        if candidate.is_file():
            return candidate
    return None


def without_nullable(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as JSON Schema: anyOf [the schema, null]."""
    if isinstance(node, list):
        return [without_nullable(n) for n in node]
    if not isinstance(node, dict):
        return node
    converted = {k: without_nullable(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@pytest.fixture(scope="session")
def openai_schemas() -> dict[str, Any]:
    path = openapi_path()
    if path is None:
        pytest.skip(f"OpenAI's openapi.json not found (looked for shared/specs/openai/openapi.json above {ROOT}; set {SPEC_ENV})")
    return without_nullable(json.loads(path.read_text(encoding="utf-8"))["components"])


def validator(components: dict[str, Any], name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": components})


def response_event_validator(components: dict[str, Any], event_type: str) -> Draft202012Validator:
    """The branch of ResponseStreamEvent for this `type`, so a failure names the field, not the union."""
    for branch in components["schemas"]["ResponseStreamEvent"]["anyOf"]:
        name = branch["$ref"].rsplit("/", 1)[-1]
        if event_type in components["schemas"][name]["properties"]["type"].get("enum", []):
            return validator(components, name)
    raise AssertionError(f"{event_type} is not a ResponseStreamEvent")


def assert_valid(check: Draft202012Validator, instance: Any) -> None:
    error = best_match(check.iter_errors(instance))
    assert error is None, f"{list(error.absolute_path)}: {error.message}\nin {json.dumps(instance)[:600]}"


CHAT_BODIES = {
    "text": {"messages": [{"role": "user", "content": "Schema check, text"}], "stream_options": {"include_usage": True}},
    "tool": {
        "messages": [{"role": "user", "content": "Schema check, tool"}],
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_TOOL}}],
        "tool_choice": "required",
        "stream_options": {"include_usage": True},
    },
}


@pytest.mark.parametrize("kind", sorted(CHAT_BODIES))
def test_every_chat_chunk_is_a_create_chat_completion_stream_response(emulator, openai_schemas, kind):
    check = validator(openai_schemas, "CreateChatCompletionStreamResponse")
    _, events = sse_events(emulator, "/ai/v1/chat/completions", {"model": CHAT_MODEL, "stream": True, **CHAT_BODIES[kind]})
    chunks = payloads(events)
    assert len(chunks) > 3
    for chunk in chunks:
        assert_valid(check, chunk)


RESPONSES_BODIES = {
    "text": {"input": "Schema check, text"},
    "incomplete": {"input": "Schema check, cut short", "max_output_tokens": 16},
    "tool": {"input": "Schema check, tool", "tools": [{"type": "function", "name": "get_weather", "parameters": WEATHER_TOOL}], "tool_choice": "required"},
    "reasoning": {"model": "openai/gpt-5", "input": "Schema check, reasoning", "reasoning": {"effort": "low", "summary": "auto"}},
}


@pytest.mark.parametrize("kind", sorted(RESPONSES_BODIES))
def test_every_responses_event_is_a_response_stream_event(emulator, openai_schemas, kind):
    _, events = sse_events(emulator, "/ai/v1/responses", {"model": CHAT_MODEL, "stream": True, **RESPONSES_BODIES[kind]})
    if kind == "reasoning":
        assert "response.reasoning_summary_text.delta" in {name for name, _ in events}
    assert events[-1][0] == ("response.incomplete" if kind == "incomplete" else "response.completed")
    for name, data in events:
        event = json.loads(data)
        assert name == event["type"]
        assert_valid(response_event_validator(openai_schemas, event["type"]), event)
        assert_valid(validator(openai_schemas, "ResponseStreamEvent"), event)


def test_fault_events_are_valid_in_the_schema_too(emulator, openai_schemas):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "failing"}, "respond": {"text": "a b c", "stream": {"error_after": 3}}})
    _, events = sse_events(emulator, "/ai/v1/responses", {"model": CHAT_MODEL, "stream": True, "input": "failing"})
    failed = json.loads(events[-1][1])
    assert failed["type"] == "response.failed"
    assert_valid(response_event_validator(openai_schemas, "response.failed"), failed)
    assert_valid(validator(openai_schemas, "ResponseStreamEvent"), failed)
