"""Fixture matching, precedence, upstream errors, usage, and validation of fixture files at start-up."""

from __future__ import annotations

import json
import subprocess
import sys

import anthropic
import openai
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.server import ROOT


def chat(http, content: str, model: str = "openai/gpt-4.1", headers: dict | None = None):
    body = {"model": model, "messages": [{"role": "user", "content": content}]}
    response = http.post("/ai/v1/chat/completions", json=body, headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()["choices"][0]["message"]["content"]


def messages(http, content: str, model: str = "anthropic/claude-haiku-4.5"):
    body = {"model": model, "max_tokens": 100, "messages": [{"role": "user", "content": content}]}
    response = http.post("/ai/v1/messages", json=body)
    assert response.status_code == 200, response.text
    return response.json()["content"][0]["text"]


# --- matching ------------------------------------------------------------------------
def test_endpoint_criterion_limits_a_fixture_to_that_endpoint(http, add_fixture):
    add_fixture({"match": {"endpoint": "messages", "content": "which endpoint"}, "respond": {"text": "messages only"}})
    assert messages(http, "which endpoint") == "messages only"
    assert chat(http, "which endpoint") != "messages only"


def test_model_matches_exactly_by_pattern_or_by_regex(http, add_fixture):
    add_fixture({"match": {"model": "openai/gpt-4o", "content": "model?"}, "respond": {"text": "exact"}})
    add_fixture({"match": {"model": {"pattern": "google/*"}, "content": "model?"}, "respond": {"text": "pattern"}})
    add_fixture({"match": {"model": {"regex": "^xai/grok-[0-9]$"}, "content": "model?"}, "respond": {"text": "regex"}})
    assert chat(http, "model?", "openai/gpt-4o") == "exact"
    assert chat(http, "model?", "openai/gpt-4o-mini") not in ("exact", "pattern", "regex")
    assert chat(http, "model?", "google/gemini-2.5-pro") == "pattern"
    assert chat(http, "model?", "xai/grok-4") == "regex"


def test_content_matches_exactly_as_a_whole_word_or_by_regex(http, add_fixture):
    add_fixture({"match": {"content": "exact words"}, "respond": {"text": "exact"}})
    add_fixture({"match": {"content": {"contains": "cat"}}, "respond": {"text": "contains"}})
    add_fixture({"match": {"content": {"regex": "order #[0-9]+"}}, "respond": {"text": "regex"}})
    assert chat(http, "exact words") == "exact"
    assert chat(http, "exact words please") != "exact"
    assert chat(http, "Is that a Cat?") == "contains"
    assert chat(http, "concatenate these") != "contains"
    assert chat(http, "where is order #1234 now") == "regex"


_WORDISH = st.sampled_from(["a", "B", "b", "_", "1", "é", "K", "\u212a", "\u017f", "s", "S", " ", "-", "_", ".", "\n"])


@settings(max_examples=1000, deadline=None)
@example(value="s", text="a \u017f")  # long s: folds to s, though its lower case is itself
@example(value="k", text="\u212a!")  # Kelvin sign
@example(value="B", text="ab b")
@given(value=st.text(_WORDISH, min_size=1, max_size=4) | st.text(min_size=1, max_size=4),
       text=st.text(_WORDISH, max_size=12) | st.text(max_size=12))
def test_contains_is_the_case_blind_whole_word_search_whatever_the_text(value, text):
    # The matcher skips its search when a cheaper test rules a match out; it must never
    # answer otherwise than the search itself (the Kelvin sign and long s fold to k and s).
    import re

    from emulator.fixtures import text_matcher

    search = re.compile(r"(?<!\w)" + re.escape(value) + r"(?!\w)", re.IGNORECASE)
    assert text_matcher({"contains": value}).matches(text) == (search.search(text) is not None)


def test_content_is_the_last_user_message(http, add_fixture):
    add_fixture({"match": {"content": "last one"}, "respond": {"text": "matched last"}})
    body = {
        "model": "openai/gpt-4.1",
        "messages": [
            {"role": "user", "content": "first one"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": [{"type": "text", "text": "last one"}]},
        ],
    }
    assert http.post("/ai/v1/chat/completions", json=body).json()["choices"][0]["message"]["content"] == "matched last"


def test_headers_and_metadata_criteria(http, add_fixture):
    add_fixture({"match": {"content": "tenant?", "headers": {"x-tenant": "blue"}}, "respond": {"text": "blue tenant"}})
    add_fixture({"match": {"content": "tenant?", "metadata": {"team": "red", "tier": 2}}, "respond": {"text": "red team"}})
    assert chat(http, "tenant?", headers={"X-Tenant": "blue"}) == "blue tenant"
    assert chat(http, "tenant?", headers={"cf-aig-metadata": json.dumps({"team": "red", "tier": 2, "other": True})}) == "red team"
    assert chat(http, "tenant?", headers={"cf-aig-metadata": json.dumps({"team": "red", "tier": 3})}) not in ("blue tenant", "red team")
    assert chat(http, "tenant?") not in ("blue tenant", "red team")


def test_the_most_specific_fixture_wins_whatever_the_order(http, add_fixture):
    add_fixture({"fixtures": [
        {"match": {"content": {"contains": "precedence"}}, "respond": {"text": "one criterion"}},
        {"match": {"content": {"contains": "precedence"}, "model": {"pattern": "openai/*"}}, "respond": {"text": "two loose"}},
        {"match": {"content": {"contains": "precedence"}, "model": "openai/gpt-4.1"}, "respond": {"text": "two, exact model"}},
    ]})
    assert chat(http, "test precedence", "openai/gpt-4.1") == "two, exact model"
    assert chat(http, "test precedence", "openai/gpt-4o") == "two loose"
    assert chat(http, "test precedence", "xai/grok-3") == "one criterion"


def test_ties_go_to_the_first_loaded(http, add_fixture):
    add_fixture({"fixtures": [
        {"name": "first", "match": {"content": {"contains": "tie"}}, "respond": {"text": "first"}},
        {"name": "second", "match": {"content": {"contains": "tie"}}, "respond": {"text": "second"}},
    ]})
    assert chat(http, "a tie here") == "first"


def test_runtime_fixtures_come_before_file_fixtures_on_ties(http, add_fixture):
    add_fixture({"match": {"content": {"contains": "capital of France"}}, "respond": {"text": "runtime wins"}})
    assert chat(http, "What is the capital of France?") == "runtime wins"


def test_journal_explains_which_fixture_answered(http, emulator, add_fixture):
    import httpx

    add_fixture({"name": "journaled", "match": {"content": "journal me"}, "respond": {"text": "ok"}})
    chat(http, "journal me")
    entry = httpx.get(emulator.base_url + "/__emulator__/journal").json()["entries"][-1]
    assert entry["fixture"] == "journaled"


def test_journal_says_which_criterion_each_other_fixture_failed(http, emulator, add_fixture):
    import httpx

    for spec in (
        {"name": "by-endpoint", "match": {"endpoint": "messages"}, "respond": {"text": "-"}},
        {"name": "by-model", "match": {"model": {"pattern": "anthropic/*"}}, "respond": {"text": "-"}},
        {"name": "by-content", "match": {"content": {"regex": "^bye"}}, "respond": {"text": "-"}},
        {"name": "by-header", "match": {"headers": {"x-team": "blue"}}, "respond": {"text": "-"}},
        {"name": "by-metadata", "match": {"metadata": {"tier": 2}}, "respond": {"text": "-"}},
        {"name": "answers", "match": {"content": "hello there"}, "respond": {"text": "ok"}},
    ):
        add_fixture(spec)
    assert chat(http, "hello there", headers={"cf-aig-metadata": json.dumps({"tier": 3}), "x-team": "red"}) == "ok"
    add_fixture({"name": "later", "respond": {"text": "-"}})  # added after the request: not in its report
    report = httpx.get(emulator.base_url + "/__emulator__/journal").json()["entries"][-1]["fixture_report"]
    runtime = [(r["fixture"], r["result"]) for r in report if r["source"].startswith("runtime#")]
    assert runtime == [
        ("by-endpoint", "endpoint 'chat_completions' not in ['messages']"),
        ("by-model", "model 'openai/gpt-4.1' does not match pattern 'anthropic/*'"),
        ("by-content", "last user message does not match regex '^bye'"),
        ("by-header", "header 'x-team' does not match equals 'blue'"),
        ("by-metadata", "metadata 'tier' is not 2"),
        ("answers", "matched"),
    ]


# --- what a fixture answers ------------------------------------------------------------
def test_upstream_error_with_a_provider_body_is_returned_verbatim(http, openai_client, add_fixture):
    provider_body = {"error": {"message": "Rate limit reached for gpt-4.1", "type": "requests", "param": None, "code": "rate_limit_exceeded"}}
    add_fixture({"match": {"content": "limit me"}, "respond": {"error": {"status": 429, "body": provider_body, "headers": {"retry-after": "0"}}}})
    response = http.post("/ai/v1/chat/completions", json={"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "limit me"}]})
    assert response.status_code == 429
    assert response.json() == provider_body
    with pytest.raises(openai.RateLimitError) as caught:
        openai_client.chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "limit me"}])
    assert caught.value.code == "rate_limit_exceeded"


def test_upstream_error_with_only_a_status_is_rendered_in_each_dialect(http, openai_client, anthropic_client):
    question = [{"role": "user", "content": "simulate an outage"}]
    with pytest.raises(openai.InternalServerError) as caught_openai:
        openai_client.chat.completions.create(model="openai/gpt-4.1", messages=question)
    assert caught_openai.value.status_code == 503
    assert caught_openai.value.type == "server_error"
    with pytest.raises(anthropic.InternalServerError) as caught_anthropic:
        anthropic_client.messages.create(model="anthropic/claude-haiku-4.5", max_tokens=10, messages=question)
    assert caught_anthropic.value.body["error"]["type"] == "api_error"
    assert caught_anthropic.value.body["error"]["message"] == "The upstream provider is temporarily unavailable."
    run = http.post("/ai/run", json={"model": "openai/gpt-4.1", "input": {"messages": question}})
    assert run.status_code == 503
    assert run.json()["success"] is False and run.json()["errors"][0]["message"].startswith("AiError:")


def test_usage_set_by_the_fixture_is_reported(openai_client):
    answer = openai_client.chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "capital of France?"}])
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (7, 7)


