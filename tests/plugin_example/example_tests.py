"""Testing an app that calls Cloudflare AI Gateway, against the emulator.

Install `ai-gateway-emulator` in your test environment; the `ai_gateway` fixture and the SDK
client fixtures are then available in every test, with nothing to import or configure.
"""

import httpx
import openai
import pytest


def summarize(text: str, base_url: str, api_token: str) -> str:
    """The app under test: asks a model for a summary over plain HTTP."""
    response = httpx.post(
        f"{base_url}/chat/completions",
        headers={"Authorization": f"Bearer {api_token}"},
        json={"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": f"Summarize: {text}"}]},
    )
    response.raise_for_status()
    return response.json()["choices"][0]["message"]["content"]


def test_openai_sdk_gets_the_built_in_answer(openai_client, ai_gateway):
    answer = openai_client.chat.completions.create(
        model="openai/gpt-4.1", messages=[{"role": "user", "content": "Hello!"}]
    )
    assert answer.choices[0].message.content.startswith("Hello! I am the AI Gateway emulator")
    assert ai_gateway.last_request.fixture == "hello"


def test_app_uses_the_answer_of_a_fixture_added_for_this_test(ai_gateway):
    with ai_gateway.add_fixture(
        match={"content": {"contains": "quarterly report"}}, respond={"text": "Revenue grew 4%."}
    ):
        assert summarize("the quarterly report", ai_gateway.openai_base_url, ai_gateway.api_token) == "Revenue grew 4%."
    sent = ai_gateway.last_request
    assert sent.model == "openai/gpt-4.1"
    assert sent.last_user_message == "Summarize: the quarterly report"
    assert sent.attempt_count == 1
    assert not sent.cache_hit


def test_each_test_starts_from_a_fresh_emulator(ai_gateway):
    assert ai_gateway.journal() == []


def test_provider_outage_reaches_the_app_as_an_sdk_error(openai_client):
    with pytest.raises(openai.InternalServerError):
        openai_client.chat.completions.create(
            model="openai/gpt-4.1", messages=[{"role": "user", "content": "simulate an outage"}]
        )


def test_gateway_cache_answers_the_repeat_until_the_ttl_passes(openai_client, ai_gateway):
    def ask():
        openai_client.chat.completions.create(
            model="openai/gpt-4.1", messages=[{"role": "user", "content": "Hello!"}],
            extra_headers={"cf-aig-cache-ttl": "3600"},
        )
        return ai_gateway.last_request.cache_status

    assert [ask(), ask()] == ["MISS", "HIT"]
    assert [log["cached"] for log in ai_gateway.logs()] == [True, False]  # newest first
    ai_gateway.advance_clock(3601)  # virtual time: nothing sleeps
    assert ask() == "MISS"


def test_gateway_retries_a_flaky_provider(openai_client, ai_gateway):
    ai_gateway.add_fixture(
        match={"content": "flaky"}, respond={"attempts": [{"error": {"status": 503}}], "text": "ok"}
    )
    answer = openai_client.chat.completions.create(
        model="openai/gpt-4.1", messages=[{"role": "user", "content": "flaky"}],
        extra_headers={"cf-aig-max-attempts": "3"},
    )
    assert answer.choices[0].message.content == "ok"
    assert [attempt["status"] for attempt in ai_gateway.last_request.attempts] == [503, 200]
