"""A JSON Schema (Draft 2020-12) compiled to a yes/no check, for the request hot path.

The check answers only "valid"; every body it does not call valid goes to jsonschema, the
reference, which decides and explains (emulator.schema_check). So it must never call an
invalid body valid, and may, where exactness would cost, say no to a valid one: an integer
written as a float (`1.0`), which JSON Schema counts as an integer, is left to jsonschema.

It knows the keywords the emulator's request schemas use. A schema with any other keyword
(other than annotations) is not compiled: `Unsupported`, and jsonschema checks it alone.

The schema becomes the source of one Python function (and one for each `$ref` target and
each combinator branch that is not a plain expression): nested `if`s that return False, no
exception raised on the way and no copy of the value, so a body whose `anyOf` tries a branch
that does not apply, or whose `if` does not hold, costs hardly more than one that does not.
"""

from __future__ import annotations

import re
from typing import Any, Callable

Check = Callable[[Any], bool]

# Keywords that say nothing about validity (format is an annotation in 2020-12, as the
# reference validator is set up: no format checker).
_ANNOTATIONS = frozenset({"$schema", "$comment", "$defs", "definitions", "title", "description", "examples", "default",
                          "deprecated", "readOnly", "writeOnly", "format", "contentMediaType", "contentEncoding"})
