"""The gateway's request logs: one entry per request (unless cf-aig-collect-log: false), bounded
per gateway, queried by the logs API with its filters and paging."""

from __future__ import annotations

import json
from collections import deque
from typing import Any, Callable, Iterable, Protocol

DEFAULT_LOGS_PER_GATEWAY = 10_000
MAX_PER_PAGE = 50

# Fields the list view returns (cloudflare LogListResponse); `get` returns the whole entry.
LIST_FIELDS = (
    "id", "cached", "created_at", "duration", "model", "path", "provider", "success", "tokens_in", "tokens_out",
    "cost", "custom_cost", "metadata", "model_type", "request_content_type", "request_type",
    "response_content_type", "status_code", "step", "event_id", "guardrails", "dlp_action",
)


class Logged(Protocol):
    """What the logs keep of a request until the logs API reads it: its record, written out with
    the prices the store was given (its cost is worked out only then)."""

    def log_entry(self, prices: Any) -> dict[str, Any]: ...

    def when_whole(self, written: Callable[[], None]) -> None:
        """Call `written` once the entry can be written out whole (a stream: once it ended)."""


class _Entry:
    """One log entry, written out (once) when the logs API first reads it."""

    __slots__ = ("id", "_request", "_value")

    def __init__(self, log_id: str, request: Logged | None, value: dict[str, Any] | None = None) -> None:
        self.id = log_id
        self._request = request
        self._value = value

    def value(self, prices: Any) -> dict[str, Any]:
        if self._value is None:
            assert self._request is not None
            self._value, self._request = self._request.log_entry(prices), None
        return self._value


class LogStore:
    def __init__(self, max_per_gateway: int = DEFAULT_LOGS_PER_GATEWAY, prices: Any = None) -> None:
        self._max = max_per_gateway
        self._prices = prices  # the catalog: what each entry's cost is read from
        self._gateways: dict[str, deque[_Entry]] = {}
        self._by_id: dict[str, dict[str, _Entry]] = {}

    def add(self, scope: str, log_id: str, request: Logged) -> str | None:
        """Log `log_id`; the request's record writes the entry out when it is first read.
        Returns the id of the oldest entry if the bound dropped it."""
        entries = self._gateways.get(scope)
        if entries is None:
            entries = self._gateways[scope] = deque()
            self._by_id[scope] = {}
        by_id = self._by_id[scope]
        dropped = None
        if len(entries) >= self._max:
            dropped = entries.popleft().id
            by_id.pop(dropped, None)
        entry = _Entry(log_id, request)
        entries.append(entry)
        by_id[log_id] = entry
        return dropped

    def restore(self, scope: str, entries: Iterable[dict[str, Any]]) -> None:
        """Entries saved by an earlier run, oldest first (the bound still applies)."""
        kept = deque((_Entry(e["id"], None, e) for e in entries), maxlen=self._max)
        self._gateways[scope] = deque(kept)
        self._by_id[scope] = {e.id: e for e in kept}

    def updated(self, scope: str, entry: dict[str, Any]) -> None:
        """The logs API changed `entry` in place (feedback, score, metadata)."""

    def scopes(self) -> list[str]:
        return list(self._gateways)

    def sizes(self) -> dict[str, tuple[int, str | None]]:
        """Per gateway, how many entries and the newest's id: changes with every add and delete."""
        return {scope: (len(entries), entries[-1].id if entries else None) for scope, entries in self._gateways.items()}

    def get(self, scope: str, log_id: str) -> dict[str, Any] | None:
        entry = self._by_id.get(scope, {}).get(log_id)
        return None if entry is None else entry.value(self._prices)

    def entries(self, scope: str) -> list[dict[str, Any]]:
        return [entry.value(self._prices) for entry in self._gateways.get(scope, ())]

    def delete(self, scope: str, keep: Iterable[dict[str, Any]]) -> int:
        kept = [_Entry(e["id"], None, e) for e in keep]
        before = len(self._gateways.get(scope, ()))
        self._gateways[scope] = deque(kept)
        self._by_id[scope] = {e.id: e for e in kept}
        return before - len(kept)

    def drop_gateway(self, scope: str) -> None:
        self._gateways.pop(scope, None)
        self._by_id.pop(scope, None)

    def reset(self) -> None:
        self._gateways.clear()
        self._by_id.clear()


def list_view(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: entry[k] for k in LIST_FIELDS if k in entry}


def metadata_text(metadata: dict[str, Any] | None) -> str | None:
    """The log's `metadata` is a JSON string (the API's documented type)."""
    return None if metadata is None else json.dumps(metadata, separators=(",", ":"))


# --- query: the logs API's filters --------------------------------------------------------
def _field(entry: dict[str, Any], key: str) -> Any:
    if key.startswith("metadata."):
        metadata = json.loads(entry["metadata"]) if entry.get("metadata") else {}
        if key == "metadata.key":
            return list(metadata)
        if key == "metadata.value":
            return [str(v) for v in metadata.values()]
        return metadata.get(key[len("metadata."):])
    return entry.get(key)


def _compare(actual: Any, operator: str, value: Any) -> bool:
    if isinstance(actual, list):
        return any(_compare(a, operator, value) for a in actual) if operator != "neq" else all(_compare(a, operator, value) for a in actual)
    if operator == "contains":
        return actual is not None and str(value).lower() in str(actual).lower()
    if operator in ("lt", "gt"):
        try:
            a, v = float(actual), float(value)
        except (TypeError, ValueError):
            return False
        return a < v if operator == "lt" else a > v
    if isinstance(actual, bool) and isinstance(value, str):
        value = value.lower() == "true"
    elif isinstance(actual, (int, float)) and not isinstance(actual, bool) and isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return operator == "neq"
    same = actual == value or (actual is not None and str(actual) == str(value))
    return same if operator == "eq" else not same


def matches_filter(entry: dict[str, Any], flt: dict[str, Any]) -> bool:
    values = flt.get("value") or []
    values = values if isinstance(values, list) else [values]
    actual = _field(entry, flt["key"])
    if flt["operator"] == "neq":
        return all(_compare(actual, "neq", v) for v in values)
    return any(_compare(actual, flt["operator"], v) for v in values)
