"""Per-gateway request rate limits on the emulator's clock.

- `fixed`: at most `limit` requests per window aligned on multiples of `interval` since the
  Unix epoch (12:00-12:10, 12:10-12:20 for 10 minutes).
- `sliding`: at most `limit` requests in the last `interval` seconds (an exact log, the
  docs' semantics; the real gateway may approximate it).
Only admitted requests count. Check and update happen in one synchronous call, so concurrent
requests in the event loop can never both take the last slot.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from emulator.clock import Clock
from emulator.errors import GatewayError


def rate_limited() -> GatewayError:
    return GatewayError(429, 2003, "Rate limited")


@dataclass(frozen=True)
class RateLimit:
    limit: int
    interval: int
    technique: str  # "fixed" | "sliding"

    @classmethod
    def of(cls, gateway: dict[str, Any]) -> "RateLimit | None":
        limit = gateway.get("rate_limiting_limit")
        interval = gateway.get("rate_limiting_interval")
        if not limit or not interval:
            return None
        return cls(int(limit), int(interval), gateway.get("rate_limiting_technique") or "fixed")


class RateLimiter:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._fixed: dict[str, tuple[float, int]] = {}  # scope -> (window start, count)
        self._sliding: dict[str, deque[float]] = {}  # scope -> admitted times, oldest first

    def admit(self, scope: str, rule: RateLimit) -> bool:
        """True (and counted) when the request is within the limit."""
        now = self._clock.now()
        if rule.technique == "sliding":
            times = self._sliding.setdefault(scope, deque())
            while times and times[0] <= now - rule.interval:
                times.popleft()
            if len(times) >= rule.limit:
                return False
            times.append(now)
            return True
        start = now - now % rule.interval
        window, count = self._fixed.get(scope, (start, 0))
        if window != start:
            count = 0
        if count >= rule.limit:
            return False
        self._fixed[scope] = (start, count + 1)
        return True

    def count(self, scope: str) -> int:
        """Requests counted in the current window (for the control API and tests)."""
        if scope in self._sliding:
            return len(self._sliding[scope])
        return self._fixed.get(scope, (0.0, 0))[1]

    def reset(self) -> None:
        self._fixed.clear()
        self._sliding.clear()
