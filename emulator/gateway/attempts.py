"""Timeouts, retries and backoff against the simulated upstream, on the emulator's clock.

A fixture scripts the upstream per attempt (`respond.attempts`); each attempt takes its
simulated latency on the clock, so a test of five slow retries finishes at once.

- Retried: 5xx, 429 and timeouts. Not retried: other 4xx.
- `cf-aig-request-timeout` is the time to the first byte; the last of several attempts waits
  however long it takes (documented). With a single attempt the timeout applies.
- Wait before retry n (1-based), d = retry delay: constant d, linear d*n, exponential d*2^(n-1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from emulator.clock import Clock
from emulator.completion import Answer, UpstreamFailure
from emulator.errors import GatewayError
from emulator.gateway.headers import GatewayOptions

# Used when neither the request nor the gateway sets one (smallest choice the dashboard offers).
DEFAULT_RETRY_DELAY_MS = 100
DEFAULT_BACKOFF = "constant"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 1
    delay_ms: int = DEFAULT_RETRY_DELAY_MS
    backoff: str = DEFAULT_BACKOFF
    timeout_ms: int | None = None

    @classmethod
    def of(cls, options: GatewayOptions, gateway: dict[str, Any]) -> "RetryPolicy":
        """Request headers override the gateway's settings."""
        if (
            options.max_attempts is None and options.retry_delay_ms is None and options.backoff is None
            and options.request_timeout_ms is None and gateway.get("retry_max_attempts") is None
            and gateway.get("retry_delay") is None and gateway.get("retry_backoff") is None
        ):
            return DEFAULT_POLICY  # nearly every request: one attempt, no timeout
        return cls(
            max_attempts=options.max_attempts or gateway.get("retry_max_attempts") or 1,
            delay_ms=_first(options.retry_delay_ms, gateway.get("retry_delay"), DEFAULT_RETRY_DELAY_MS),
            backoff=options.backoff or gateway.get("retry_backoff") or DEFAULT_BACKOFF,
            timeout_ms=options.request_timeout_ms,
        )

    def wait_ms(self, retry: int) -> int:
        """The wait before retry number `retry` (1 = the second attempt)."""
        if self.backoff == "linear":
            return self.delay_ms * retry
        if self.backoff == "exponential":
            return self.delay_ms * 2 ** (retry - 1)
        return self.delay_ms


DEFAULT_POLICY = RetryPolicy()


def _first(*values: Any) -> Any:
    return next(v for v in values if v is not None)


def retryable(status: int) -> bool:
    return status >= 500 or status == 429


@dataclass(slots=True)
class Attempt:
    number: int
    outcome: str  # "success" | "error" | "timeout"
    status: int | None
    duration_ms: int  # simulated time until the answer (or until the timeout fired)
    wait_ms: int = 0  # backoff waited after this attempt, before the next

    def view(self) -> dict[str, Any]:
        return {"attempt": self.number, "outcome": self.outcome, "status": self.status, "duration_ms": self.duration_ms, "wait_ms": self.wait_ms}


@dataclass
class AttemptsResult:
    answer: Answer | None  # None: every attempt timed out
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def duration_ms(self) -> int:
        return sum([a.duration_ms + a.wait_ms for a in self.attempts])


def timeout_error(status: int) -> GatewayError:
    # No body was ever captured for a gateway timeout; 3007 is Cloudflare's "Request timeout" code.
    return GatewayError(status, 3007, "Request timeout")


async def run_attempts(
    policy: RetryPolicy,
    script: list[dict[str, Any]],
    final: dict[str, Any],
    clock: Clock,
    answer: Callable[[dict[str, Any]], Answer],
) -> AttemptsResult:
    """Play the attempts. `script[i]` scripts attempt i+1; past the script, `final` (the fixture's
    own respond fields) answers. `answer(spec)` turns a spec into the upstream's Answer."""
    result = AttemptsResult(None)
    for number in range(1, policy.max_attempts + 1):
        spec = script[number - 1] if number <= len(script) else final
        latency = int(spec.get("latency_ms", 0))
        last = number == policy.max_attempts
        timeout_applies = policy.timeout_ms is not None and not (last and policy.max_attempts > 1)
        if timeout_applies and latency > policy.timeout_ms:
            await clock.sleep(policy.timeout_ms / 1000)
            attempt = Attempt(number, "timeout", None, policy.timeout_ms)
            result.answer = None
        else:
            if latency:  # nearly every attempt takes no simulated time: no sleep to await
                await clock.sleep(latency / 1000)
            result.answer = answer(spec)
            failed = isinstance(result.answer, UpstreamFailure)
            status = result.answer.status if isinstance(result.answer, UpstreamFailure) else 200
            attempt = Attempt(number, "error" if failed else "success", status, latency)
            if not failed or not retryable(status):
                result.attempts.append(attempt)
                return result
        result.attempts.append(attempt)
        if not last:
            attempt.wait_ms = policy.wait_ms(number)
            await clock.sleep(attempt.wait_ms / 1000)
    return result


