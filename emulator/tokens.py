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


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))
