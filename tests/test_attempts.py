import httpx
import openai
import pytest

from tests.gateway_helpers import add_fixture, chat, last_journal_entry, reset


def flaky(emu, content: str, **extra) -> None:
    add_fixture(emu, {
        "match": {"content": content},
        "respond": {"attempts": [{"error": {"status": 503}}, {"error": {"status": 503}}], "text": "finally", **extra},
    })


@pytest.mark.parametrize(
    "backoff, waits",
    [("constant", [1000, 1000]), ("linear", [1000, 2000]), ("exponential", [1000, 2000])],
)
def test_503_503_then_success_answers_200_after_three_attempts(emulator, backoff, waits):
    reset(emulator)
    flaky(emulator, "flaky")
    headers = {"cf-aig-max-attempts": "3", "cf-aig-retry-delay": "1000", "cf-aig-backoff": backoff}
    response = chat(emulator, "flaky", headers)
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "finally"
    attempts = last_journal_entry(emulator)["attempts"]
    assert [a["status"] for a in attempts] == [503, 503, 200]
    assert [a["wait_ms"] for a in attempts] == [*waits, 0]


def test_linear_and_exponential_backoff_differ_from_the_third_retry(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "always down"}, "respond": {"error": {"status": 502}}})
    waits = {}
    for backoff in ("constant", "linear", "exponential"):
        headers = {"cf-aig-max-attempts": "5", "cf-aig-retry-delay": "100", "cf-aig-backoff": backoff}
        assert chat(emulator, "always down", headers).status_code == 502
        waits[backoff] = [a["wait_ms"] for a in last_journal_entry(emulator)["attempts"]]
    assert waits == {
        "constant": [100, 100, 100, 100, 0],
        "linear": [100, 200, 300, 400, 0],
        "exponential": [100, 200, 400, 800, 0],
    }


def test_five_exponential_attempts_from_a_sixty_second_delay_take_simulated_time_only(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "slow outage"}, "respond": {"error": {"status": 503}}})
    headers = {"cf-aig-max-attempts": "5", "cf-aig-retry-delay": "60000", "cf-aig-backoff": "exponential"}
    assert chat(emulator, "slow outage", headers).status_code == 503
    attempts = last_journal_entry(emulator)["attempts"]
    assert [a["wait_ms"] for a in attempts] == [60000, 120000, 240000, 480000, 0]
    clock = httpx.get(emulator.base_url + "/__emulator__/clock").json()
    assert clock["iso"] == "2026-01-01T00:15:00Z"  # 900 simulated seconds


def test_client_errors_other_than_429_are_not_retried(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "bad"}, "respond": {"error": {"status": 400}}})
    assert chat(emulator, "bad", {"cf-aig-max-attempts": "5"}).status_code == 400
    assert len(last_journal_entry(emulator)["attempts"]) == 1


def test_429_is_retried(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "busy"}, "respond": {"attempts": [{"error": {"status": 429}}], "text": "ok"}})
    assert chat(emulator, "busy", {"cf-aig-max-attempts": "2"}).status_code == 200


def test_timeout_on_the_only_attempt_gives_504_request_timeout(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "too slow"}, "respond": {"text": "late", "latency_ms": 5000}})
    response = chat(emulator, "too slow", {"cf-aig-request-timeout": "1000"})
    assert response.status_code == 504
    assert response.json()["errors"] == [{"code": 3007, "message": "Request timeout"}]
    assert response.headers["cf-aig-log-id"]
    assert last_journal_entry(emulator)["attempts"] == [
        {"attempt": 1, "outcome": "timeout", "status": None, "duration_ms": 1000, "wait_ms": 0}
    ]


def test_timeout_then_retries_and_the_last_attempt_waits_for_the_answer(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "slow every time"}, "respond": {"text": "eventually", "latency_ms": 3000}})
    headers = {"cf-aig-request-timeout": "1000", "cf-aig-max-attempts": "3", "cf-aig-retry-delay": "500"}
    response = chat(emulator, "slow every time", headers)
    assert response.status_code == 200
    attempts = last_journal_entry(emulator)["attempts"]
    assert [a["outcome"] for a in attempts] == ["timeout", "timeout", "success"]
    assert [a["duration_ms"] for a in attempts] == [1000, 1000, 3000]


def test_timeout_is_time_to_first_byte(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "quick"}, "respond": {"text": "fast", "latency_ms": 900}})
    assert chat(emulator, "quick", {"cf-aig-request-timeout": "1000"}).status_code == 200


def test_openai_sdk_sees_the_final_answer_after_retries(emulator):
    reset(emulator)
    flaky(emulator, "sdk flaky")
    client = openai.OpenAI(base_url=emulator.openai_base_url, api_key=emulator.api_token, max_retries=0)
    answer = client.chat.completions.create(
        model="openai/gpt-4.1", messages=[{"role": "user", "content": "sdk flaky"}],
        extra_headers={"cf-aig-max-attempts": "3", "cf-aig-retry-delay": "100"},
    )
    assert answer.choices[0].message.content == "finally"


def test_without_retries_the_first_failure_is_the_answer(emulator):
    reset(emulator)
    flaky(emulator, "no retries")
    client = openai.OpenAI(base_url=emulator.openai_base_url, api_key=emulator.api_token, max_retries=0)
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "no retries"}])
