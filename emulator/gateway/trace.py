"""The cf-aig-* response headers of a request that went through a gateway."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class GatewayTrace:
    log_id: str
    event_id: str
    step: int = 0
    cache_status: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {
            "cf-aig-log-id": self.log_id,
            "cf-aig-request-id": self.log_id,
            "cf-aig-event-id": self.event_id,
            "cf-aig-step": str(self.step),
        }
        if self.cache_status is not None:
            headers["cf-aig-cache-status"] = self.cache_status
        return headers
