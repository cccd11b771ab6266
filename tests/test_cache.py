import httpx
import openai

from tests.gateway_helpers import add_fixture, advance, chat, reset


def test_second_identical_request_is_a_hit_through_the_openai_sdk(emulator):
    reset(emulator)
    client = openai.OpenAI(base_url=emulator.openai_base_url, api_key=emulator.api_token, default_headers={"cf-aig-cache-ttl": "120"})
    messages = [{"role": "user", "content": "cache me please"}]
    first = client.chat.completions.with_raw_response.create(model="openai/gpt-4.1", messages=messages)
    second = client.chat.completions.with_raw_response.create(model="openai/gpt-4.1", messages=messages)
    assert first.headers["cf-aig-cache-status"] == "MISS"
    assert second.headers["cf-aig-cache-status"] == "HIT"
    assert second.parse().id == first.parse().id
    assert second.headers["cf-aig-log-id"] != first.headers["cf-aig-log-id"]


def test_a_different_body_is_a_different_entry(emulator):
    reset(emulator)
    ttl = {"cf-aig-cache-ttl": "60"}
    assert chat(emulator, "one", ttl).headers["cf-aig-cache-status"] == "MISS"
    assert chat(emulator, "two", ttl).headers["cf-aig-cache-status"] == "MISS"
    assert chat(emulator, "one", ttl, temperature=0.5).headers["cf-aig-cache-status"] == "MISS"


def test_no_cache_status_when_caching_is_off(emulator):
    reset(emulator)
    chat(emulator, "uncached")
    assert "cf-aig-cache-status" not in chat(emulator, "uncached").headers


def test_skip_cache_goes_to_the_provider(emulator):
    reset(emulator)
    ttl = {"cf-aig-cache-ttl": "300"}
    chat(emulator, "skip me", ttl)
    assert chat(emulator, "skip me", {**ttl, "cf-aig-skip-cache": "true"}).headers["cf-aig-cache-status"] == "MISS"
    assert chat(emulator, "skip me", {**ttl, "cf-skip-cache": "true"}).headers["cf-aig-cache-status"] == "MISS"
    assert chat(emulator, "skip me", ttl).headers["cf-aig-cache-status"] == "HIT"


def test_custom_cache_key_replaces_the_default_key(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "first question"}, "respond": {"text": "first answer"}})
    key = {"cf-aig-cache-key": "my-key"}
    first = chat(emulator, "first question", key)
    other_body = chat(emulator, "another question entirely", key)
    assert first.headers["cf-aig-cache-status"] == "MISS"
    assert other_body.headers["cf-aig-cache-status"] == "HIT"
    assert other_body.json()["choices"][0]["message"]["content"] == "first answer"


def test_custom_key_without_gateway_caching_lasts_five_minutes(emulator):
    reset(emulator)
    key = {"cf-aig-cache-key": "five-minutes"}
    chat(emulator, "k", key)
    advance(emulator, 299)
    assert chat(emulator, "k", key).headers["cf-aig-cache-status"] == "HIT"
    advance(emulator, 1)
    assert chat(emulator, "k", key).headers["cf-aig-cache-status"] == "MISS"


def test_entry_expires_after_its_ttl_on_the_virtual_clock(emulator):
    reset(emulator)
    ttl = {"cf-aig-cache-ttl": "120"}
    chat(emulator, "expiring", ttl)
    advance(emulator, 119)
    assert chat(emulator, "expiring", ttl).headers["cf-aig-cache-status"] == "HIT"
    advance(emulator, 1)
    assert chat(emulator, "expiring", ttl).headers["cf-aig-cache-status"] == "MISS"


def test_ttl_below_the_minimum_is_clamped_to_sixty_seconds(emulator):
    reset(emulator)
    ttl = {"cf-aig-cache-ttl": "5"}
    chat(emulator, "short ttl", ttl)
    advance(emulator, 30)
    assert chat(emulator, "short ttl", ttl).headers["cf-aig-cache-status"] == "HIT"
    advance(emulator, 30)
    assert chat(emulator, "short ttl", ttl).headers["cf-aig-cache-status"] == "MISS"


def test_deprecated_cache_ttl_header_still_works(emulator):
    reset(emulator)
    chat(emulator, "old header", {"cf-cache-ttl": "60"})
    assert chat(emulator, "old header", {"cf-cache-ttl": "60"}).headers["cf-aig-cache-status"] == "HIT"


def test_streaming_requests_are_never_cached(emulator):
    reset(emulator)
    ttl = {"cf-aig-cache-ttl": "60"}
    chat(emulator, "stream me", ttl, stream=True)
    response = chat(emulator, "stream me", ttl, stream=True)
    assert response.headers.get("cf-aig-cache-status") != "HIT"


def test_errors_are_not_cached(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "broken"}, "respond": {"error": {"status": 500}}})
    ttl = {"cf-aig-cache-ttl": "60"}
    assert chat(emulator, "broken", ttl).status_code == 500
    second = chat(emulator, "broken", ttl)
    assert second.status_code == 500 and second.headers["cf-aig-cache-status"] == "MISS"


def test_ai_run_envelope_is_cached_per_gateway(emulator):
    reset(emulator)
    url = emulator.account_url + "/ai/run"
    body = {"model": "openai/gpt-4.1", "input": {"messages": [{"role": "user", "content": "envelope"}]}}
    headers = emulator.auth(**{"cf-aig-cache-ttl": "60"})
    assert httpx.post(url, json=body, headers=headers).headers["cf-aig-cache-status"] == "MISS"
    again = httpx.post(url, json=body, headers=headers)
    assert again.status_code == 200 and again.headers["cf-aig-cache-status"] == "HIT"
    assert again.json()["success"] is True


def test_a_hit_never_reaches_the_upstream_so_no_fixture_answers_it(emulator):
    reset(emulator)
    add_fixture(emulator, {"name": "cached-answer", "match": {"content": "from the fixture"}, "respond": {"text": "fixture text"}})
    ttl = {"cf-aig-cache-ttl": "300"}
    first, second = chat(emulator, "from the fixture", ttl), chat(emulator, "from the fixture", ttl)
    assert first.json()["choices"][0]["message"]["content"] == second.json()["choices"][0]["message"]["content"] == "fixture text"
    miss, hit = httpx.get(emulator.base_url + "/__emulator__/journal").json()["entries"][-2:]
    assert (miss["cache_status"], miss["fixture"]) == ("MISS", "cached-answer")
    assert any(r["result"] == "matched" for r in miss["fixture_report"])
    assert (hit["cache_status"], hit["fixture"], hit["fixture_report"]) == ("HIT", None, [])
