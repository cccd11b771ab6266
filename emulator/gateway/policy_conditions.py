"""The subset of CEL (Common Expression Language) a gateway policy's condition is written in, as
Cloudflare's policies page uses it, and the `{field}` placeholders of its actor strings.

Fields: `metadata.<key>`, `cf.user.id`, `cf.user.email`, `cf.user.groups`, `cf.custom.<claim>`,
`cf.country`. Expressions: `true`, `false`, string literals, `==`, `!=`, `"x" in <list field>`,
`<field>.endsWith("...")` / `.startsWith("...")` / `.contains("...")`, `!`, `&&`, `||` and
parentheses. Anything else is a syntax error that names the expression.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

Identity = dict[str, Any]  # {"cf": {"user": {...}, "custom": {...}, "country": ...}, "metadata": {...}}
Condition = Callable[[Identity], bool]

FIELDS = re.compile(r"^(metadata\.[A-Za-z0-9_\-]+|cf\.user\.(id|email|groups)|cf\.custom\.[A-Za-z0-9_\-]+|cf\.country)$")
_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|&&|\|\||[!().,])|(?P<word>[A-Za-z_][A-Za-z0-9_.\-]*))')
METHODS = {"endsWith": str.endswith, "startsWith": str.startswith, "contains": str.__contains__}


class ConditionError(ValueError):
    """A condition or actor the emulator cannot read; the message names it."""


class MissingField(Exception):
    """The request has no value for a field the expression reads."""


def lookup(identity: Identity, path: str) -> Any:
    value: Any = identity
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise MissingField(path)
        value = value[part]
    if value is None:
        raise MissingField(path)
    return value


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ConditionError(f"unexpected {text[pos:pos + 10]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ConditionError(f"expected {value or 'more'} {'at the end' if token is None else f'before {token[1]!r}'}")
        self.pos += 1
        return token

    def expression(self) -> Condition:
        left = self.conjunction()
        while self.peek() == ("op", "||"):
            self.take()
            right, first = self.conjunction(), left
            left = lambda i, a=first, b=right: a(i) or b(i)  # noqa: E731
        return left

    def conjunction(self) -> Condition:
        left = self.unary()
        while self.peek() == ("op", "&&"):
            self.take()
            right, first = self.unary(), left
            left = lambda i, a=first, b=right: a(i) and b(i)  # noqa: E731
        return left

    def unary(self) -> Condition:
        if self.peek() == ("op", "!"):
            self.take()
            inner = self.unary()
            return lambda i: not inner(i)
        if self.peek() == ("op", "("):
            self.take()
            inner = self.expression()
            self.take(")")
            return inner
        return self.comparison()

    def operand(self) -> Callable[[Identity], Any]:
        kind, value = self.take()
        if kind in ("str", "num"):
            literal = json.loads(value)
            return lambda _i: literal
        if kind == "word" and value in ("true", "false"):
            return lambda _i: value == "true"
        if kind == "word":
            path, _, method = value.rpartition(".") if value.split(".")[-1] in METHODS else (value, "", "")
            if not FIELDS.match(path):
                raise ConditionError(f"unknown field {path!r} (known: metadata.<key>, cf.user.id, cf.user.email, cf.user.groups, cf.custom.<claim>, cf.country)")
            if method:
                self.take("(")
                argument = self.operand()
                self.take(")")
                test = METHODS[method]
                return lambda i: test(str(lookup(i, path)), str(argument(i)))
            return lambda i: lookup(i, path)
        raise ConditionError(f"unexpected {value!r}")

    def comparison(self) -> Condition:
        left = self.operand()
        token = self.peek()
        if token in (("op", "=="), ("op", "!=")):
            self.take()
            right = self.operand()
            if token[1] == "==":
                return lambda i: _same(left(i), right(i))
            return lambda i: not _same(left(i), right(i))
        if token == ("word", "in"):
            self.take()
            container = self.operand()
            return lambda i: _member(left(i), container(i))
        return lambda i: left(i) is True


def _same(a: Any, b: Any) -> bool:
    return a == b or (not isinstance(a, (list, dict)) and not isinstance(b, (list, dict)) and str(a) == str(b))


def _member(item: Any, container: Any) -> bool:
    if isinstance(container, list):
        return any(_same(item, c) for c in container)
    if isinstance(container, dict):
        return str(item) in container
    return False


def compile_condition(text: str) -> Condition:
    """The condition as a function of the identity (raises MissingField when evaluated without a
    field it reads). ConditionError names the expression."""
    try:
        parser = _Parser(text)
        condition = parser.expression()
        if parser.peek() is not None:
            raise ConditionError(f"unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    except ConditionError as err:
        raise ConditionError(f"condition {text!r}: {err}") from None
    return condition


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def check_actor(actor: str) -> None:
    for field in _PLACEHOLDER.findall(actor):
        if not FIELDS.match(field.strip()):
            raise ConditionError(f"actor {actor!r}: unknown field {field!r}")


def resolve_actor(actor: str, identity: Identity) -> str:
    """The actor with its `{field}`s filled in (MissingField when the request lacks one)."""
    return _PLACEHOLDER.sub(lambda m: str(lookup(identity, m.group(1).strip())), actor)
