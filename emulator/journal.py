"""Every request the emulator received, newest last, bounded."""

from __future__ import annotations

from collections import deque
from typing import Any, Callable

DEFAULT_JOURNAL_SIZE = 10_000


class Journal:
    """Entries are recorded as builders and written out when the journal is read: most
    requests are never looked at, and the hot path should not pay for wording them."""

    def __init__(self, max_entries: int = DEFAULT_JOURNAL_SIZE) -> None:
        self._entries: deque[Callable[[], dict[str, Any]]] = deque(maxlen=max_entries)

    def record(self, build: Callable[[], dict[str, Any]]) -> None:
        self._entries.append(build)

    def entries(self) -> list[dict[str, Any]]:
        return [build() for build in self._entries]

    def reset(self) -> None:
        self._entries.clear()
