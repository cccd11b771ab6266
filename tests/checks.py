"""Assertions shared by test modules: what a user checks on every gateway answer."""

from __future__ import annotations

import re
from typing import Any

import jsonschema

# The gateway's log and request ids since 2026-10-08: lowercase UUIDv7.
UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

# A non-trivial output / tool schema: nested objects, arrays, enums, bounded integers, required.
ORDER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["customer", "items", "status", "priority"],
    "properties": {
        "customer": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "email", "tier"],
            "properties": {
                "name": {"type": "string", "minLength": 2, "maxLength": 40},
                "email": {"type": "string", "format": "email"},
                "tier": {"enum": ["free", "pro", "enterprise"]},
            },
        },
        "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": 4,
            "items": {
                "type": "object",
                "required": ["sku", "quantity"],
                "additionalProperties": False,
                "properties": {
                    "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
                    "quantity": {"type": "integer", "minimum": 1, "maximum": 9},
                    "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                },
            },
        },
        "status": {"type": "string", "enum": ["open", "shipped", "cancelled"]},
        "priority": {"type": "integer", "minimum": 1, "maximum": 5},
        "discount": {"type": ["number", "null"], "minimum": 0, "exclusiveMaximum": 1},
        "notes": {"$ref": "#/$defs/note"},
    },
    "$defs": {"note": {"type": "object", "minProperties": 1, "additionalProperties": {"type": "string"}}},
}


def assert_valid(instance: Any, schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(instance)


def assert_gateway_headers(headers: Any, event_id: str | None = None) -> None:
    """A request answered in one step: one UUIDv7 in log, request and event id (the client's event id echoed)."""
    assert UUID7.match(headers["cf-aig-log-id"]), headers["cf-aig-log-id"]
    assert headers["cf-aig-request-id"] == headers["cf-aig-log-id"]
    assert headers["cf-aig-event-id"] == (headers["cf-aig-log-id"] if event_id is None else event_id)
    assert headers["cf-aig-step"] == "0"


def assert_no_gateway_headers(headers: Any) -> None:
    assert not [name for name in headers if name.lower().startswith("cf-aig-")]


def assert_v4_error(response: Any, status: int, code: int, message_part: str = "") -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["result"] is None
    assert body["messages"] == []
    assert body["errors"][0]["code"] == code, body
    assert message_part in body["errors"][0]["message"], body
    return body
