"""Every request the emulator received, newest last, bounded."""

from __future__ import annotations

from collections import deque
from typing import Any, Protocol

DEFAULT_JOURNAL_SIZE = 10_000


class Recorded(Protocol):
    """What the journal keeps of a request: its record, which writes the entry out."""

    def entry(self) -> dict[str, Any]: ...

    @property
    def log_id(self) -> str | None: ...


class Journal:
    """Requests are kept as their records and written out when the journal is read: most
    requests are never looked at, and the hot path should not pay for wording them."""

    def __init__(self, max_entries: int = DEFAULT_JOURNAL_SIZE) -> None:
        self._entries: deque[Recorded] = deque(maxlen=max_entries)

    def record(self, request: Recorded) -> None:
        self._entries.append(request)

    def entries(self) -> list[dict[str, Any]]:
        return [request.entry() for request in self._entries]

    def find_log(self, log_id: str) -> dict[str, Any] | None:
        """The entry of the request logged as `log_id`, if the journal still has it."""
        return next((r.entry() for r in reversed(self._entries) if r.log_id == log_id), None)

    def cache_statuses(self, log_ids: set[str]) -> dict[str, str | None]:
        """The cache status of each of these logged requests the journal still has."""
        found: dict[str, str | None] = {}
        for request in reversed(self._entries):
            log_id = request.log_id
            if log_id in log_ids:
                found[log_id] = request.entry()["cache_status"]
                if len(found) == len(log_ids):
                    break
        return found

    def reset(self) -> None:
        self._entries.clear()
