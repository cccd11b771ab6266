"""Strings that match a regular expression (for JSON Schema `pattern`), drawn from a seeded rng.

Walks the parsed pattern (Python's own regex parser) and picks, for each node, something it
accepts: a literal, a character from a class, a branch, a repeat count. Anchors and lookarounds
add nothing. Good enough for the patterns people put in schemas (ids, codes, dates, slugs).
"""

from __future__ import annotations

import random
import re
import string

try:  # Python 3.11+
    from re import _constants as C, _parser as parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse as parser  # type: ignore[no-redef]

_CATEGORIES = {
    C.CATEGORY_DIGIT: string.digits,
    C.CATEGORY_NOT_DIGIT: string.ascii_letters,
    C.CATEGORY_SPACE: " ",
    C.CATEGORY_NOT_SPACE: string.ascii_letters + string.digits,
    C.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    C.CATEGORY_NOT_WORD: "-.,;: ",
}
_PRINTABLE = string.ascii_letters + string.digits + "-_"
_MAX_OPEN_REPEAT = 5


def string_matching(pattern: str, rng: random.Random, attempts: int = 20, max_length: int = 10_000) -> str | None:
    """A string `re.search(pattern, s)` accepts, or None if the pattern is beyond this sampler."""
    try:
        compiled = re.compile(pattern)
        parsed = parser.parse(pattern)
    except (re.error, RecursionError):
        return None
    if parsed.getwidth()[0] > max_length:  # e.g. (a{1000}){1000}: too long to be worth sampling
        return None
    for _ in range(attempts):
        groups: dict[int, str] = {}
        try:
            candidate = _sample(parsed, rng, groups)
        except _Unsupported:
            return None
        if compiled.search(candidate):
            return candidate
    return None


class _Unsupported(Exception):
    pass


def _sample(nodes, rng: random.Random, groups: dict[int, str]) -> str:
    return "".join(_node(op, arg, rng, groups) for op, arg in nodes)


def _node(op, arg, rng: random.Random, groups: dict[int, str]) -> str:
    if op == C.LITERAL:
        return chr(arg)
    if op == C.NOT_LITERAL:
        return rng.choice([c for c in _PRINTABLE if ord(c) != arg])
    if op == C.ANY:
        return rng.choice(_PRINTABLE)
    if op == C.IN:
        return _from_class(arg, rng)
    if op == C.BRANCH:
        return _sample(rng.choice(arg[1]), rng, groups)
    if op == C.SUBPATTERN:
        group, *_, body = arg
        text = _sample(body, rng, groups)
        if group is not None:
            groups[group] = text
        return text
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
        low, high, body = arg
        high = low + _MAX_OPEN_REPEAT if high == C.MAXREPEAT else high
        return "".join(_sample(body, rng, groups) for _ in range(rng.randint(low, max(low, high))))
    if op == C.GROUPREF:
        return groups.get(arg, "")
    if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
        return ""
    if op == getattr(C, "ATOMIC_GROUP", None):
        return _sample(arg, rng, groups)
    raise _Unsupported(str(op))


def _from_class(items, rng: random.Random) -> str:
    negated = bool(items) and items[0][0] == C.NEGATE
    pool: list[str] = []
    for op, arg in items[1:] if negated else items:
        if op == C.LITERAL:
            pool.append(chr(arg))
        elif op == C.RANGE:
            low, high = arg
            pool.extend(chr(c) for c in range(low, min(high, low + 200) + 1))
        elif op == C.CATEGORY:
            pool.extend(_CATEGORIES.get(arg, _PRINTABLE))
        else:
            raise _Unsupported(str(op))
    if negated:
        banned = set(pool)
        pool = [c for c in _PRINTABLE if c not in banned]
    if not pool:
        raise _Unsupported("empty class")
    return rng.choice(pool)
