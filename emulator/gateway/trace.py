"""The cf-aig-* response headers of a request that went through a gateway."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class GatewayTrace:
    log_id: str
    event_id: str
    step: int = 0
    cache_status: str | None = None

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers as an ASGI response carries them (lower-case names, latin-1 bytes)."""
        log_id = self.log_id.encode("latin-1")
        headers = [
            (b"cf-aig-log-id", log_id),
            (b"cf-aig-request-id", log_id),
            (b"cf-aig-event-id", self.event_id.encode("latin-1")),
            (b"cf-aig-step", str(self.step).encode("latin-1")),
        ]
        if self.cache_status is not None:
            headers.append((b"cf-aig-cache-status", self.cache_status.encode("latin-1")))
        return headers
