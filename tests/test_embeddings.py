"""ai/v1/embeddings: OpenAI's embeddings format over Workers AI embedding models, with the SDK."""

from __future__ import annotations

import openai
import pytest

from tests.test_streaming_contract import assert_valid, openai_schemas, validator  # noqa: F401 (fixture)
from tests.checks import assert_gateway_headers

MODEL = "@cf/baai/bge-large-en-v1.5"
GATEWAY = {"cf-aig-gateway-id": "default"}


@pytest.fixture
def client(http, emulator):  # `http` resets the emulator first
    return openai.OpenAI(base_url=emulator.openai_base_url, api_key=emulator.api_token, max_retries=0, default_headers=GATEWAY)


def unit(vector: list[float]) -> bool:
    return abs(sum(x * x for x in vector) - 1) < 1e-3


def test_the_sdk_default_base64_encoding_decodes_to_the_models_unit_vectors(client):
    # The SDK asks for base64 unless told otherwise and decodes float32 itself.
    result = client.embeddings.create(model=MODEL, input="I love matcha")
    assert result.model == MODEL and len(result.data) == 1
    assert len(result.data[0].embedding) == 1024 and unit(result.data[0].embedding)
    assert result.usage.prompt_tokens == result.usage.total_tokens > 0


def test_float_encoding_batches_and_matches_ai_run(client, http):
    texts = ["first text", "second text"]
    result = client.embeddings.create(model=MODEL, input=texts, encoding_format="float")
    assert [d.index for d in result.data] == [0, 1]
    run = http.post("/ai/run", json={"model": MODEL, "input": {"text": texts}}, headers=GATEWAY).json()["result"]
    assert [d.embedding for d in result.data] == run["data"]


def test_dimensions_shortens_and_renormalizes(client):
    result = client.embeddings.create(model=MODEL, input="short", encoding_format="float", dimensions=256)
    assert len(result.data[0].embedding) == 256 and unit(result.data[0].embedding)


@pytest.mark.parametrize(
    "body,param",
    [
        ({"model": "@cf/meta/llama-3.1-8b-instruct", "input": "x"}, "model"),
        ({"model": MODEL, "input": []}, "input"),
        ({"model": MODEL, "input": [1, 2, 3]}, "input[0]"),
        ({"model": MODEL, "input": "x", "dimensions": 4096}, "dimensions"),
        ({"model": MODEL, "input": "x", "encoding_format": "int8"}, "encoding_format"),
    ],
)
def test_bad_requests_are_openai_errors_naming_the_field(client, body, param):
    with pytest.raises(openai.BadRequestError) as raised:
        client.embeddings.create(**body)
    error = raised.value.body
    assert error["param"] == param and error["type"] == "invalid_request_error" and error["message"]


def test_gateway_rules_apply_cache_and_log(http):
    body = {"model": MODEL, "input": "cache me"}
    first = http.post("/ai/v1/embeddings", json=body, headers={**GATEWAY, "cf-aig-cache-ttl": "600"})
    second = http.post("/ai/v1/embeddings", json=body, headers={**GATEWAY, "cf-aig-cache-ttl": "600"})
    assert [first.headers["cf-aig-cache-status"], second.headers["cf-aig-cache-status"]] == ["MISS", "HIT"]
    assert second.json() == first.json() and first.headers["x-request-id"].startswith("req_")
    logs = http.get("/ai-gateway/gateways/default/logs").json()["result"]
    assert [log["cached"] for log in logs] == [True, False] and logs[0]["model"] == MODEL
    missing_gateway = http.post("/ai/v1/embeddings", json=body)
    assert missing_gateway.status_code == 400 and missing_gateway.json()["errors"][0]["code"] == 2001


def test_a_fixture_answers_embeddings(client, add_fixture):
    add_fixture({"match": {"endpoint": "embeddings", "content": "fixed"}, "respond": {"output": {"shape": [1, 3], "data": [[0.6, 0.8, 0.0]], "pooling": "mean"}}})
    result = client.embeddings.create(model=MODEL, input="fixed", encoding_format="float")
    assert result.data[0].embedding == [0.6, 0.8, 0.0]


def test_the_answer_is_a_create_embedding_response(client, openai_schemas):  # noqa: F811
    raw = client.embeddings.with_raw_response.create(model=MODEL, input=["a", "b"], encoding_format="float")
    assert_valid(validator(openai_schemas, "CreateEmbeddingResponse"), raw.http_response.json())


def test_the_gateway_hosts_workers_ai_path_serves_embeddings_too(emulator, http):
    gateway = f"{emulator.base_url}/v1/{emulator.account_id}/default/workers-ai/v1"
    client = openai.OpenAI(base_url=gateway, api_key="any-key", max_retries=0, default_headers={"cf-aig-authorization": f"Bearer {emulator.api_token}"})
    raw = client.embeddings.with_raw_response.create(model="@cf/baai/bge-small-en-v1.5", input=["x", "y"])
    assert [len(d.embedding) for d in raw.parse().data] == [384, 384]
    assert_gateway_headers(raw.headers)


def test_openai_embedding_models_through_the_gateway_hosts_openai_path(emulator, http):
    gateway = f"{emulator.base_url}/v1/{emulator.account_id}/default/openai"
    client = openai.OpenAI(base_url=gateway, api_key="sk-provider-key", max_retries=0, default_headers={"cf-aig-authorization": f"Bearer {emulator.api_token}"})
    small = client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert small.model == "text-embedding-3-small" and [len(d.embedding) for d in small.data] == [1536, 1536]
    assert len(client.embeddings.create(model="text-embedding-3-large", input="a", dimensions=256).data[0].embedding) == 256
    with pytest.raises(openai.BadRequestError) as raised:
        client.embeddings.create(model="gpt-4.1", input="a")
    assert raised.value.body["param"] == "model"


def test_workers_ai_models_take_at_most_100_texts_openai_models_more(client):
    with pytest.raises(openai.BadRequestError) as raised:
        client.embeddings.create(model=MODEL, input=["x"] * 101)
    assert raised.value.body["param"] == "input" and "100" in raised.value.body["message"]
    assert len(client.embeddings.create(model="openai/text-embedding-3-small", input=["x"] * 101).data) == 101
