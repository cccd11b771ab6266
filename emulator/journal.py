"""Every request the emulator received, newest last, bounded."""

from __future__ import annotations

from collections import deque
from typing import Any, Protocol

DEFAULT_JOURNAL_SIZE = 10_000


class Recorded(Protocol):
    """What the journal keeps of a request: its record, which writes the entry out."""

    def entry(self) -> dict[str, Any]: ...


class Journal:
    """Requests are kept as their records and written out when the journal is read: most
    requests are never looked at, and the hot path should not pay for wording them."""

    def __init__(self, max_entries: int = DEFAULT_JOURNAL_SIZE) -> None:
        self._entries: deque[Recorded] = deque(maxlen=max_entries)

    def record(self, request: Recorded) -> None:
        self._entries.append(request)

    def entries(self) -> list[dict[str, Any]]:
        return [request.entry() for request in self._entries]

    def reset(self) -> None:
        self._entries.clear()