def test_usage_is_counted_when_the_fixture_does_not_set_it(openai_client, add_fixture):
    add_fixture({"match": {"content": "count me"}, "respond": {"text": "one two three, four."}})
    answer = openai_client.chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "count me"}])
    assert answer.usage.completion_tokens == 6  # four words and two marks
    assert answer.usage.prompt_tokens == 2


def test_structured_fixture_answers_as_json_text(openai_client, add_fixture):
    add_fixture({"match": {"content": "structured"}, "respond": {"structured": {"ok": True, "items": [1, 2]}}})
    answer = openai_client.chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "structured"}])
    assert json.loads(answer.choices[0].message.content) == {"ok": True, "items": [1, 2]}


def test_task_output_fixture_answers_on_ai_run(http, add_fixture):
    add_fixture({"match": {"endpoint": "run", "model": "@cf/meta/m2m100-1.2b"}, "respond": {"output": {"translated_text": "bonjour"}}})
    response = http.post("/ai/run/@cf/meta/m2m100-1.2b", json={"text": "hello", "target_lang": "fr"})
    assert response.json()["result"] == {"translated_text": "bonjour"}


def test_invalid_runtime_fixture_is_refused_naming_the_field(emulator):
    import httpx

    response = httpx.post(emulator.base_url + "/__emulator__/fixtures", json={"match": {"content": 3}, "respond": {"text": "x"}})
    assert response.status_code == 400
    assert "$.fixtures[0].match.content" in response.text


