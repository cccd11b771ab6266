"""Same request, same answer across processes; another seed, another answer; one token count in every dialect."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from tests.server import start_emulator

QUESTION = [{"role": "user", "content": "Describe determinism in two sentences."}]


@pytest.fixture(scope="module")
def servers():
    """Two fresh processes with the default seed and one with --seed 7."""
    started = [start_emulator(), start_emulator(), start_emulator("--seed", "7")]
    yield started
    for running in started:
        running.stop()


def answers(running) -> dict:
    with httpx.Client(base_url=running.account_url, headers=running.auth()) as http:
        chat = http.post("/ai/v1/chat/completions", json={"model": "openai/gpt-4.1", "messages": QUESTION}).json()
        tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"n": {"type": "integer"}}}}}
        forced = http.post(
            "/ai/v1/chat/completions", json={"model": "openai/gpt-4.1", "messages": QUESTION, "tools": [tool], "tool_choice": "required"}
        ).json()
        run = http.post("/ai/run/@cf/baai/bge-small-en-v1.5", json={"text": "determinism"}).json()
    return {
        "text": chat["choices"][0]["message"]["content"],
        "arguments": forced["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"],
        "embedding": run["result"]["data"][0][:8],
    }


def test_same_request_gets_the_same_answer_in_separate_processes(servers):
    first, second, _ = servers
    assert answers(first) == answers(second)


# Recorded answers of the default seed. A change that alters them (the seed's encoding, the
# word draws) breaks users' recorded expectations on upgrade: it must be on purpose.
RECORDED = [
    ([{"role": "user", "content": "cached q"}],
     "Century thank teach away trade involve network others despite. Role argue everyone above baby three."),
    ([{"role": "system", "content": 'Sé breve ✓ "q"'}, {"role": "user", "content": "héllo\nworld \\ 日本"}],
     "None option culture tree production health out employee rest."),
]


@pytest.mark.parametrize("messages, text", RECORDED)
def test_a_synthesized_answer_is_the_one_recorded_for_the_default_seed(servers, messages, text):
    with httpx.Client(base_url=servers[0].account_url, headers=servers[0].auth()) as http:
        body = {"model": "openai/gpt-4o-mini", "messages": messages}
        answer = http.post("/ai/v1/chat/completions", json=body, headers={"cf-aig-gateway-id": "default"}).json()
    assert answer["choices"][0]["message"]["content"] == text


# The recorded default-seed embedding of "determinism", whole: the SHA-256 of its components
# as JSON, for a 384- and a 1024-dimension model.
RECORDED_EMBEDDINGS = [
    ("@cf/baai/bge-small-en-v1.5", 384, "de95e9399c4f67813c77f26b24c77eef40dea1932b49d484b8f18a8c6390cdeb"),
    ("@cf/baai/bge-large-en-v1.5", 1024, "4e120ba4bd59ea339700339d6514da7c0e91a681aa727ca1647ca8bbcda35f14"),
]


@pytest.mark.parametrize("model, dimensions, digest", RECORDED_EMBEDDINGS)
def test_a_synthesized_embedding_is_the_one_recorded_for_the_default_seed(servers, model, dimensions, digest):
    with httpx.Client(base_url=servers[0].account_url, headers=servers[0].auth()) as http:
        vector = http.post(f"/ai/run/{model}", json={"text": "determinism"}).json()["result"]["data"][0]
    assert len(vector) == dimensions
    assert vector[:3] == [0.025888, -0.037707, 0.027956] if dimensions == 384 else True
    assert hashlib.sha256(json.dumps(vector).encode()).hexdigest() == digest


def test_another_seed_gives_another_answer(servers):
    first, _, seeded = servers
    a, b = answers(first), answers(seeded)
    assert a["text"] != b["text"]
    assert a["embedding"] != b["embedding"]


def test_token_counts_are_the_same_for_the_same_text_in_every_dialect(http, add_fixture):
    answer = "Tokens are counted the same way, everywhere: 42 times."
    add_fixture({"match": {"content": "count tokens"}, "respond": {"text": answer}})
    chat = http.post("/ai/v1/chat/completions", json={"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "count tokens"}]}).json()
    responses = http.post("/ai/v1/responses", json={"model": "openai/gpt-4.1", "input": "count tokens"}).json()
    messages = http.post(
        "/ai/v1/messages", json={"model": "openai/gpt-4.1", "max_tokens": 100, "messages": [{"role": "user", "content": "count tokens"}]}
    ).json()
    assert chat["choices"][0]["message"]["content"] == answer
    counts = {
        (chat["usage"]["prompt_tokens"], chat["usage"]["completion_tokens"]),
        (responses["usage"]["input_tokens"], responses["usage"]["output_tokens"]),
        (messages["usage"]["input_tokens"], messages["usage"]["output_tokens"]),
    }
    assert counts == {(2, 12)}
