"""What is wrong with a request body, said neutrally, for each dialect to phrase its own way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulator.schema_check import type_name

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

_RANGE = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_LENGTH = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")


@dataclass
class Violation:
    path: tuple[Any, ...]  # to the offending field (for `missing`, including the missing name)
    kind: str  # missing | type | enum | range | length | pattern | additional | other
    got: Any = None
    expected_types: list[str] = field(default_factory=list)
    allowed: list[Any] = field(default_factory=list)
    keyword: str = ""
    limit: Any = None
    message: str = ""

    @property
    def got_type(self) -> str:
        return type_name(self.got)


def _branch_types(error: ValidationError) -> list[str] | None:
    """For an anyOf/oneOf that failed only on type at its own level: the types it allows."""
    types: list[str] = []
    for branch in error.validator_value:
        if not isinstance(branch, dict):
            return None
        kind = branch.get("type")
        if kind is None:
            return None
        types.extend(kind if isinstance(kind, list) else [kind])
    return types


def violation_of(error: ValidationError) -> Violation:
    """The most useful single violation inside a jsonschema error."""
    from jsonschema.exceptions import best_match  # only an invalid request pays for jsonschema

    while True:
        if error.validator in ("anyOf", "oneOf") and error.context:
            same_level = [e for e in error.context if list(e.relative_path) == []]
            if same_level and all(e.validator == "type" for e in same_level):
                types = _branch_types(error)
                if types is not None and len(same_level) == len(error.validator_value):
                    return Violation(tuple(error.absolute_path), "type", got=error.instance, expected_types=types, message=error.message)
            deeper = [e for e in error.context if list(e.relative_path)]
            pool = deeper or error.context
            error = best_match(pool) or error
            if error.validator not in ("anyOf", "oneOf"):
                continue
            if not error.context:
                break
            continue
        if error.validator in ("allOf", "if", "then") and error.context:
            error = best_match(error.context) or error
            continue
        break
    path = tuple(error.absolute_path)
    v = error.validator
    if v == "required":
        missing = next((name for name in error.validator_value if isinstance(error.instance, dict) and name not in error.instance), None)
        return Violation(path + (missing,), "missing", message=error.message)
    if v == "type":
        expected = error.validator_value
        return Violation(path, "type", got=error.instance, expected_types=expected if isinstance(expected, list) else [expected], message=error.message)
    if v in ("enum", "const"):
        allowed = error.validator_value if v == "enum" else [error.validator_value]
        return Violation(path, "enum", got=error.instance, allowed=list(allowed), message=error.message)
    if v in _RANGE:
        return Violation(path, "range", got=error.instance, keyword=v, limit=error.validator_value, message=error.message)
    if v in _LENGTH:
        return Violation(path, "length", got=error.instance, keyword=v, limit=error.validator_value, message=error.message)
    if v == "pattern":
        return Violation(path, "pattern", got=error.instance, limit=error.validator_value, message=error.message)
    if v in ("additionalProperties", "unevaluatedProperties"):
        extra = []
        if isinstance(error.instance, dict) and isinstance(error.schema, dict):
            known = set(error.schema.get("properties", {}))
            extra = [k for k in error.instance if k not in known]
        return Violation(path, "additional", got=error.instance, allowed=extra, message=error.message)
    return Violation(path, "other", got=error.instance, keyword=str(v), message=error.message)
