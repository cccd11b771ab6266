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
from emulator.schema_check import ConfigError, compile_fast_check, read_data_file

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


# --- the fast check: fastjsonschema's code without its error wording ------------------------
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


@pytest.mark.parametrize("path", REQUEST_SCHEMAS, ids=lambda p: p.name)
def test_the_fast_check_accepts_exactly_what_fastjsonschema_accepts(path):
    import fastjsonschema

    schema = json.loads(path.read_text(encoding="utf-8"))
    reference = fastjsonschema.compile(schema, use_default=False, use_formats=False)
    fast = compile_fast_check(schema, path.name)

    def verdict(check, body) -> bool:
        try:
            check(body)
            return True
        except fastjsonschema.JsonSchemaException:
            return False

    # A valid body of each kind with a few of its fields replaced at random: some stay valid.
    valid = st.sampled_from(VALID_BODIES)
    changes = st.dictionaries(st.sampled_from(["model", "messages", "input", "max_tokens", "stream", "tools", "tool_choice", "prompt"]),
                              _values, max_size=2)

    @settings(max_examples=150, deadline=None)
    @given(valid, changes)
    def same(body, changed):
        body = {**body, **changed}
        assert verdict(fast, body) == verdict(reference, body)

    same()
