"""JSON Schema validators from schemas/, compiled once, with errors that name the field."""

from __future__ import annotations

import json
import re
from pathlib import Path
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Iterable

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


# Keywords whose 2020-12 meaning fastjsonschema (drafts 4 to 7) does not implement: a schema
# using any of them is only ever checked by jsonschema.
_NOT_FAST = {"prefixItems", "unevaluatedProperties", "unevaluatedItems", "dependentRequired", "dependentSchemas",
             "$dynamicRef", "$dynamicAnchor", "$anchor", "$recursiveRef", "contentSchema"}


def fast_checkable(node: Any) -> bool:
    """True if fastjsonschema reads this schema as Draft 2020-12 does."""
    if isinstance(node, list):
        return all(fast_checkable(item) for item in node)
    if not isinstance(node, dict):
        return True
    if _NOT_FAST & node.keys() or isinstance(node.get("items"), list):
        return False
    if "$ref" in node and node.keys() - {"$ref", "description", "title", "$comment", "examples", "default"}:
        return False  # draft 7 ignores a $ref's siblings; 2020-12 applies them
    return all(fast_checkable(v) for k, v in node.items() if k not in ("enum", "const", "examples", "default"))


class SchemaValidator:
    """Validate fast, explain slow: a compiled fastjsonschema check answers "valid" on the hot
    path; jsonschema, the reference, decides every body the fast check rejects and explains it.
    The fast check is compiled on first use (tens of milliseconds for a request schema);
    jsonschema (~0.15 s to import) is only loaded when a body is rejected or a schema uses a
    keyword fastjsonschema reads differently."""

    def __init__(self, name: str, schema: dict[str, Any]) -> None:
        self.name = name
        self.schema = schema
        self._reference: Draft202012Validator | None = None
        self._fast: Callable[[Any], Any] | None = None
        self._fast_error: type[Exception] = Exception
        self._compilable = fast_checkable(schema)

    @property
    def _validator(self) -> Draft202012Validator:
        if self._reference is None:
            from jsonschema import Draft202012Validator

            self._reference = Draft202012Validator(self.schema, format_checker=None)
        return self._reference

    def is_valid(self, data: Any) -> bool:
        if self._fast is None and self._compilable:
            import fastjsonschema

            self._fast_error = fastjsonschema.JsonSchemaException
            self._fast = compile_fast_check(self.schema, self.name)
        if self._fast is not None:
            try:
                self._fast(data)
                return True
            except self._fast_error:
                pass
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


# A line of fastjsonschema's generated code that raises a worded error.
_WORDED_RAISE = re.compile(r"^(\s*)raise JsonSchemaValueException\(.*\)$", re.MULTILINE)
_FIRST_FUNCTION = re.compile(r"^def (\w+)\(data", re.MULTILINE)


@lru_cache(maxsize=1)
def _unworded_error() -> type[Exception]:
    import fastjsonschema  # on first use, as the fast check itself

    class Unworded(fastjsonschema.JsonSchemaValueException):
        """A failed check, no words: the fast check's every raise (see compile_fast_check)."""

        __init__ = Exception.__init__

    return Unworded


def compile_fast_check(schema: dict[str, Any], name: str) -> Callable[[Any], Any]:
    """fastjsonschema's check of `schema`, compiled here from its generated source with the
    error wording left out. The fast check only tells valid from not (jsonschema decides every
    body it rejects, and explains), and wording costs more than checking: every `if` whose
    condition fails, and every failed `anyOf` branch, raises an error that quotes the value and
    a copy of the schema, and every array item formats its path from locals(). Without it a
    four-message chat request is checked in about a third of the time. The code is otherwise
    fastjsonschema's; if its shape ever differs, the wording simply stays.

    What it raises is a JsonSchemaValueException made without fastjsonschema's Python-level
    __init__: a valid body still raises and catches one for every `if` whose condition does not
    hold and every `anyOf`/`oneOf` branch that does not apply (~1 us each)."""
    import fastjsonschema

    code = fastjsonschema.compile_to_code(schema, use_default=False, use_formats=False)
    code = _WORDED_RAISE.sub(r"\1raise _Unworded", code).replace(".format(**locals())", "")
    namespace: dict[str, Any] = {"_Unworded": _unworded_error()}
    exec(compile(code, f"<fast check of {name}>", "exec"), namespace)  # noqa: S102 - our schema's generated code
    root = _FIRST_FUNCTION.search(code)  # the schema's own function comes first, then its $refs'
    assert root is not None
    return namespace[root.group(1)]


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
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc.strerror}") from exc
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
