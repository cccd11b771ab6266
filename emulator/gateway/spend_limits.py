"""A gateway's spend limits (Cloudflare's spend-limits page): cost budgets in USD per window.

A gateway's `spend_limits` is `{enabled, rules: [...]}`, at most 20 rules, each
`{id, enabled, limitType: "cost", limit, window (seconds), technique: fixed | sliding,
provider?, model?, metadata?: {key: ...}}`. A dimension is `{mode: "filter", values: [...]}`
(the rule applies only to those values) or `{mode: "partition"}` (each value has its own budget);
a dimension the rule does not name is one budget shared by every value.

Every rule that applies is checked before the upstream is called; the cost is charged after the
answer, so requests already past the check all complete and charge (a burst overshoots, as
documented). Spend reaching the limit blocks: 429, code 2045 (the code observed on the live
gateway; another capture shows 2041). `fixed` windows are aligned on multiples of the window
since the Unix epoch (as the rate limits'); `sliding` keeps each charge for `window` seconds.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from emulator.clock import Clock
from emulator.errors import GatewayError

MAX_RULES = 20
SPEND_LIMIT_CODE = 2045
DIMENSIONS = ("provider", "model")
_RULE_FIELDS = {"id", "enabled", "limitType", "limit", "window", "technique", "provider", "model", "metadata"}


class SpendLimitsInvalid(ValueError):
    """A `spend_limits` value that is not one; the message names the field."""


@dataclass(frozen=True)
class Dimension:
    partition: bool
    values: frozenset[str] = frozenset()

    def admits(self, value: str | None) -> bool:
        return self.partition or (value is not None and value in self.values)


@dataclass(frozen=True)
class SpendRule:
    id: str
    limit: float
    window: int
    technique: str
    limit_text: str  # the limit as configured, for the error message
    dimensions: tuple[tuple[str, Dimension], ...]  # ("provider" | "model" | "metadata.<key>", how)

    def bucket(self, values: dict[str, str | None]) -> tuple[str, ...] | None:
        """The budget this request is charged to, or None when the rule does not apply."""
        parts = [self.id]
        for name, dimension in self.dimensions:
            value = values.get(name)
            if not dimension.admits(value):
                return None
            if dimension.partition:
                parts.append(f"{name}={value if value is not None else ''}")
        return tuple(parts)

    def exceeded(self, provider: str, model: str) -> GatewayError:
        return GatewayError(
            429, SPEND_LIMIT_CODE,
            f"Spend limit exceeded: rule '{self.id}' (cost limit {self.limit_text} per {self.window}s, {self.technique}) for {provider} {model}",
        )


def _dimension(where: str, spec: Any) -> Dimension:
    if not isinstance(spec, dict) or spec.get("mode") not in ("filter", "partition"):
        raise SpendLimitsInvalid(f"{where}.mode: must be 'filter' or 'partition'")
    if spec["mode"] == "partition":
        return Dimension(True)
    values = spec.get("values")
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise SpendLimitsInvalid(f"{where}.values: must be a non-empty list of strings")
    return Dimension(False, frozenset(values))


def parse_spend_limits(value: Any) -> tuple[SpendRule, ...]:
    """The enabled rules of a gateway's `spend_limits` (None or disabled: none). Raises
    SpendLimitsInvalid naming the field."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise SpendLimitsInvalid("spend_limits: must be an object {enabled, rules}")
    enabled, rules = value.get("enabled", True), value.get("rules", [])
    if not isinstance(enabled, bool):
        raise SpendLimitsInvalid("spend_limits.enabled: must be a boolean")
    if not isinstance(rules, list):
        raise SpendLimitsInvalid("spend_limits.rules: must be a list")
    if len(rules) > MAX_RULES:
        raise SpendLimitsInvalid(f"spend_limits.rules: at most {MAX_RULES} rules per gateway")
    parsed = []
    for index, rule in enumerate(rules):
        where = f"spend_limits.rules[{index}]"
        if not isinstance(rule, dict):
            raise SpendLimitsInvalid(f"{where}: must be an object")
        unknown = sorted(set(rule) - _RULE_FIELDS)
        if unknown:
            raise SpendLimitsInvalid(f"{where}.{unknown[0]}: unknown field")
        if rule.get("limitType") != "cost":
            raise SpendLimitsInvalid(f"{where}.limitType: must be 'cost'")
        limit = rule.get("limit")
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit <= 0:
            raise SpendLimitsInvalid(f"{where}.limit: must be a number of USD above 0")
        window = rule.get("window")
        if isinstance(window, bool) or not isinstance(window, int) or window <= 0:
            raise SpendLimitsInvalid(f"{where}.window: must be a whole number of seconds above 0")
        technique = rule.get("technique", "fixed")
        if technique not in ("fixed", "sliding"):
            raise SpendLimitsInvalid(f"{where}.technique: must be 'fixed' or 'sliding'")
        rule_id = rule.get("id", f"rule-{index + 1}")
        if not isinstance(rule_id, str) or not rule_id:
            raise SpendLimitsInvalid(f"{where}.id: must be a non-empty string")
        if not isinstance(rule.get("enabled", True), bool):
            raise SpendLimitsInvalid(f"{where}.enabled: must be a boolean")
        dimensions = [(name, _dimension(f"{where}.{name}", rule[name])) for name in DIMENSIONS if name in rule]
        metadata = rule.get("metadata", {})
        if not isinstance(metadata, dict):
            raise SpendLimitsInvalid(f"{where}.metadata: must be an object of metadata keys")
        dimensions += [(f"metadata.{key}", _dimension(f"{where}.metadata.{key}", spec)) for key, spec in metadata.items()]
        if enabled and rule.get("enabled", True):
            parsed.append(SpendRule(rule_id, float(limit), window, technique, str(limit), tuple(dimensions)))
    return tuple(parsed)


def request_values(provider: str, model: str, metadata: dict[str, Any] | None) -> dict[str, str | None]:
    """What a rule's dimensions read of a request: provider, model, each metadata value as text."""
    values: dict[str, str | None] = {"provider": provider, "model": model}
    for key, value in (metadata or {}).items():
        values[f"metadata.{key}"] = str(value).lower() if isinstance(value, bool) else str(value)
    return values


class SpendLedger:
    """What each budget has spent, on the emulator's clock. One per emulator (reset with it)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._fixed: dict[tuple[str, ...], tuple[float, float]] = {}  # bucket -> (window start, spent)
        self._sliding: dict[tuple[str, ...], deque[tuple[float, float]]] = {}  # bucket -> (time, cost)

    def spent(self, scope: str, rule: SpendRule, bucket: tuple[str, ...]) -> float:
        now = self._clock.now()
        key = (scope, *bucket)
        if rule.technique == "sliding":
            charges = self._sliding.get(key)
            if not charges:
                return 0.0
            while charges and charges[0][0] <= now - rule.window:
                charges.popleft()
            return round(sum(cost for _, cost in charges), 12)
        start, spent = self._fixed.get(key, (0.0, 0.0))
        return spent if start == now - now % rule.window else 0.0

    def charge(self, scope: str, rule: SpendRule, bucket: tuple[str, ...], cost: float) -> None:
        now = self._clock.now()
        key = (scope, *bucket)
        if rule.technique == "sliding":
            self._sliding.setdefault(key, deque()).append((now, cost))
            return
        start = now - now % rule.window
        spent = self.spent(scope, rule, bucket)
        self._fixed[key] = (start, round(spent + cost, 12))

    def reset(self) -> None:
        self._fixed.clear()
        self._sliding.clear()
