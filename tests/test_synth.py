"""Synthesized structured output validates against the schema the request gave, whatever its keywords."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.checks import ORDER_SCHEMA, assert_valid

SCHEMAS = {
    "order": ORDER_SCHEMA,
    "pattern-date-and-slug": {
        "type": "object",
        "required": ["day", "slug", "code"],
        "properties": {
            "day": {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])-\d{2}$"},
            "slug": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$"},
            "code": {"type": "string", "pattern": "^(ABC|XYZ)_[^_\\s]{2,4}$"},
        },
    },
    "map-with-min-properties": {
        "type": "object",
        "minProperties": 3,
        "additionalProperties": {"type": "integer", "minimum": 10, "maximum": 20},
    },
    "refs-and-defs": {
        "$defs": {"point": {"type": "object", "required": ["x", "y"], "properties": {"x": {"type": "number"}, "y": {"type": "number"}}}},
        "type": "object",
        "required": ["path"],
        "properties": {"path": {"type": "array", "minItems": 2, "items": {"$ref": "#/$defs/point"}}},
    },
    "unique-and-bounded": {
        "type": "object",
        "required": ["ids", "below"],
        "properties": {
            "ids": {"type": "array", "minItems": 4, "maxItems": 4, "uniqueItems": True, "items": {"type": "integer", "minimum": 1, "maximum": 6}},
            "below": {"type": "integer", "maximum": -5},
            "step": {"type": "integer", "minimum": 3, "maximum": 40, "multipleOf": 7},
        },
    },
    "max-properties": {
        "type": "object",
        "maxProperties": 1,
        "required": ["only"],
        "properties": {"only": {"const": "yes"}, "other": {"type": "string"}},
    },
    "any-of-and-nullable": {
        "type": "object",
        "required": ["value", "maybe"],
        "properties": {
            "value": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "integer"}]},
            "maybe": {"type": ["null", "boolean"]},
        },
    },
}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_response_format_answer_validates_against_the_schema(http, name):
    schema = SCHEMAS[name]
    for question in ("one", "two", "three", "four"):
        body = {
            "model": "openai/gpt-4.1",
            "messages": [{"role": "user", "content": f"{name} {question}"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}},
        }
        response = http.post("/ai/v1/chat/completions", json=body)
        assert response.status_code == 200, response.text
        assert_valid(json.loads(response.json()["choices"][0]["message"]["content"]), schema)


def test_synthesized_dates_come_from_the_three_years_before_the_virtual_epoch_and_never_move(http, emulator):
    """Dates were once drawn relative to the real today, so one request's answer changed from run to run."""
    from tests.gateway_helpers import advance

    schema = {"type": "object", "required": ["at", "on"], "properties": {
        "at": {"type": "array", "minItems": 12, "maxItems": 12, "items": {"type": "string", "format": "date-time"}},
        "on": {"type": "array", "minItems": 12, "maxItems": 12, "items": {"type": "string", "format": "date"}},
    }}
    body = {"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "when?"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "when", "schema": schema}}}
    first = json.loads(http.post("/ai/v1/chat/completions", json=body).json()["choices"][0]["message"]["content"])
    assert all("2022-12-31T00:00:00Z" <= at <= "2025-12-31T00:00:00Z" for at in first["at"]), first["at"]
    assert all("2022-12-31" <= on <= "2025-12-31" for on in first["on"]), first["on"]
    advance(emulator, 400 * 86400)
    again = json.loads(http.post("/ai/v1/chat/completions", json=body).json()["choices"][0]["message"]["content"])
    assert again == first
    http.post(emulator.base_url + "/__emulator__/reset")  # the clock back where other tests expect it


# Schemas a client may send that no answer could (or should) satisfy: each is the client's
# mistake, answered 400 at once, and the shared server keeps answering everyone else.
HOSTILE_SCHEMAS = {
    "huge-minItems": ({"type": "array", "minItems": 100_000_000, "items": {"type": "string"}}, "minItems 100000000"),
    "huge-minLength": ({"type": "string", "minLength": 100_000_000}, "minLength 100000000"),
    "huge-minProperties": ({"type": "object", "minProperties": 10_000_000}, "minProperties 10000000"),
    "nested-explosion": (
        {"type": "array", "minItems": 1000, "items": {"type": "array", "minItems": 1000, "items": {"type": "integer"}}},
        "more than 100000 values",
    ),
    "not-a-schema": ({"type": "array", "maxItems": "many"}, "maxItems"),
    "empty-enum": ({"enum": []}, "enum"),
}


@pytest.mark.parametrize("name", HOSTILE_SCHEMAS)
def test_a_schema_no_answer_can_satisfy_is_a_400_naming_it_and_the_server_keeps_answering(openai_client, name):
    import openai

    schema, named = HOSTILE_SCHEMAS[name]
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(
            model="openai/gpt-4.1",
            messages=[{"role": "user", "content": f"hostile {name}"}],
            response_format={"type": "json_schema", "json_schema": {"name": "out", "schema": schema}},
        )
    assert caught.value.status_code == 400
    assert caught.value.body["message"].startswith("Invalid schema for response_format")
    assert named in caught.value.body["message"]
    healthy = openai_client.chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "still there?"}])
    assert healthy.choices[0].message.content