def test_a_control_body_that_is_not_json_is_refused_as_such(emulator):
    import httpx

    for path, body, detail in [("/fixtures", b'{"match": ', "Expecting value"), ("/fixtures", b"", "it is empty"),
                               ("/fixtures", b"\xff", "not UTF-8"), ("/clock", b"{advance: 1}", "Expecting property name")]:
        response = httpx.post(emulator.base_url + "/__emulator__" + path, content=body, headers={"content-type": "application/json"})
        assert response.status_code == 400
        message = response.json()["error"]
        assert message.startswith("request body: not JSON (") and detail in message, message
    null = httpx.post(emulator.base_url + "/__emulator__/fixtures", content=b"null")  # JSON, but no fixture
    assert null.status_code == 400 and "$.fixtures[0]: expected object, got null" in null.json()["error"]


# --- fixture files at start-up -----------------------------------------------------------
def run_check(directory) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "emulator", "serve", "--port", "0", "--fixtures", str(directory)],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )


@pytest.mark.parametrize(
    "name,text,where,expected",
    [
        ("bad.yaml", "fixtures:\n  - match: {model: 5}\n    respond: {text: hi}\n", "$.fixtures[0].match.model", "expected string"),
        ("bad.json", json.dumps({"fixtures": [{"respond": {"error": {"message": "no status"}}}]}), "$.fixtures[0].respond.error", "'status' is required"),
        ("bad.yml", "fixtures:\n  - respond: {text: hi}\n    matches: {}\n", "$.fixtures[0]", "matches"),
        ("regex.yaml", "fixtures:\n  - match: {content: {regex: '('}}\n    respond: {text: hi}\n", "$.fixtures[0].match.content.regex", "invalid regular expression"),
    ],
)
def test_invalid_fixture_file_stops_start_up_naming_file_path_and_expectation(tmp_path, name, text, where, expected):
    (tmp_path / name).write_text(text)
    result = run_check(tmp_path)
    assert result.returncode == 2
    assert str(tmp_path / name) in result.stderr
    assert where in result.stderr
    assert expected in result.stderr


