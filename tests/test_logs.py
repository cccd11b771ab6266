import json

import cloudflare
import httpx

from tests.checks import UUID7
from tests.gateway_helpers import add_fixture, chat, reset


def cf(emu) -> cloudflare.Cloudflare:
    return cloudflare.Cloudflare(api_token=emu.api_token, base_url=emu.cloudflare_base_url, max_retries=0)


def test_log_entry_has_the_documented_fields_and_the_sdk_reads_it(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "log me"}, "respond": {"text": "logged", "latency_ms": 250, "usage": {"input_tokens": 3, "output_tokens": 1}}})
    response = chat(emulator, "log me", {"cf-aig-metadata": '{"user": "u1", "n": 2}'})
    log_id = response.headers["cf-aig-log-id"]
    entry = cf(emulator).ai_gateway.logs.get(log_id, account_id=emulator.account_id, gateway_id="default")
    assert (entry.id, entry.provider, entry.model, entry.status_code, entry.success, entry.cached) == (log_id, "openai", "openai/gpt-4.1", 200, True, False)
    assert (entry.tokens_in, entry.tokens_out, entry.duration, entry.step) == (3, 1, 250, 0)
    assert json.loads(entry.metadata) == {"user": "u1", "n": 2}
    assert entry.path.endswith("/ai/v1/chat/completions")
    request_body = cf(emulator).ai_gateway.logs.request(log_id, account_id=emulator.account_id, gateway_id="default")
    assert request_body["result"]["messages"][0]["content"] == "log me"
    response_body = cf(emulator).ai_gateway.logs.response(log_id, account_id=emulator.account_id, gateway_id="default")
    assert response_body["result"]["choices"][0]["message"]["content"] == "logged"


def test_log_records_every_attempt_with_outcome_and_duration(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "retry log"}, "respond": {"attempts": [{"error": {"status": 503}, "latency_ms": 10}], "text": "ok", "latency_ms": 20}})
    response = chat(emulator, "retry log", {"cf-aig-max-attempts": "2", "cf-aig-retry-delay": "300"})
    entry = httpx.get(f"{emulator.account_url}/ai-gateway/gateways/default/logs/{response.headers['cf-aig-log-id']}", headers=emulator.auth()).json()["result"]
    assert entry["attempts"] == [
        {"attempt": 1, "outcome": "error", "status": 503, "duration_ms": 10, "wait_ms": 300},
        {"attempt": 2, "outcome": "success", "status": 200, "duration_ms": 20, "wait_ms": 0},
    ]
    assert entry["duration"] == 330


def test_cache_hit_is_logged_as_cached_with_zero_cost_and_no_input_tokens(emulator):
    reset(emulator)
    chat(emulator, "hit log", {"cf-aig-cache-ttl": "60"})
    hit = chat(emulator, "hit log", {"cf-aig-cache-ttl": "60"})
    entry = cf(emulator).ai_gateway.logs.get(hit.headers["cf-aig-log-id"], account_id=emulator.account_id, gateway_id="default")
    assert (entry.cached, entry.cost, entry.tokens_in) == (True, 0, 0)
    # What was replayed: the cached answer's own content type and size.
    assert (entry.response_content_type, entry.response_size) == ("application/json", len(hit.content))


def test_metadata_keeps_the_first_five_entries(emulator):
    reset(emulator)
    metadata = {f"k{i}": i for i in range(7)}
    response = chat(emulator, "meta", {"cf-aig-metadata": json.dumps(metadata)})
    entry = cf(emulator).ai_gateway.logs.get(response.headers["cf-aig-log-id"], account_id=emulator.account_id, gateway_id="default")
    assert json.loads(entry.metadata) == {f"k{i}": i for i in range(5)}


def test_metadata_with_an_object_value_is_dropped(emulator):
    reset(emulator)
    response = chat(emulator, "meta obj", {"cf-aig-metadata": '{"a": "x", "b": {"nested": 1}}'})
    assert response.status_code == 200
    entry = cf(emulator).ai_gateway.logs.get(response.headers["cf-aig-log-id"], account_id=emulator.account_id, gateway_id="default")
    assert entry.metadata is None


def test_collect_log_false_writes_no_entry(emulator):
    reset(emulator)
    response = chat(emulator, "secret", {"cf-aig-collect-log": "false"})
    assert response.status_code == 200
    logs = list(cf(emulator).ai_gateway.logs.list(account_id=emulator.account_id, gateway_id="default"))
    assert logs == []


def test_collect_log_payload_false_keeps_metadata_only(emulator):
    reset(emulator)
    response = chat(emulator, "no payload", {"cf-aig-collect-log-payload": "false"})
    log_id = response.headers["cf-aig-log-id"]
    entry = cf(emulator).ai_gateway.logs.get(log_id, account_id=emulator.account_id, gateway_id="default")
    assert entry.model == "openai/gpt-4.1" and entry.request_head is None
    with_payload = httpx.get(f"{emulator.account_url}/ai-gateway/gateways/default/logs/{log_id}/request", headers=emulator.auth())
    assert with_payload.status_code == 404


