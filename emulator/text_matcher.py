"""How a fixture matches a piece of text: exactly, a whole word or phrase, a regex, or a glob."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class TextMatcher:
    kind: str  # "equals" | "contains" | "regex" | "pattern"
    value: str
    _regex: re.Pattern[str] | None = None
    # "contains" with an ASCII value: the value lower-cased. In ASCII text the case-blind
    # whole-word search is a search of this in the text lower-cased (see _has_whole_word); the
    # regex searches any other text.
    _ascii_lower: str | None = None

    @property
    def precision(self) -> int:
        return {"equals": 3, "regex": 2, "contains": 1, "pattern": 1}[self.kind]

    def matches(self, text: str) -> bool:
        if self.kind == "equals":
            return text == self.value
        if self.kind == "pattern":
            return fnmatch.fnmatchcase(text, self.value)
        assert self._regex is not None
        if self._ascii_lower is not None and text.isascii():
            lowered = text.lower()
            return self._ascii_lower in lowered and _has_whole_word(lowered, self._ascii_lower)
        return self._regex.search(text) is not None

    def describe(self) -> str:
        return f"{self.kind} {self.value!r}"


# What \w matches in ASCII text.
_ASCII_WORD_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _has_whole_word(text: str, value: str) -> bool:
    """The whole-word search of `value` in `text`, both ASCII and lower-cased: an occurrence with
    no word character just before or after it (what (?<!\\w)value(?!\\w) finds), at a third of
    the regex's cost. The case-blind search can fold only non-ASCII characters besides ASCII
    case (the Kelvin sign to k, the long s to s), and ASCII text has none."""
    at = text.find(value)
    while at >= 0:
        end = at + len(value)
        if (at == 0 or text[at - 1] not in _ASCII_WORD_CHARACTERS) and (end == len(text) or text[end] not in _ASCII_WORD_CHARACTERS):
            return True
        at = text.find(value, at + 1)
    return False


def text_matcher(spec: Any) -> TextMatcher:
    if isinstance(spec, str):
        return TextMatcher("equals", spec)
    (kind, value), = spec.items()
    if kind == "regex":
        return TextMatcher(kind, value, re.compile(value))
    if kind == "contains":
        whole_word = r"(?<!\w)" + re.escape(value) + r"(?!\w)"
        return TextMatcher(kind, value, re.compile(whole_word, re.IGNORECASE), value.lower() if value.isascii() else None)
    return TextMatcher(kind, value)
