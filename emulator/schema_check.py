"""JSON Schema validators from schemas/, compiled once, with errors that name the field."""

from __future__ import annotations

import json
from pathlib import Path
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Iterable

from emulator.fast_check import Unsupported, compile_check
from emulator.paths import SCHEMAS_DIR

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError


class ConfigError(Exception):
    """A fixture or config file that cannot be used; the message names file and field."""


def json_path(path: Iterable[Any]) -> str:
    """`$.fixtures[2].match.model` from a jsonschema error path."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def describe(error: ValidationError) -> str:
    """What was expected at the failing field, in words."""
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "additionalProperties":
        return error.message
    if error.validator == "type":
        expected = error.validator_value
        if isinstance(expected, list):
            expected = " or ".join(expected)
        return f"expected {expected}, got {type_name(error.instance)}"
    if error.validator == "enum":
        return "expected one of " + ", ".join(json.dumps(v) for v in error.validator_value)
    if error.validator == "not" and isinstance(error.validator_value, dict) and "description" in error.validator_value:
        return error.validator_value["description"]  # what a `not` forbids, in the schema's words
    return error.message


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


class SchemaValidator:
    """Validate fast, explain slow: a compiled check (emulator.fast_check) answers "valid" on
    the hot path; jsonschema, the reference, decides every body the fast check does not call
    valid, and explains. The fast check is compiled on first use (under a millisecond for a
    request schema); jsonschema (~0.15 s to import) is only loaded when a body is rejected or
    a schema uses a keyword the fast check does not know."""

    def __init__(self, name: str, schema: dict[str, Any]) -> None:
        self.name = name
        self.schema = schema
        self._reference: Draft202012Validator | None = None
        self._fast: Callable[[Any], bool] | None = None
        self._compiled = False

    @property
    def _validator(self) -> Draft202012Validator:
        if self._reference is None:
            from jsonschema import Draft202012Validator

            self._reference = Draft202012Validator(self.schema, format_checker=None)
        return self._reference

    def is_valid(self, data: Any) -> bool:
        if not self._compiled:
            self._compiled = True
            try:
                self._fast = compile_check(self.schema, self.name)
            except Unsupported:
                self._fast = None  # jsonschema alone
        if self._fast is not None and self._fast(data):
            return True
        return self._validator.is_valid(data)

    def best_error(self, data: Any) -> ValidationError | None:
        """The most relevant violation, or None. Only called when a request is invalid."""
        from jsonschema.exceptions import best_match

        return best_match(self._validator.iter_errors(data))

    def all_errors(self, data: Any) -> list[ValidationError]:
        return sorted(self._validator.iter_errors(data), key=lambda e: list(e.absolute_path))

    def check(self, data: Any, source: str) -> None:
        """Raise ConfigError naming `source`, the JSON path and what was expected."""
        if self.is_valid(data):
            return
        from jsonschema.exceptions import best_match

        error = self.best_error(data)
        assert error is not None
        deepest = error
        while deepest.context:
            deepest = best_match(deepest.context) or deepest
            if deepest is error:
                break
        raise ConfigError(f"{source}: {json_path(deepest.absolute_path)}: {describe(deepest)}")


class ValidBodies:
    """Request bodies, as read, that passed their schema: one sent again is not checked again.
    The schemas do not change while the server runs, so this only saves time. Bounded: bodies
    up to `max_size` bytes, at most `entries` of them, forgotten all at once when full."""

    def __init__(self, entries: int = 512, max_size: int = 16_384) -> None:
        self._entries = entries
        self._max_size = max_size
        self._bodies: set[bytes] = set()

    def __contains__(self, raw: bytes) -> bool:
        return raw in self._bodies

    def add(self, raw: bytes) -> None:
        if len(raw) > self._max_size:
            return
        if len(self._bodies) >= self._entries:
            self._bodies.clear()
        self._bodies.add(raw)


@lru_cache(maxsize=None)
def load_schema_validator(relative: str) -> SchemaValidator:
    """The validator of schemas/<relative>. The schemas themselves are checked against the
    2020-12 meta-schema by the test suite, not at every start."""
    path = SCHEMAS_DIR / relative
    schema = json.loads(path.read_text(encoding="utf-8"))
    return SchemaValidator(relative, schema)


__all__ = ["ConfigError", "SchemaValidator", "load_schema_validator", "json_path"]


def read_data_file(path: Path, what: str) -> Any:
    """A JSON or YAML file (by its suffix) as data; errors name the file and where it broke."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc.strerror}") from exc
    if path.suffix == ".json":
        # orjson reads ten thousand recorded fixture files in a fraction of json's time; json
        # has the last word on what orjson refuses, and words the error.
        from emulator.json_codec import orjson

        if orjson is not None:
            try:
                return orjson.loads(raw)
            except orjson.JSONDecodeError:
                pass
    text = raw.decode("utf-8")
    if path.suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: line {exc.lineno} column {exc.colno}: not valid JSON: {exc.msg}") from exc
    import yaml  # only a YAML file pays for the import

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
