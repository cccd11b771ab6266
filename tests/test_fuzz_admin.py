"""Arbitrary bodies and queries at the management, logs, models and control APIs: never a 5xx,
and the server keeps its state (a private emulator: the fuzz reconfigures its gateways)."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_fuzz import any_json

GATEWAY_FIELDS = [
    "id", "cache_ttl", "cache_invalidate_on_update", "collect_logs", "rate_limiting_limit", "rate_limiting_interval",
    "rate_limiting_technique", "authentication", "retry_max_attempts", "retry_delay", "retry_backoff", "log_management",
    "log_management_strategy", "guardrails", "dlp", "spend_limits", "zdr", "byok_only", "workers_ai_billing_mode",
]
LOG_QUERY_KEYS = ["page", "per_page", "order_by", "order_by_direction", "direction", "search", "cached", "success", "model",
                  "provider", "filters", "start_date", "end_date", "min_cost", "feedback", "meta_info"]
field_value = any_json | st.integers(-5, 10**12) | st.sampled_from(["fixed", "sliding", "constant", "exponential", "STOP_INSERTING"])
gateway_body = st.fixed_dictionaries({}, optional={k: field_value for k in GATEWAY_FIELDS}) | any_json
query_value = st.text(max_size=12) | st.integers(-3, 10**6).map(str) | st.sampled_from(
    ['[{"key":"model","operator":"eq","value":["x"]}]', '[{"key":"metadata.a","operator":"gt","value":[0]}]', '[{"key":5}]', "[]", "true"])
log_query = st.dictionaries(st.sampled_from(LOG_QUERY_KEYS), query_value, max_size=4)


@pytest.fixture(scope="module")
def admin():
    from tests.server import start_emulator

    running = start_emulator()
    account = f"/client/v4/accounts/{running.account_id}"
    with httpx.Client(base_url=running.base_url, headers=running.auth(), timeout=10) as http:
        for n in range(3):
            http.post(f"{account}/ai/v1/chat/completions", headers={"cf-aig-gateway-id": "default", "cf-aig-metadata": '{"a": 1}'},
                      json={"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": f"hi {n}"}]})
        log_id = http.get(f"{account}/ai-gateway/gateways/default/logs").json()["result"][0]["id"]
        yield http, account, log_id
    log = running.stop()
    assert "Traceback" not in log, log[-4000:]


def operations(account: str, log_id: str):
    gateways = f"{account}/ai-gateway/gateways"
    return st.one_of(
        st.tuples(st.just("POST"), st.just(gateways), gateway_body, st.just({})),
        st.tuples(st.just("PUT"), st.just(gateways + "/default"), gateway_body, st.just({})),
        st.tuples(st.just("GET"), st.just(gateways), st.none(), log_query),
        st.tuples(st.just("GET"), st.just(gateways + "/default/logs"), st.none(), log_query),
        st.tuples(st.just("DELETE"), st.just(gateways + "/default/logs"), st.none(), log_query),
        st.tuples(st.just("PATCH"), st.just(f"{gateways}/default/logs/{log_id}"),
                  any_json | st.fixed_dictionaries({}, optional={"feedback": any_json, "score": any_json, "metadata": any_json}), st.just({})),
        st.tuples(st.just("GET"), st.just(f"{account}/ai/models/search"), st.none(),
                  st.dictionaries(st.sampled_from(["task", "author", "search", "page", "per_page", "source", "hide_experimental"]), st.text(max_size=8), max_size=3)),
        st.tuples(st.just("GET"), st.just(f"{account}/ai/models/schema"), st.none(),
                  st.dictionaries(st.just("model"), st.text(max_size=20) | st.sampled_from(["@cf/baai/bge-m3", "openai/gpt-4.1"]), max_size=1)),
        st.tuples(st.just("POST"), st.just("/__emulator__/clock"), any_json | st.fixed_dictionaries({"advance": any_json | st.floats()}), st.just({})),
        st.tuples(st.just("POST"), st.just("/__emulator__/fixtures"), any_json | st.fixed_dictionaries({"match": any_json, "respond": any_json}), st.just({})),
    )


def test_admin_apis_never_answer_a_server_error(admin):
    http, account, log_id = admin

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(op=operations(account, log_id))
    def check(op):
        method, path, body, query = op
        response = http.request(method, path, content=None if body is None else json.dumps(body), params=query)
        assert response.status_code < 500, (op, response.text[:500])

    check()
    assert http.get("/__emulator__/health").json()["status"] == "ok"
    assert http.get(f"{account}/ai-gateway/gateways").status_code == 200
