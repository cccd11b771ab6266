"""Deterministic token counts: the same text counts the same in every dialect."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def split_tokens(text: str) -> list[str]:
    """Pieces of `text` that concatenate back to it: each word or mark with its leading space."""
    pieces: list[str] = []
    last = 0
    for match in _TOKEN.finditer(text):
        pieces.append(text[last : match.end()])
        last = match.end()
    if last < len(text):
        if pieces:
            pieces[-1] += text[last:]
        else:
            pieces.append(text[last:])
    return pieces


# ASCII text is counted without the regex, in a third of its time: a token is a run of word
# characters or one mark (neither word nor space), so the count is the runs left when every
# non-word byte is a space, plus the bytes left when word and space bytes are deleted.
_ASCII_WORD = frozenset(c for c in range(128) if chr(c).isalnum() or chr(c) == "_")
_ASCII_SPACE = frozenset(c for c in range(128) if chr(c).isspace())  # what \s matches, \x1c-\x1f too
_NON_WORD_TO_SPACE = bytes(c if c in _ASCII_WORD or c >= 128 else 0x20 for c in range(256))
_WORD_AND_SPACE = bytes(sorted(_ASCII_WORD | _ASCII_SPACE))


def count_tokens(text: str) -> int:
    """How many words and marks `text` holds: the tokens `split_tokens` cuts it around."""
    if not text.isascii():
        return len(_TOKEN.findall(text))
    raw = text.encode("ascii")
    return len(raw.translate(_NON_WORD_TO_SPACE).split()) + len(raw.translate(None, _WORD_AND_SPACE))
