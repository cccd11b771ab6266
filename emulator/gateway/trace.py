"""The cf-aig-* response headers of a request that went through a gateway.

Since 2026-10-08 the gateway's ids are lowercase UUIDv7s (emulator.ids.IdSource.log_id). A request
answered in one step sends one id in cf-aig-log-id, cf-aig-request-id and cf-aig-event-id (a
client's own cf-aig-event-id is echoed instead). A universal request's steps share its request id
(the first log id it was given) and event id; each step has its own log id."""

from __future__ import annotations

from dataclasses import dataclass


_LOG_ID, _REQUEST_ID, _EVENT_ID, _STEP = _ALWAYS = (b"cf-aig-log-id", b"cf-aig-request-id", b"cf-aig-event-id", b"cf-aig-step")
_CACHE_STATUS = b"cf-aig-cache-status"
_NAMES = frozenset(_ALWAYS)
_NAMES_WITH_CACHE_STATUS = frozenset((*_ALWAYS, _CACHE_STATUS))


@dataclass(slots=True)
class GatewayTrace:
    log_id: str
    request_id: str
    event_id: str
    step: int = 0
    cache_status: str | None = None

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers as an ASGI response carries them (lower-case names, latin-1 bytes)."""
        log_id = self.log_id.encode("latin-1")
        headers = [
            (_LOG_ID, log_id),
            (_REQUEST_ID, log_id if self.request_id is self.log_id else self.request_id.encode("latin-1")),
            (_EVENT_ID, self.event_id.encode("latin-1")),
            (_STEP, str(self.step).encode("latin-1")),
        ]
        if self.cache_status is not None:
            headers.append((_CACHE_STATUS, self.cache_status.encode("latin-1")))
        return headers

    def header_names(self) -> frozenset[bytes]:
        """The names `raw_headers` writes."""
        return _NAMES if self.cache_status is None else _NAMES_WITH_CACHE_STATUS
