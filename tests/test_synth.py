"""Synthesized structured output validates against the schema the request gave, whatever its keywords."""

from __future__ import annotations

import json

import pytest

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
