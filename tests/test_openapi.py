"""GET /__emulator__/openapi.json describes every route the emulator serves, and the emulator
answers as it says: schemathesis sends generated requests to each operation (a few each, so the
run stays fast) and checks no answer is a 5xx and every answer has a documented status, content
type and body."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks

from tests.server import ACCOUNT_ID

EXAMPLES_PER_OPERATION = 6
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance, checks.response_schema_conformance]


@pytest.fixture(scope="module")
def fuzzed(start_module):
    return start_module()


@pytest.fixture(scope="module")
def start_module():
    from tests.server import start_emulator

    started = []

    def _start(*args: str, env: dict[str, str] | None = None):
        started.append(start_emulator(*args, env=env))
        return started[-1]

    yield _start
    for running in started:
        running.stop()


def test_the_document_describes_every_route_with_real_schemas_and_refers_to_nothing_outside(emulator):
    doc = httpx.get(emulator.base_url + "/__emulator__/openapi.json").json()
    paths = set(doc["paths"])
    assert {
        "/client/v4/accounts/{account_id}/ai/run", "/client/v4/accounts/{account_id}/ai/v1/chat/completions",
        "/v1/{account_id}/{gateway_id}", "/v1/{account_id}/{gateway_id}/anthropic/v1/messages",
        "/client/v4/accounts/{account_id}/ai-gateway/gateways/{gateway_id}/logs/{log_id}",
        "/__emulator__/reset", "/__emulator__/clock", "/__emulator__/journal", "/__emulator__/fixtures",
    } <= paths
    text = httpx.get(emulator.base_url + "/__emulator__/openapi.json").text
    assert '"$ref": "fixture.schema.json' not in text and '"$ref":"fixture.schema.json' not in text
    schemas = doc["components"]["schemas"]
    refs = {part.split('"')[0] for part in text.split('"#/components/schemas/')[1:]}
    assert refs <= set(schemas), refs - set(schemas)  # every reference is in the document
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                for content in response.get("content", {}).values():
                    assert content["schema"] != {"type": "object"}, (method, path, status)


# Routes of the app's table the document describes under other, concrete paths.
DESCRIBED_ELSEWHERE = {
    # the gateway host's catch-all: described as each provider's own path (openai/chat/completions, anthropic/v1/messages, ...)
    "/v1/{account_id}/{gateway_id}/{rest}",
    # the legacy run route: described as ai/run/@cf/{author}/{model}
    "/client/v4/accounts/{account_id}/ai/run/{model}",
}


def test_every_route_of_the_app_is_in_the_document():
    import re

    from emulator.app import build_app
    from emulator.openapi import openapi_document
    from emulator.settings import Settings

    served = {re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path) for route in build_app(Settings()).app.routes}
    paths = set(openapi_document()["paths"])
    assert DESCRIBED_ELSEWHERE <= served, DESCRIBED_ELSEWHERE - served  # an exception that is no longer a route goes too
    assert served - DESCRIBED_ELSEWHERE <= paths, sorted(served - DESCRIBED_ELSEWHERE - paths)


def test_a_clock_advance_the_document_allows_is_one_the_clock_takes(emulator):
    doc = httpx.get(emulator.base_url + "/__emulator__/openapi.json").json()
    body = doc["paths"]["/__emulator__/clock"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["advance"]["maximum"] < 6.2e306
    httpx.post(emulator.base_url + "/__emulator__/reset").raise_for_status()
    most = httpx.post(emulator.base_url + "/__emulator__/clock", json={"advance": body["properties"]["advance"]["maximum"]})
    assert most.status_code == 200 and most.json()["iso"] == "9999-12-31T23:59:59Z"
    httpx.post(emulator.base_url + "/__emulator__/reset").raise_for_status()


def operations(url: str) -> list[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_url(url)
    return [result.ok() for result in schema.get_all_operations()]


def test_every_operation_answers_as_documented(fuzzed):
    headers = {"Authorization": f"Bearer {fuzzed.api_token}", "cf-aig-authorization": f"Bearer {fuzzed.api_token}"}
    found = operations(fuzzed.base_url + "/__emulator__/openapi.json")
    assert len(found) >= 40
    failures = []
    for operation in found:
        if operation.path == "/__emulator__/reset":
            continue  # would forget the other operations' state between examples; its answer is checked by the control tests

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def answers_as_documented(case):
            if case.path_parameters and "account_id" in case.path_parameters:
                case.path_parameters["account_id"] = ACCOUNT_ID
            case.call_and_validate(base_url=fuzzed.base_url, headers=headers, checks=CHECKS, timeout=10)

        try:
            answers_as_documented()
        except BaseException as exc:  # every operation's failure, not only the first (schemathesis raises a BaseExceptionGroup)
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    assert "Traceback" not in fuzzed.stderr()


def test_a_stream_with_two_chunkings_is_refused_by_the_document_and_by_the_server(emulator):
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    doc = httpx.get(emulator.base_url + "/__emulator__/openapi.json").json()
    registry = Registry().with_resource("urn:emulator", Resource.from_contents(doc, default_specification=DRAFT202012))
    validator = Draft202012Validator({"$ref": "urn:emulator#/components/schemas/fixture.fixture"}, registry=registry)
    for stream in ({"by": "token", "chars": 2, "chunks": ["a", "bc"]}, {"chars": 2, "chunks": ["abc"]}, {"error_after": 1, "malformed_after": 2}):
        fixture = {"respond": {"text": "abc", "stream": stream}}
        assert not validator.is_valid(fixture), stream
        refused = httpx.post(emulator.base_url + "/__emulator__/fixtures", json=fixture)
        assert refused.status_code == 400 and "choose one chunking" in refused.json()["error"]
    assert validator.is_valid({"respond": {"text": "abc", "stream": {"chunks": ["a", "bc"], "error_after": 1}}})


def declared(doc: dict, schema: dict):
    """A validator for one of the document's schemas (its #/components references resolved in it)."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator({**schema, "components": doc["components"]})