_KNOWN = _ANNOTATIONS | {"type", "enum", "const", "minimum", "maximum", "minLength", "maxLength", "pattern", "items",
                         "minItems", "maxItems", "properties", "required", "additionalProperties", "minProperties",
                         "maxProperties", "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "$ref"}
# Keywords a schema may have and still be checked by one expression (and an object's
# `properties` and `required`, when each property's schema is one).
_EXPRESSION_KEYWORDS = _ANNOTATIONS | {"type", "enum", "const", "minimum", "maximum", "minLength", "maxLength", "pattern"}

# What `type` admits, as an expression of the value `{v}`. "integer" admits only ints (not
# 1.0; see the module docstring); bool is neither an integer nor a number (its type is bool).
_TYPES = {
    "object": "type({v}) is dict",
    "array": "type({v}) is list",
    "string": "type({v}) is str",
    "integer": "type({v}) is int",
    "number": "(type({v}) is int or type({v}) is float)",
    "boolean": "({v} is True or {v} is False)",
    "null": "{v} is None",
}


class Unsupported(Exception):
    """The schema uses a keyword this compiler does not check."""


def compile_check(schema: Any, name: str = "schema") -> Check:
    """The check of `schema`; raises Unsupported for a keyword it does not know."""
    if isinstance(schema, dict) and "$id" in schema:
        # The document's own name: with every $ref within the document ("#..."), it changes
        # nothing they resolve to. An $id below the root would, and stays unsupported.
        schema = {key: value for key, value in schema.items() if key != "$id"}
    compiler = _Compiler(schema)
    root = compiler.function(schema)
    namespace = dict(compiler.constants, json_equal=json_equal)
    exec(compile("\n".join(compiler.lines), f"<fast check of {name}>", "exec"), namespace)  # noqa: S102 - generated from our schema
    return namespace[root]


def json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON Schema's enum and const mean it: 1 equals 1.0, true does not equal 1
    (the type of true is bool, neither int nor float)."""
    if type(a) in (int, float) and type(b) in (int, float):
        return a == b
    if type(a) is list and type(b) is list:
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if type(a) is dict and type(b) is dict:
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


class _Compiler:
    def __init__(self, root: Any) -> None:
        self.root = root
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}
        self.refs: dict[str, str] = {}
        self.count = 0

    def _name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def _constant(self, value: Any) -> str:
        name = self._name("_c")
        self.constants[name] = value
        return name

    # --- functions ---------------------------------------------------------------------------
    def function(self, schema: Any) -> str:
        """A function `name(v) -> bool` checking `schema`; returns its name."""
        name = self._name("_check")
        self._define(name, schema)
        return name

    def _define(self, name: str, schema: Any) -> None:
        body = self.statements(schema, "v", 1)  # any function it calls is defined by the time it runs
        self.lines += [f"def {name}(v):", *body, "    return True", ""]

    def test(self, schema: Any, var: str) -> str:
        """An expression that is true when `var` satisfies `schema`."""
        expression = self.expression(schema, var)
        return expression if expression is not None else f"{self.function(schema)}({var})"

    def _ref(self, ref: str) -> str:
        if not ref.startswith("#"):
            raise Unsupported(f"$ref {ref!r} outside the document")
        if ref not in self.refs:
            self.refs[ref] = name = self._name("_ref")  # before its body: a cycle calls it by name
            self._define(name, self._resolve(ref))
        return self.refs[ref]

    def _resolve(self, ref: str) -> Any:
        node = self.root
        for part in [p for p in ref[1:].split("/") if p]:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise Unsupported(f"$ref {ref!r} does not resolve")
        return node

    # --- one expression: the value's own keywords -------------------------------------------
    def expression(self, schema: Any, var: str) -> str | None:
        """`schema` as one expression on `var`, when it has only keywords that need no loop."""
        if schema is True:
            return "True"
        if schema is False:
            return "False"
        if not isinstance(schema, dict) or schema.keys() - _EXPRESSION_KEYWORDS - {"properties", "required"}:
            return None
        members = [f"{name!r} in {var}" for name in schema.get("required", ())]
        for name, sub in schema.get("properties", {}).items():  # an `if` on a message's role stays one expression
            member = self.expression(sub, f"{var}[{name!r}]")
            if member is None:
                return None  # before the value's own tests are written: the caller writes them as statements
            if member != "True":
                members.append(f"{name!r} not in {var} or ({member})")
        parts = self._value_tests(schema, var)
        if members:
            parts.append(f"type({var}) is not dict or ({' and '.join(f'({m})' for m in members)})")
        return " and ".join(f"({p})" for p in parts) if parts else "True"

    def _value_tests(self, schema: dict[str, Any], var: str) -> list[str]:
        tests = []
        if "type" in schema:
            kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not kinds or any(kind not in _TYPES for kind in kinds):
                raise Unsupported(f"type {schema['type']!r}")
            tests.append(" or ".join(_TYPES[kind].format(v=var) for kind in kinds))
        for key in ("enum", "const"):
            if key in schema:
                values = schema["enum"] if key == "enum" else [schema["const"]]
                if not isinstance(values, list):
                    raise Unsupported("enum must be a list")
                if values and all(type(value) is str for value in values):
                    tests.append(f"type({var}) is str and {var} in {self._constant(frozenset(values))}")
                else:
                    tests.append(f"any(json_equal({var}, e) for e in {self._constant(tuple(values))})")
        if "minimum" in schema or "maximum" in schema:
            bounds = []
            if "minimum" in schema:
                bounds.append(f"{self._constant(schema['minimum'])} <= {var}")
            if "maximum" in schema:
                bounds.append(f"{var} <= {self._constant(schema['maximum'])}")
            tests.append(f"not {_TYPES['number'].format(v=var)} or ({' and '.join(bounds)})")
        if "minLength" in schema or "maxLength" in schema or "pattern" in schema:
            string = []
            if "minLength" in schema:
                string.append(f"len({var}) >= {self._constant(schema['minLength'])}")
            if "maxLength" in schema:
                string.append(f"len({var}) <= {self._constant(schema['maxLength'])}")
            if "pattern" in schema:
                string.append(f"{self._constant(re.compile(schema['pattern']))}.search({var}) is not None")
            tests.append(f"type({var}) is not str or ({' and '.join(string)})")
        return tests

    # --- statements: every keyword, inline where it can be --------------------------------------
    def statements(self, schema: Any, var: str, depth: int) -> list[str]:
        """Lines, at `depth` indents, that return False unless `var` satisfies `schema`."""
        pad = "    " * depth
        if schema is True:
            return []
        if schema is False:
            return [f"{pad}return False"]
        if not isinstance(schema, dict):
            raise Unsupported(f"a schema must be an object or a boolean, not {type(schema).__name__}")
        unknown = schema.keys() - _KNOWN
        if unknown:
            raise Unsupported(f"keyword {sorted(unknown)[0]!r}")
        out = [f"{pad}if not ({test}): return False" for test in self._value_tests(schema, var)]
        out += self._array(schema, var, depth)
        out += self._object(schema, var, depth)
        if "$ref" in schema:
            out.append(f"{pad}if not {self._ref(schema['$ref'])}({var}): return False")
        for sub in schema.get("allOf", ()):
            out += self.statements(sub, var, depth)
        if "anyOf" in schema:
            out.append(f"{pad}if not ({' or '.join(self.test(sub, var) for sub in schema['anyOf']) or 'False'}): return False")
        if "oneOf" in schema:
            out.append(f"{pad}if [{', '.join(self.test(sub, var) for sub in schema['oneOf'])}].count(True) != 1: return False")
        if "not" in schema:
            out.append(f"{pad}if {self.test(schema['not'], var)}: return False")
        if "if" in schema:
            then = self.statements(schema.get("then", True), var, depth + 1)
            otherwise = self.statements(schema.get("else", True), var, depth + 1)
            if then or otherwise:  # an `if` alone asserts nothing
                out.append(f"{pad}if {self.test(schema['if'], var)}:")
                out += then or [f"{pad}    pass"]
                if otherwise:
                    out += [f"{pad}else:", *otherwise]
        return out

    def _size(self, schema: dict[str, Any], fewest: str, most: str, var: str, depth: int) -> list[str]:
        """minItems/maxItems, minProperties/maxProperties: bounds on len()."""
        pad = "    " * depth
        out = []
        if fewest in schema:
            out.append(f"{pad}if len({var}) < {self._constant(schema[fewest])}: return False")
        if most in schema:
            out.append(f"{pad}if len({var}) > {self._constant(schema[most])}: return False")
        return out

    def _array(self, schema: dict[str, Any], var: str, depth: int) -> list[str]:
        if not {"items", "minItems", "maxItems"} & schema.keys():
            return []
        pad = "    " * depth
        out = [f"{pad}if type({var}) is list:", *self._size(schema, "minItems", "maxItems", var, depth + 1)]
        if "items" in schema:
            item = self._name("item")
            body = self.statements(schema["items"], item, depth + 2)
            if body:
                out += [f"{pad}    for {item} in {var}:", *body]
        return out if len(out) > 1 else []

    def _object(self, schema: dict[str, Any], var: str, depth: int) -> list[str]:
        if not {"properties", "required", "additionalProperties", "minProperties", "maxProperties"} & schema.keys():
            return []
        pad = "    " * depth
        out = [f"{pad}if type({var}) is dict:", *self._size(schema, "minProperties", "maxProperties", var, depth + 1)]
        for name in schema.get("required", ()):
            out.append(f"{pad}    if {name!r} not in {var}: return False")
        properties = schema.get("properties", {})
        for name, sub in properties.items():
            value = self._name("p")
            body = self.statements(sub, value, depth + 2)
            if body:
                out += [f"{pad}    if {name!r} in {var}:", f"{pad}        {value} = {var}[{name!r}]", *body]
        extra = schema.get("additionalProperties", True)
        if extra is not True:
            key, value = self._name("k"), self._name("x")
            body = self.statements(extra, value, depth + 3)
            out += [f"{pad}    for {key}, {value} in {var}.items():", f"{pad}        if {key} not in {self._constant(frozenset(properties))}:",
                    *(body or [f"{pad}            pass"])]
        return out if len(out) > 1 else []
