"""Fixture regular expressions that could stall the server: a repeat inside a repeat.

`re` backtracks: `^(a+)+$` against thirty `a`s and a `b` tries every way of splitting the `a`s
between the two repeats, about 2**30 of them, and the whole server waits. Such a pattern is
refused when its fixture is loaded, naming the file and the field. The check reads the pattern as
`re` parses it: an unbounded repeat (`+`, `*`, `{n,}`) inside a repeat that may run more than once
is refused, unless an atomic group or a possessive repeat (Python 3.11+) keeps it from
backtracking, or unless the inner repeat of one character class is followed by a character it
cannot match (`([a-z]+,)*`: each comma ends a word, so the split is unique). It is conservative:
a few safe patterns are refused (`(ab+)+`), and it does not see every slow shape (alternatives
that overlap, `(a|a)*`); those are rare in fixtures.
"""

from __future__ import annotations

from typing import Any

try:
    from re import _parser as parser  # Python 3.11+
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as parser  # type: ignore[no-redef]

_REPEATS = {parser.MAX_REPEAT, parser.MIN_REPEAT}
# Constructs that do not backtrack into what they matched.
_NO_BACKTRACKING = {getattr(parser, name) for name in ("ATOMIC_GROUP", "POSSESSIVE_REPEAT") if hasattr(parser, name)}


def nested_repeat(pattern: str) -> bool:
    """Whether `pattern` (valid for `re`) has an unbounded repeat inside a repeat that can run
    more than once, outside atomic groups and possessive repeats."""
    return _walk(parser.parse(pattern), inside_repeat=False)


def _walk(items: Any, inside_repeat: bool) -> bool:
    items = list(items)
    for index, (op, av) in enumerate(items):
        if op in _NO_BACKTRACKING:
            continue
        if op in _REPEATS:
            _low, high, sub = av
            following = items[index + 1] if index + 1 < len(items) else None
            if inside_repeat and high == parser.MAXREPEAT and not _ended_by(sub, following):
                return True
            if _walk(sub, inside_repeat or high > 1):
                return True
            continue
        for part in av if isinstance(av, (tuple, list)) else ():
            if isinstance(part, parser.SubPattern) and _walk(part, inside_repeat):
                return True
            if isinstance(part, list) and any(isinstance(p, parser.SubPattern) and _walk(p, inside_repeat) for p in part):
                return True
    return False


# Characters tried when deciding whether two one-character items can match the same character.
_SAMPLE = [chr(c) for c in range(256)]


def _ended_by(repeated: Any, following: Any) -> bool:
    """Whether a repeat of the one-character item `repeated` is always ended by `following`, a
    one-character item that matches none of the characters `repeated` matches (tried on the
    first 256 code points)."""
    if following is None or len(repeated) != 1:
        return False
    inner, after = _one_character(list(repeated)[0]), _one_character(following)
    if inner is None or after is None:
        return False
    return not any(inner.fullmatch(c) and after.fullmatch(c) for c in _SAMPLE)


def _one_character(item: Any):
    """A compiled pattern of one item that matches exactly one character, else None."""
    op, _av = item
    if op not in (parser.LITERAL, parser.NOT_LITERAL, parser.IN, parser.ANY):
        return None
    import re

    sub = parser.SubPattern(parser.State(), [item])
    try:
        return re._compiler.compile(sub) if hasattr(re, "_compiler") else __import__("sre_compile").compile(sub)
    except Exception:  # noqa: BLE001 - an item the compiler will not take alone: not decided
        return None
