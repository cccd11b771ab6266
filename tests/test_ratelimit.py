import asyncio

import cloudflare
import httpx

from tests.gateway_helpers import advance, reset


def limited_gateway(emu, gateway_id: str, technique: str, limit: int = 10, interval: int = 600, cache_ttl: int = 0) -> None:
    cf = cloudflare.Cloudflare(api_token=emu.api_token, base_url=emu.cloudflare_base_url)
    cf.ai_gateway.create(account_id=emu.account_id, id=gateway_id, cache_invalidate_on_update=False, cache_ttl=cache_ttl,
                         collect_logs=True, rate_limiting_interval=interval, rate_limiting_limit=limit,
                         rate_limiting_technique=technique)


def send(emu, gateway_id: str, n: int, content: str = "hello") -> list[httpx.Response]:
    body = {"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": content}]}
    headers = emu.auth(**{"cf-aig-gateway-id": gateway_id})
    return [httpx.post(emu.openai_base_url + "/chat/completions", json=body, headers=headers) for _ in range(n)]


def statuses(responses) -> list[int]:
    return [r.status_code for r in responses]


def test_fixed_and_sliding_windows_differ_as_in_the_docs_example(emulator):
    """Limit 10 per 10 minutes; 10 requests at 12:09 and 10 at 12:11."""
    results = {}
    for technique in ("fixed", "sliding"):
        reset(emulator)  # the clock starts at 00:00, so windows align as 12:00-12:10 do
        limited_gateway(emulator, "limited", technique)
        advance(emulator, 9 * 60)
        at_09 = send(emulator, "limited", 10)
        advance(emulator, 2 * 60)
        at_11 = send(emulator, "limited", 10)
        results[technique] = (statuses(at_09), statuses(at_11))
    assert results["fixed"] == ([200] * 10, [200] * 10)
    assert results["sliding"] == ([200] * 10, [429] * 10)


def test_rate_limited_answer_is_429_2003_with_log_id_and_no_retry_after(emulator):
    reset(emulator)
    limited_gateway(emulator, "tight", "fixed", limit=1, interval=60)
    ok, limited = send(emulator, "tight", 2)
    assert ok.status_code == 200
    assert limited.status_code == 429
    assert limited.json() == {"result": None, "success": False, "errors": [{"code": 2003, "message": "Rate limited"}], "messages": []}
    assert limited.headers["cf-aig-log-id"] and "retry-after" not in limited.headers
    logs = httpx.get(emulator.account_url + "/ai-gateway/gateways/tight/logs", headers=emulator.auth()).json()["result"]
    assert sorted(e["status_code"] for e in logs) == [200, 429]
    advance(emulator, 60)
    assert statuses(send(emulator, "tight", 1)) == [200]


def test_openai_sdk_sees_rate_limit_error(emulator):
    import openai

    reset(emulator)
    limited_gateway(emulator, "sdk-limited", "sliding", limit=1, interval=60)
    client = openai.OpenAI(base_url=emulator.openai_base_url, api_key=emulator.api_token, max_retries=0,
                           default_headers={"cf-aig-gateway-id": "sdk-limited"})
    client.chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "a"}])
    try:
        client.chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "a"}])
    except openai.RateLimitError as err:
        assert err.status_code == 429
    else:
        raise AssertionError("expected a RateLimitError")


def test_fifty_concurrent_identical_requests_keep_cache_and_counters_consistent(emulator):
    reset(emulator)
    limited_gateway(emulator, "busy", "fixed", limit=30, interval=600, cache_ttl=600)
    body = {"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "same question"}]}
    headers = emulator.auth(**{"cf-aig-gateway-id": "busy"})

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30) as client:
            return await asyncio.gather(*[client.post(emulator.openai_base_url + "/chat/completions", json=body, headers=headers) for _ in range(50)])

    responses = asyncio.run(burst())
    assert sorted(statuses(responses)) == [200] * 30 + [429] * 20
    cache = sorted(r.headers["cf-aig-cache-status"] for r in responses if r.status_code == 200)
    assert cache == ["HIT"] * 29 + ["MISS"]
    assert len({r.json()["id"] for r in responses if r.status_code == 200}) == 1
    logs = httpx.get(emulator.account_url + "/ai-gateway/gateways/busy/logs?per_page=50", headers=emulator.auth()).json()
    assert logs["result_info"]["total_count"] == 50