def test_a_tool_whose_parameters_ask_too_much_is_named_in_the_error(anthropic_client):
    import anthropic

    with pytest.raises(anthropic.BadRequestError) as caught:
        anthropic_client.messages.create(
            model="anthropic/claude-sonnet-4.5",
            max_tokens=100,
            messages=[{"role": "user", "content": "call it"}],
            tools=[{"name": "bulk", "input_schema": {"type": "object", "minProperties": 5_000_000}}],
            tool_choice={"type": "tool", "name": "bulk"},
        )
    assert "Invalid schema for function 'bulk'" in caught.value.body["error"]["message"]


def test_minProperties_beyond_the_word_list_still_ends_and_validates(openai_client):
    schema = {"type": "object", "minProperties": 900, "additionalProperties": {"type": "integer"}}
    answer = openai_client.chat.completions.create(
        model="openai/gpt-4.1",
        messages=[{"role": "user", "content": "many keys"}],
        response_format={"type": "json_schema", "json_schema": {"name": "out", "schema": schema}},
    )
    value = json.loads(answer.choices[0].message.content)
    assert_valid(value, schema)
    assert len(value) >= 900


def test_a_workers_ai_json_schema_too_large_is_a_5006_bad_input(http, emulator):
    response = http.post(
        emulator.account_url + "/ai/run",
        headers=emulator.auth(**{"cf-aig-gateway-id": "default"}),
        json={
            "model": "@cf/meta/llama-3.1-8b-instruct",
            "input": {
                "prompt": "list",
                "response_format": {"type": "json_schema", "json_schema": {"type": "array", "minItems": 10**9}},
            },
        },
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == 5006
    assert error["message"].startswith("AiError: Bad input:") and "minItems" in error["message"]


def test_the_word_list_read_without_importing_faker_is_fakers_own():
    """Plain text answers read faker's en_US lorem words from its source, not through a Faker
    (~0.2 s to import and build); a faker release that moves them must not change the words."""
    from faker import Faker

    from emulator.synth import _read_lorem_words

    assert _read_lorem_words() == tuple(Faker("en_US").get_words_list())


# --- the seeded draws: each shortcut draws exactly what `random.Random` would ------------------
# Synthesized answers are promised stable for a faker major version; these shortcuts exist only
# for speed, so each must give, for any seed, what the plain call gives.
@settings(max_examples=300, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**64 - 1), low=st.integers(-1000, 1000), width=st.integers(1, 5000))
def test_the_fast_randint_draws_what_random_randint_draws(seed, low, width):
    from emulator.synth import SeededRandom, randint

    reference, fast = random.Random(seed), SeededRandom(seed)
    assert [randint(fast.getrandbits, low, low + width - 1) for _ in range(20)] == [reference.randint(low, low + width - 1) for _ in range(20)]
    assert fast.getstate() == reference.getstate()


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**64 - 1), count=st.integers(1, 40))
def test_the_words_are_drawn_as_random_choice_and_choices_draw_them(seed, count):
    from emulator.synth import Synth, _lorem_words

    reference = random.Random(seed)
    words = list(_lorem_words())
    expected = [reference.choice(words)] if count == 1 else reference.choices(words, k=count)
    synth = Synth(seed)
    assert synth._draw_words(count) == expected
    assert synth._fake_rng.getstate() == reference.getstate()


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**64 - 1))
def test_random_of_two_outputs_is_what_random_draws_from_them(seed):
    from emulator.synth import random_of

    reference, outputs = random.Random(seed), random.Random(seed)
    for _ in range(20):
        assert random_of(outputs.getrandbits(32), outputs.getrandbits(32)) == reference.random()


