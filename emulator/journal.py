"""Every request the emulator received, newest last, bounded."""

from __future__ import annotations

from collections import deque
from typing import Any

DEFAULT_JOURNAL_SIZE = 10_000


class Journal:
    def __init__(self, max_entries: int = DEFAULT_JOURNAL_SIZE) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=max_entries)

    def record(self, entry: dict[str, Any]) -> None:
        self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        return list(self._entries)

    def reset(self) -> None:
        self._entries.clear()
