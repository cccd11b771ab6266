"""The shipped schemas are valid Draft 2020-12 schemas, and the built-in fixture files are valid
fixture documents (both checked here, not at every start-up)."""

import json

import pytest
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
