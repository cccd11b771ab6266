"""The shipped schemas are valid Draft 2020-12 schemas, and the built-in fixture files are valid
fixture documents (both checked here, not at every start-up)."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from emulator.fixtures import check_fixture_document, fixture_files
from emulator.paths import FIXTURES_DIR, SCHEMAS_DIR
from emulator.schema_check import ConfigError, read_data_file

SCHEMA_FILES = sorted(SCHEMAS_DIR.rglob("*.json"))


def test_schemas_directory_is_not_empty():
    assert len(SCHEMA_FILES) > 3


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: str(p.relative_to(SCHEMAS_DIR)))
def test_every_shipped_schema_is_a_valid_2020_12_schema(path):
    Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))


def test_a_broken_schema_is_caught_by_the_meta_schema_check():
    with pytest.raises(SchemaError):
        Draft202012Validator.check_schema({"type": "no-such-type"})


BUILTIN_FIXTURE_FILES = fixture_files(FIXTURES_DIR)


def test_the_builtin_catalog_and_examples_are_shipped():
    assert {p.name for p in BUILTIN_FIXTURE_FILES} >= {"catalog.json", "examples.json"}


@pytest.mark.parametrize("path", BUILTIN_FIXTURE_FILES, ids=lambda p: p.name)
def test_every_builtin_fixture_file_is_a_valid_fixture_document(path):
    check_fixture_document(read_data_file(path, "fixture file"), str(path))  # raises ConfigError naming the field


def test_the_builtin_check_would_catch_a_broken_document():
    with pytest.raises(ConfigError, match=r"\$\.fixtures\[0\]"):
        check_fixture_document({"fixtures": [{"match": {}, "respond": {"text": 1}}]}, "broken.json")


# --- the fast check (emulator.fast_check): never valid where jsonschema says invalid ----------------
REQUEST_SCHEMAS = sorted((SCHEMAS_DIR / "requests").glob("*.json"))
_scalars = st.none() | st.booleans() | st.integers(-3, 200) | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
    ["", "user", "assistant", "system", "tool", "text", "auto", "required", "function", "openai/gpt-4o-mini", "x"])
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["model", "messages", "role", "content", "type", "text", "tools", "function", "name", "input",
                     "max_tokens", "stream", "tool_choice", "parameters", "prompt", "tool_call_id", "system"]), inner, max_size=4),
    max_leaves=12)


VALID_BODIES = [
    {"model": "openai/gpt-4o-mini", "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]},
    {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]},
                                                 {"role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function", "function": {}}]},
                                                 {"role": "tool", "tool_call_id": "c", "content": "3"}]},
    {"model": "anthropic/claude-sonnet-4-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]},
    {"model": "openai/gpt-4o-mini", "input": "hi"},
    {"model": "@cf/baai/bge-small-en-v1.5", "input": {"text": ["hi"]}},
]


INPUT_SCHEMAS = sorted((SCHEMAS_DIR / "workers_ai").glob("*.json"))
INPUT_BODIES = [{"text": ["hi"]}, {"prompt": "a cat"}, {"messages": [{"role": "user", "content": "hi"}]}, {"text": "hi", "target_lang": "fr"},
                {"audio": [1, 2]}, {"image": [1, 2], "prompt": "what"}, {"input_text": "long text"}, {"requests": [{"text": "a"}]}]


def _has_float(value) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    return False


DOCUMENT_SCHEMAS = [SCHEMAS_DIR / "fixture.schema.json", SCHEMAS_DIR / "config.schema.json"]
DOCUMENT_BODIES = [
    {"fixtures": [{"name": "a", "match": {"content": {"contains": "x"}, "endpoint": "chat_completions"}, "respond": {"text": "y"}}]},
    {"fixtures": [{"match": {"model": "m"}, "respond": {"error": {"status": 500}, "attempts": [{"latency_ms": 5}]}}]},
    {"api_tokens": ["t"], "account_ids": ["a"], "seed": 3, "gateways": [{"id": "g", "cache_ttl": 60}]},
]


@pytest.mark.parametrize("path", REQUEST_SCHEMAS + INPUT_SCHEMAS + DOCUMENT_SCHEMAS, ids=lambda p: str(p.relative_to(SCHEMAS_DIR)))
def test_the_fast_check_calls_valid_exactly_what_jsonschema_calls_valid(path):
    """Never valid where the reference says invalid; and the same verdict, but where the body
    holds a float (the fast check leaves `1.0` as an integer to the reference)."""
    from emulator.fast_check import compile_check

    schema = json.loads(path.read_text(encoding="utf-8"))
    reference = Draft202012Validator(schema)
    fast = compile_check(schema, path.name)
    bodies = VALID_BODIES + INPUT_BODIES + DOCUMENT_BODIES
    for body in bodies:
        assert fast(body) == reference.is_valid(body), body

    # A valid body of each kind with a few of its fields replaced at random: some stay valid.
    valid = st.sampled_from(bodies)
    changes = st.dictionaries(st.sampled_from(["model", "messages", "input", "max_tokens", "stream", "tools", "tool_choice", "prompt",
                                               "text", "temperature", "image", "requests", "response_format", "fixtures", "gateways",
                                               "seed", "api_tokens"]), _values, max_size=2)

    @settings(max_examples=150, deadline=None)
    @given(valid, changes)
    def same(body, changed):
        body = {**body, **changed}
        verdict = fast(body)
        if verdict or not _has_float(body):
            assert verdict == reference.is_valid(body), body

    same()


KEYWORD_CASES = [
    ({"enum": [1, "a", None]}, [(1, True), (1.0, True), (True, False), ("a", True), (None, True), ("b", False), ([1], False)]),
    ({"enum": [True]}, [(True, True), (1, False), (1.0, False)]),
    ({"const": {"a": [1, False]}}, [({"a": [1.0, False]}, True), ({"a": [1, 0]}, False), ({"a": [1, False], "b": 1}, False)]),
    ({"type": "integer", "minimum": 0, "maximum": 3}, [(0, True), (3, True), (4, False), (-1, False), (True, False), (2.0, None)]),
    ({"type": ["string", "null"], "minLength": 2, "pattern": "b"}, [("ab", True), ("a", False), ("aa", False), (None, True), (1, False)]),
    ({"minimum": 1}, [(0, False), ("x", True), (False, True), ([0], True)]),
    ({"oneOf": [{"type": "integer"}, {"minimum": 2}]}, [(1, True), (3, False), (2.5, True), ("x", True)]),
    ({"not": {"type": "string"}}, [("x", False), (1, True)]),
    ({"if": {"properties": {"k": {"const": 1}}}, "then": {"required": ["a"]}, "else": {"required": ["b"]}},
     [({"k": 1, "a": 0}, True), ({"k": 1, "b": 0}, False), ({"k": 2, "b": 0}, True), ({}, False), ("x", True)]),
    ({"properties": {"a": {"type": "string"}}, "additionalProperties": False}, [({"a": "x"}, True), ({"a": 1}, False), ({"b": 1}, False)]),
    ({"properties": {"a": True}, "additionalProperties": {"type": "integer"}}, [({"a": "x", "b": 1}, True), ({"b": "x"}, False)]),
    ({"type": "array", "items": {"$ref": "#"}, "maxItems": 2}, [([], True), ([[], [[]]], True), ([[], [], []], False), ([1], False)]),
    ({"$defs": {"n": {"type": "integer"}}, "$ref": "#/$defs/n", "minimum": 5}, [(5, True), (4, False), ("x", False)]),
    ({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]}, [("x", True), (["x"], True), ([], False), ([1], False)]),
    ({"allOf": [{"required": ["a"]}, {"required": ["b"]}]}, [({"a": 1, "b": 2}, True), ({"a": 1}, False), (3, True)]),
    ({"minProperties": 1, "maxProperties": 2}, [({}, False), ({"a": 1}, True), ({"a": 1, "b": 2, "c": 3}, False), ([], True)]),
    ({"$id": "named.json", "$defs": {"s": {"type": "string"}}, "items": {"$ref": "#/$defs/s"}}, [(["a"], True), ([1], False)]),
    (False, [(1, False)]),
]


@pytest.mark.parametrize("schema, cases", KEYWORD_CASES, ids=lambda v: json.dumps(v)[:40] if not isinstance(v, list) else "")
def test_the_fast_check_reads_each_keyword_as_2020_12_does(schema, cases):
    """`None` marks a valid value the fast check leaves to the reference (an integer as float)."""
    from emulator.fast_check import compile_check

    fast, reference = compile_check(schema), Draft202012Validator(schema)
    for value, expected in cases:
        assert reference.is_valid(value) == (expected is not False), (value, "the case itself is wrong")
        assert fast(value) == bool(expected), value


def test_a_keyword_the_fast_check_does_not_know_leaves_the_schema_to_jsonschema():
    from emulator.fast_check import Unsupported, compile_check
    from emulator.schema_check import SchemaValidator

    with pytest.raises(Unsupported, match="prefixItems"):
        compile_check({"prefixItems": [{"type": "string"}]})
    validator = SchemaValidator("t", {"type": "array", "prefixItems": [{"type": "string"}]})
    assert validator.is_valid(["a", 1]) and not validator.is_valid([1])
