"""A fixture regex that can backtrack for ever is refused when the fixture is loaded, naming the
file and the field: it never gets to stall the server."""

from __future__ import annotations

import httpx

from tests.test_cli import cli

CATASTROPHIC = "^(a+)+$"


def test_a_fixture_file_with_a_catastrophic_regex_is_refused_at_load_naming_file_and_field(tmp_path):
    (tmp_path / "slow.yaml").write_text(f"fixtures:\n  - match: {{content: {{regex: '{CATASTROPHIC}'}}}}\n    respond: {{text: x}}\n")
    result = cli("check", "--fixtures", str(tmp_path))
    assert result.returncode == 2
    assert "slow.yaml: $.fixtures[0].match.content.regex:" in result.stderr
    assert "exponential time" in result.stderr


def test_runtime_fixtures_with_a_catastrophic_regex_in_any_matcher_are_refused_and_the_server_answers_at_once(emulator):
    httpx.post(emulator.base_url + "/__emulator__/reset")
    for match, field in [
        ({"content": {"regex": CATASTROPHIC}}, "$.fixtures[0].match.content.regex"),
        ({"model": {"regex": "(openai/*)*x"}}, "$.fixtures[0].match.model.regex"),
        ({"headers": {"x-team": {"regex": r"(\w+\s?)+$"}}}, "$.fixtures[0].match.headers.x-team.regex"),
    ]:
        refused = httpx.post(emulator.base_url + "/__emulator__/fixtures", json={"match": match, "respond": {"text": "x"}})
        assert refused.status_code == 400 and field in refused.json()["error"], refused.text
    answer = httpx.post(emulator.openai_base_url + "/chat/completions", headers=emulator.auth(), timeout=5,
                        json={"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "a" * 40 + "b"}]})
    assert answer.status_code == 200


def test_a_repeat_ended_by_a_character_it_cannot_match_is_accepted(emulator):
    httpx.post(emulator.base_url + "/__emulator__/reset")
    added = httpx.post(emulator.base_url + "/__emulator__/fixtures", json={"match": {"content": {"regex": r"^([a-z]+,)*[a-z]+$"}}, "respond": {"text": "a list"}})
    assert added.status_code == 201, added.text
    try:
        answer = httpx.post(emulator.openai_base_url + "/chat/completions", headers=emulator.auth(), timeout=5,
                            json={"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "red,green,blue"}]})
        assert answer.json()["choices"][0]["message"]["content"] == "a list"
    finally:  # it matches any lowercase word: not left for the session's other tests
        httpx.post(emulator.base_url + "/__emulator__/reset")
