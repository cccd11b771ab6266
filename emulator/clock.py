"""The emulator's one clock: virtual (advanced by simulated time) or real."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Callable

# 2026-01-01T00:00:00Z: the virtual clock's epoch, so timestamps are the same on every run.
VIRTUAL_EPOCH = 1_767_225_600.0
# 9999-12-31T23:59:59Z: the last second a timestamp (ISO 8601, log dates) can be written for.
LATEST = 253_402_300_799.0


def check_advance(now: float, seconds: float) -> None:
    """ValueError unless moving `now` on by `seconds` stays a time that can be written down."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("the clock cannot go backwards" if seconds < 0 else "advance must be a finite number of seconds")
    if now + seconds > LATEST:
        raise ValueError(f"advancing by {seconds:g} s would move the clock past 9999-12-31T23:59:59Z")


class Clock:
    """Seconds since the Unix epoch; `sleep` lets simulated time pass. `moved`, when set, is
    called after a control call moved the clock (advance, reset): a saved state listens there."""

    mode: str
    moved: Callable[[], None] | None = None

    def now(self) -> float:
        raise NotImplementedError

    async def sleep(self, seconds: float) -> None:
        raise NotImplementedError

    def advance(self, seconds: float) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        raise NotImplementedError

    def position(self) -> float:
        """What a restart needs to carry on where this clock stands (see `resume`)."""
        raise NotImplementedError

    def resume(self, position: float) -> None:
        raise NotImplementedError

    def _moved(self) -> None:
        if self.moved is not None:
            self.moved()


class VirtualClock(Clock):
    """Time moves only when simulated latency, backoff or a control call advances it."""

    mode = "virtual"

    def __init__(self, start: float = VIRTUAL_EPOCH) -> None:
        self._start = start
        self._now = start

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._now = min(self._now + seconds, LATEST)  # simulated time stops at the last writable second

    def advance(self, seconds: float) -> None:
        check_advance(self._now, seconds)
        self._now += seconds
        self._moved()

    def reset(self) -> None:
        self._now = self._start
        self._moved()

    def position(self) -> float:
        """The virtual time itself."""
        return self._now

    def resume(self, position: float) -> None:
        self._now = min(max(position, self._start), LATEST)


class RealClock(Clock):
    """Wall-clock time; simulated latency really sleeps. `advance` adds an offset."""

    mode = "real"

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        return time.time() + self._offset

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds)

    def advance(self, seconds: float) -> None:
        check_advance(self.now(), seconds)
        self._offset += seconds
        self._moved()

    def reset(self) -> None:
        self._offset = 0.0
        self._moved()

    def position(self) -> float:
        """How far the clock was advanced ahead of the wall clock."""
        return self._offset

    def resume(self, position: float) -> None:
        self._offset = max(position, 0.0)


def make_clock(mode: str) -> Clock:
    if mode == "real":
        return RealClock()
    return VirtualClock()