def test_logs_list_filters_and_pages(emulator):
    reset(emulator)
    for i in range(3):
        chat(emulator, f"q{i}", {"cf-aig-metadata": json.dumps({"user": "alice" if i else "bob"})})
    client = cf(emulator)
    alice = list(client.ai_gateway.logs.list(account_id=emulator.account_id, gateway_id="default",
                                             filters=[{"key": "metadata.value", "operator": "eq", "value": ["alice"]}]))
    assert len(alice) == 2
    page = client.ai_gateway.logs.list(account_id=emulator.account_id, gateway_id="default", per_page=2)
    assert len(page.result) == 2 and page.result_info.total_count == 3
    assert len(list(page)) == 3  # auto-paging reaches the third
    too_many = httpx.get(f"{emulator.account_url}/ai-gateway/gateways/default/logs?per_page=51", headers=emulator.auth())
    assert too_many.status_code == 400


def test_reset_clears_cache_rate_limits_logs_and_journal(emulator):
    reset(emulator)
    chat(emulator, "remember", {"cf-aig-cache-ttl": "600"})
    reset(emulator)
    assert chat(emulator, "remember", {"cf-aig-cache-ttl": "600"}).headers["cf-aig-cache-status"] == "MISS"
    journal = httpx.get(emulator.base_url + "/__emulator__/journal").json()["entries"]
    assert len(journal) == 1
    logs = list(cf(emulator).ai_gateway.logs.list(account_id=emulator.account_id, gateway_id="default"))
    assert len(logs) == 1


def test_control_api_openapi_document_lists_every_control_route(emulator):
    doc = httpx.get(emulator.base_url + "/__emulator__/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert {"/__emulator__/reset", "/__emulator__/clock", "/__emulator__/journal", "/__emulator__/fixtures"} <= set(doc["paths"])


def test_the_clock_refuses_advances_it_could_not_write_down_and_keeps_its_time(emulator):
    reset(emulator)
    clock = emulator.base_url + "/__emulator__/clock"
    before = httpx.get(clock).json()["now"]
    for advance, problem in [("-1", "backwards"), ("NaN", "finite"), ("Infinity", "finite"), ("1e300", "9999-12-31"), ("1" + "0" * 400, "advance")]:
        response = httpx.post(clock, content='{"advance": ' + advance + "}")
        assert response.status_code == 400 and problem in response.text, (advance, response.text)
    assert httpx.get(clock).json()["now"] == before
    assert chat(emulator, "still logging").status_code == 200
    assert httpx.post(clock, json={"advance": 3600}).json()["now"] == before + 3600


def test_a_streamed_answers_log_keeps_its_whole_transcript(emulator):
    """The log entry of a stream is written out when read, from what was sent: every frame, in order."""
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "stream log"}, "respond": {"text": "one two three four five six"}})
    body = {"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "stream log"}], "stream": True}
    with httpx.stream("POST", f"{emulator.account_url}/ai/v1/chat/completions", json=body, headers=emulator.auth()) as response:
        sent = response.read().decode("utf-8")
        log_id = response.headers["cf-aig-log-id"]
    assert sent.count("data: ") > 6 and sent.endswith("data: [DONE]\n\n")
    entry = cf(emulator).ai_gateway.logs.get(log_id, account_id=emulator.account_id, gateway_id="default")
    assert entry.response_size == len(sent.encode("utf-8"))
    logged = httpx.get(f"{emulator.account_url}/ai-gateway/gateways/default/logs/{log_id}/response", headers=emulator.auth()).json()["result"]
    assert logged == sent


def test_log_ids_are_uuid7s_that_sort_in_request_order_and_the_logs_api_takes_both_id_formats(emulator):
    reset(emulator)
    sent = [chat(emulator, f"order {n}").headers["cf-aig-log-id"] for n in range(5)]  # all in one virtual millisecond
    assert all(UUID7.match(log_id) for log_id in sent) and sent == sorted(sent)
    client = cf(emulator)
    listed = client.ai_gateway.logs.list(gateway_id="default", account_id=emulator.account_id, order_by="created_at")
    assert [log.id for log in listed.result] == sent[::-1]  # newest first
    assert client.ai_gateway.logs.get(sent[2], account_id=emulator.account_id, gateway_id="default").id == sent[2]
    for unknown in ("01JADMCQQQBWH3NXZ5GCRN98DP", "019a7b3e-5f2c-7c41-9d3e-2b8f6a1c4e07"):  # an older ULID, another UUIDv7
        response = httpx.get(f"{emulator.account_url}/ai-gateway/gateways/default/logs/{unknown}", headers=emulator.auth())
        assert response.status_code == 404 and response.json()["errors"][0]["code"] == 7002, response.text
    only = httpx.get(f"{emulator.account_url}/ai-gateway/gateways/default/logs", headers=emulator.auth(),
                     params={"filters": json.dumps([{"key": "id", "operator": "eq", "value": [sent[1], "01JADMCQQQBWH3NXZ5GCRN98DP"]}])})
    assert [log["id"] for log in only.json()["result"]] == [sent[1]]