def _faker_paragraphs(faker, seed: int, count: int) -> tuple[list[str], random.Random]:
    """`count` paragraphs as Synth.paragraph is defined: randint(1, 3) of faker's own
    sentence(randint(6, 14)), the structure from a Random seeded with `seed`, the sentences from
    the Faker seeded with it."""
    faker.seed_instance(seed)
    structure = random.Random(seed)
    paragraphs = []
    for _ in range(count):
        sentences = structure.randint(1, 3)
        paragraphs.append(" ".join(faker.sentence(structure.randint(6, 14)) for _ in range(sentences)))
    return paragraphs, structure


@pytest.fixture(scope="module")
def faker():
    from faker import Faker

    return Faker("en_US")


def _assert_paragraphs_are_fakers(faker, seed: int) -> None:
    from emulator.synth import Synth

    synth = Synth(seed)
    expected, structure = _faker_paragraphs(faker, seed, 2)
    assert [synth.paragraph(), synth.paragraph()] == expected
    # Both generators end where faker's and the structure's end: what is drawn next is theirs too.
    assert synth.rng.getstate() == structure.getstate()
    assert synth._fake_rng.getstate() == faker.random.getstate()


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**64 - 1))
def test_a_first_paragraph_drawn_from_one_generator_is_fakers_text(faker, seed):
    _assert_paragraphs_are_fakers(faker, seed)


@pytest.mark.parametrize("seed", [3140, 5463, 23964, 55292])
def test_a_first_paragraph_whose_structure_outdraws_its_text_is_fakers_text(faker, seed):
    """Seeds whose sentence count and lengths (rejected draws included) take more of the stream
    than their text does: the text's generator is started again where the text stopped."""
    _assert_paragraphs_are_fakers(faker, seed)


def test_the_first_paragraphs_of_the_first_seeds_are_fakers_text(faker):
    for seed in range(2_000):
        _assert_paragraphs_are_fakers(faker, seed)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.floats(min_value=-1e300, max_value=1e300, allow_nan=False), min_size=1, max_size=50))
def test_a_unit_vector_is_written_as_round_writes_it(values):
    import math

    from emulator.synth import unit_vector

    scale = 1e6 / (math.hypot(*values) or 1.0)
    if scale == math.inf:  # too short a vector for that formula: still written at length 1
        assert abs(math.hypot(*unit_vector(values)) - 1) < 1e-3 * len(values)
        return
    # The bytes, not only the numbers: -0.0 == 0.0, but a client sees the difference.
    assert json.dumps(unit_vector(values)) == json.dumps([round(x * scale) / 1e6 for x in values])


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(seed=st.integers(0, 2**32), parts=st.lists(_JSON_VALUES, max_size=5))
def test_the_request_seed_hashes_the_canonical_json_of_its_parts(seed, parts):
    import hashlib

    from emulator.synth import request_seed

    canonical = [json.dumps(part, sort_keys=True, separators=(",", ":"), default=str) for part in parts]
    digest = hashlib.blake2b("\x00".join([str(seed), *canonical]).encode(), digest_size=8).digest()
    assert request_seed(seed, *parts) == int.from_bytes(digest, "big")


_TEXTS = st.text(alphabet=st.characters(blacklist_categories=()), max_size=30)


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    model=_TEXTS,
    messages=st.lists(st.tuples(st.sampled_from(["system", "user", "assistant", "tool"]), _TEXTS), max_size=4),
    tools=st.lists(st.tuples(_TEXTS, st.one_of(st.none(), st.dictionaries(st.text(max_size=5), _JSON_VALUES, max_size=3))), max_size=2),
    choice=st.tuples(st.sampled_from(["auto", "none", "required", "function"]), st.one_of(st.none(), _TEXTS)),
    schema=st.one_of(st.none(), st.dictionaries(st.text(max_size=5), _JSON_VALUES, max_size=3)),
    json_mode=st.booleans(),
    max_tokens=st.one_of(st.none(), st.integers(1, 10**6)),
)
def test_a_chats_seed_is_the_request_seed_of_its_parts(seed, model, messages, tools, choice, schema, json_mode, max_tokens):
    """chat_seed writes the usual parts itself; the seed is the one request_seed gives them."""
    from emulator.completion import ChatRequest, Message, ToolChoice, ToolSpec
    from emulator.synth import request_seed
    from emulator.upstream import chat_seed

    req = ChatRequest("chat_completions", model, [Message(r, t) for r, t in messages], [ToolSpec(n, "", p) for n, p in tools],
                      ToolChoice(*choice), schema, json_mode, max_tokens)
    expected = request_seed(seed, model, [list(m) for m in messages], [list(t) for t in tools], list(choice), schema, json_mode, max_tokens)
    assert chat_seed(seed, req) == expected