def test_a_model_naming_an_unknown_input_schema_stops_start_up(tmp_path):
    (tmp_path / "models.yaml").write_text("models:\n  - {name: '@cf/acme/tiny', task: Text Generation, input_schema: nope.json}\n")
    result = run_check(tmp_path)
    assert result.returncode == 2
    assert str(tmp_path / "models.yaml") in result.stderr and "$.models[0].input_schema" in result.stderr and "nope.json" in result.stderr


def test_an_added_workers_ai_model_is_checked_against_its_tasks_schema(start, tmp_path):
    import httpx

    (tmp_path / "models.yaml").write_text("models:\n  - {name: '@cf/acme/tiny', task: Text Generation}\n")
    running = start("--fixtures", str(tmp_path))
    with httpx.Client(base_url=running.account_url, headers=running.auth()) as http:
        bad = http.post("/ai/run/@cf/acme/tiny", json={"messages": [None]})
        assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == 5006
        good = http.post("/ai/run/@cf/acme/tiny", json={"prompt": "hello"})
        assert good.status_code == 200 and isinstance(good.json()["result"]["response"], str)
    assert "Traceback" not in running.stop()


def test_unparseable_fixture_file_names_the_line(tmp_path):
    (tmp_path / "broken.json").write_text('{"fixtures": [\n  {"respond": }\n]}')
    result = run_check(tmp_path)
    assert result.returncode == 2
    assert "broken.json: line 2" in result.stderr


def test_fixture_files_in_json_and_yaml_both_answer(start, tmp_path):
    import httpx

    (tmp_path / "a.yaml").write_text("fixtures:\n  - match: {content: from yaml}\n    respond: {text: yaml answer}\n")
    (tmp_path / "b.json").write_text(json.dumps({"fixtures": [{"match": {"content": "from json"}, "respond": {"text": "json answer"}}]}))
    running = start("--fixtures", str(tmp_path))
    with httpx.Client(base_url=running.account_url, headers=running.auth()) as http:
        assert chat(http, "from yaml") == "yaml answer"
        assert chat(http, "from json") == "json answer"
