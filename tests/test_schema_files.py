"""The shipped schemas are valid Draft 2020-12 schemas (checked here, not at every start-up)."""

import json

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from emulator.paths import SCHEMAS_DIR

SCHEMA_FILES = sorted(SCHEMAS_DIR.rglob("*.json"))


def test_schemas_directory_is_not_empty():
    assert len(SCHEMA_FILES) > 3


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: str(p.relative_to(SCHEMAS_DIR)))
def test_every_shipped_schema_is_a_valid_2020_12_schema(path):
    Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))


def test_a_broken_schema_is_caught_by_the_meta_schema_check():
    with pytest.raises(SchemaError):
        Draft202012Validator.check_schema({"type": "no-such-type"})