def test_the_limits_answers_are_declared_for_every_route_they_can_come_from(start_module):
    import json
    import socket

    limited = start_module("--max-body-bytes", "4000", env={"AI_GATEWAY_EMULATOR_MAX_HEADER_COUNT": "20",
                                                            "AI_GATEWAY_EMULATOR_HEADER_TIMEOUT_S": "0.3"})
    doc = httpx.get(limited.base_url + "/__emulator__/openapi.json").json()
    headers = {"Authorization": f"Bearer {limited.api_token}", "cf-aig-authorization": f"Bearer {limited.api_token}",
               "content-type": "application/json"}
    chat = httpx.post(limited.openai_base_url + "/chat/completions", headers=headers,
                      json={"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "hi"}]})
    too_many = httpx.get(limited.base_url + "/__emulator__/health", headers={f"x-h{i}": "v" for i in range(30)})
    host, port = limited.base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"GET /__emulator__/health HTTP/1.1\r\nHost: x\r\n")  # a head never finished
        slow = sock.makefile("rb").read()
    front_door = {"431": (too_many.status_code, too_many.json()), "408": (int(slow.split()[1]), json.loads(slow.split(b"\r\n\r\n", 1)[1]))}
    wrong = []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            answers = dict(front_door)
            if "requestBody" in operation:
                values = {p["name"]: p.get("example") for p in operation.get("parameters", []) if p["in"] == "path"}
                url = path
                for name, value in {**values, "account_id": ACCOUNT_ID, "log_id": chat.headers["cf-aig-log-id"]}.items():
                    url = url.replace("{%s}" % name, str(value))
                refused = httpx.request(method, limited.base_url + url, headers=headers, content=json.dumps({"x": "a" * 5000}))
                answers["413"] = (refused.status_code, refused.json())
            for status, (got, body) in answers.items():
                response = operation["responses"].get(status)
                if got != int(status) or response is None:
                    wrong.append(f"{method} {path}: {got} answered, {status} not declared")
                elif errors := list(declared(doc, response["content"]["application/json"]["schema"]).iter_errors(body)):
                    wrong.append(f"{method} {path} {status}: {errors[0].message}")
    assert not wrong, "\n".join(wrong)


def test_the_journal_and_the_logs_entries_declare_every_field_they_carry(emulator):
    httpx.post(emulator.base_url + "/__emulator__/reset").raise_for_status()
    doc = httpx.get(emulator.base_url + "/__emulator__/openapi.json").json()
    answer = httpx.post(emulator.openai_base_url + "/chat/completions", headers=emulator.auth(),
                        json={"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "y" * (1024 * 1024 + 10)}]})
    journal = httpx.get(emulator.base_url + "/__emulator__/journal").json()
    log_path = "/client/v4/accounts/{account_id}/ai-gateway/gateways/{gateway_id}/logs/{log_id}"
    log = httpx.get(f"{emulator.account_url}/ai-gateway/gateways/default/logs/{answer.headers['cf-aig-log-id']}", headers=emulator.auth()).json()
    assert journal["entries"][-1]["body_truncated"] is True and log["result"]["request_head_complete"] is False
    schemas = doc["components"]["schemas"]
    for name, entry, schema in [
        ("JournalEntry", journal["entries"][-1], schemas["JournalEntry"]),
        ("log", log["result"], doc["paths"][log_path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["result"]),
    ]:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema
        assert set(entry) <= set(schema["properties"]), (name, set(entry) - set(schema["properties"]))
    assert schemas["JournalEntry"]["properties"]["body_truncated"] == {"type": "boolean"}
    assert "body_truncated" in schemas["JournalEntry"]["required"]
    assert not list(declared(doc, doc["paths"]["/__emulator__/journal"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]).iter_errors(journal))
    assert not list(declared(doc, doc["paths"][log_path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]).iter_errors(log))
