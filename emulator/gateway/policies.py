"""A gateway's policies (beta; Cloudflare's policies page): who may call which models, and how much
each budget may spend per UTC calendar window.

A policy is `{name, actor, resource, condition, action}`. Evaluation, as documented: a policy
matches when its resource matches the request's model and provider and its condition holds; any
matching block wins (403); the other matches are grouped into budgets by resolved actor and
resource, where a `no-limit` policy lifts the cap and, among caps of one window, the highest
applies; every budget must be under its cap (else 429); no match at all is a 403. A field the
request lacks makes a block policy block (when its resource matches) and any other policy not
apply. `{"type": "block", "except": true}` blocks every request its resource does not match.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from emulator.errors import GatewayError
from emulator.gateway.policy_conditions import Condition, ConditionError, Identity, MissingField, check_actor, compile_condition, resolve_actor

PERIODS = ("hourly", "daily", "weekly", "monthly")
POLICY_FIELDS = ("name", "actor", "resource", "condition", "action")


class PolicyInvalid(ValueError):
    """A policy that is not one; the message names the field (or the expression)."""


def access_denied() -> GatewayError:
    return GatewayError(403, 0, "Access denied by policy", body={"success": False, "error": {"message": "Access denied by policy"}})


def spending_limit_exceeded(bucket: str, spent: float, limit: float) -> GatewayError:
    body = {"success": False, "error": {"message": "Spending limit exceeded", "bucket": bucket, "spent": spent, "limit": limit}}
    return GatewayError(429, 0, "Spending limit exceeded", body=body)


def window_start(now: float, period: str) -> float:
    """The start of the UTC calendar window holding `now` (weekly: Monday 00:00 UTC)."""
    moment = datetime.fromtimestamp(now, tz=timezone.utc)
    if period == "hourly":
        start = moment.replace(minute=0, second=0, microsecond=0)
    elif period == "daily":
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    elif period == "weekly":
        start = (moment - timedelta(days=moment.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start.timestamp()


def _values(value: Any, where: str) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
        raise PolicyInvalid(f"{where}: must be a string or a non-empty list of strings")
    return tuple(values)


def _model_pattern(pattern: str) -> re.Pattern[str]:
    """`*` matches within one path segment: it never crosses a `/`."""
    return re.compile("^" + "[^/]*".join(re.escape(part) for part in pattern.split("*")) + "$")


@dataclass
class Policy:
    id: str
    name: str
    actor: str
    resource: Any
    condition: str
    action: dict[str, Any]
    created_at: int
    updated_at: int
    _condition: Condition = field(repr=False, default=lambda _i: True)
    _models: tuple[re.Pattern[str], ...] = ()
    _providers: tuple[str, ...] = ()

    def view(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("id", *POLICY_FIELDS, "created_at", "updated_at")}

    @property
    def kind(self) -> str:
        return self.action["type"]

    @property
    def allowlist(self) -> bool:
        return self.kind == "block" and self.action.get("except") is True

    def covers(self, model: str, provider: str) -> bool:
        if self._models and not any(p.match(model) for p in self._models):
            return False
        return not self._providers or provider in self._providers

    @property
    def resource_key(self) -> str:
        return self.resource if isinstance(self.resource, str) else json.dumps(self.resource, sort_keys=True, separators=(",", ":"))


def make_policy(policy_id: str, fields: dict[str, Any], now: int, created_at: int | None = None) -> Policy:
    """A policy from the API's fields, checked (PolicyInvalid names the field)."""
    for key in ("name", "actor"):
        if not isinstance(fields.get(key), str) or not fields[key]:
            raise PolicyInvalid(f"{key}: must be a non-empty string")
    condition = fields.get("condition", "true")
    if not isinstance(condition, str) or not condition.strip():
        raise PolicyInvalid("condition: must be a CEL expression (\"true\" matches every request)")
    resource = fields.get("resource", "*")
    models: tuple[re.Pattern[str], ...] = ()
    providers: tuple[str, ...] = ()
    if resource != "*":
        if not isinstance(resource, dict) or not resource or set(resource) - {"model", "provider"}:
            raise PolicyInvalid('resource: must be "*" or an object with model and/or provider')
        if "model" in resource:
            models = tuple(_model_pattern(m) for m in _values(resource["model"], "resource.model"))
        if "provider" in resource:
            providers = _values(resource["provider"], "resource.provider")
            if any("*" in p for p in providers):
                raise PolicyInvalid("resource.provider: provider names take no wildcard")
    action = fields.get("action")
    if not isinstance(action, dict) or action.get("type") not in ("limit", "no-limit", "block"):
        raise PolicyInvalid("action.type: must be limit, no-limit or block")
    if action["type"] == "limit":
        amount = action.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount <= 0:
            raise PolicyInvalid("action.amount: must be a number of USD above 0")
        if action.get("period") not in PERIODS:
            raise PolicyInvalid(f"action.period: must be one of {', '.join(PERIODS)}")
        if action.get("technique", "named-interval") != "named-interval":
            raise PolicyInvalid("action.technique: must be named-interval")
        action = {"technique": "named-interval", **action}
    if "except" in action and (action["type"] != "block" or not isinstance(action["except"], bool)):
        raise PolicyInvalid("action.except: only a block action takes it, as a boolean")
    try:
        compiled = compile_condition(condition)
        check_actor(fields["actor"])
    except ConditionError as err:
        raise PolicyInvalid(str(err)) from None
    return Policy(
        policy_id, fields["name"], fields["actor"], resource, condition, action,
        created_at if created_at is not None else now, now, compiled, models, providers,
    )


@dataclass
class Budget:
    """One bucket of one window: what the request is charged to once it is answered."""

    bucket: str
    period: str
    limit: float
    policy_name: str


@dataclass
class Verdict:
    decision: str  # "block" | "no-limit" | "check_limits"
    budgets: list[Budget] = field(default_factory=list)
    policies_evaluated: int = 0


def _applies(policy: Policy, identity: Identity, model: str, provider: str) -> str | None:
    """"block", "match" or None (does not apply)."""
    covered = policy.covers(model, provider)
    if policy.allowlist:
        covered = not covered
    if not covered:
        return None
    try:
        holds = policy._condition(identity)
        if policy.kind != "block":
            resolve_actor(policy.actor, identity)
    except MissingField:
        return "block" if policy.kind == "block" else None
    if not holds:
        return None
    return "block" if policy.kind == "block" else "match"


def evaluate(policies: list[Policy], identity: Identity, model: str, provider: str) -> Verdict:
    """What the policies decide for a request, before any spend is looked at."""
    matched: list[Policy] = []
    for policy in policies:
        outcome = _applies(policy, identity, model, provider)
        if outcome == "block":
            return Verdict("block", policies_evaluated=len(policies))
        if outcome == "match":
            matched.append(policy)
    if not matched:
        return Verdict("block", policies_evaluated=len(policies))  # deny by default
    buckets: dict[str, list[Policy]] = {}
    for policy in matched:
        bucket = f"{resolve_actor(policy.actor, identity)}|{policy.resource_key}"
        buckets.setdefault(bucket, []).append(policy)
    budgets = []
    for bucket, members in buckets.items():
        if any(p.kind == "no-limit" for p in members):
            continue
        for period in PERIODS:
            caps = [p for p in members if p.action.get("period") == period]
            if caps:
                top = max(caps, key=lambda p: p.action["amount"])
                budgets.append(Budget(bucket, period, float(top.action["amount"]), top.name))
    return Verdict("check_limits" if budgets else "no-limit", budgets, len(policies))


@dataclass
class GatewayPolicies:
    """A gateway's committed policies and staged drafts (by policy id; a draft of None: a deletion is not staged)."""

    live: dict[str, Policy] = field(default_factory=dict)
    drafts: dict[str, Policy] = field(default_factory=dict)

    def with_drafts(self) -> list[Policy]:
        return list({**self.live, **self.drafts}.values())


class PolicySpend:
    """What each policy budget has spent in its current calendar window, on the emulator's clock."""

    def __init__(self, clock: Any) -> None:
        self._clock = clock
        self._spent: dict[tuple[str, str, str, float], float] = {}

    def spent(self, scope: str, budget: Budget) -> float:
        return self._spent.get((scope, budget.bucket, budget.period, window_start(self._clock.now(), budget.period)), 0.0)

    def charge(self, scope: str, budget: Budget, cost: float) -> None:
        key = (scope, budget.bucket, budget.period, window_start(self._clock.now(), budget.period))
        self._spent[key] = round(self._spent.get(key, 0.0) + cost, 12)

    def reset(self) -> None:
        self._spent.clear()


def enforce(verdict: Verdict, spent_of: Any) -> dict[str, Any]:
    """The enforcement as simulate shows it: allowed, or why not (`spent_of(budget)`: its spend)."""
    if verdict.decision == "block":
        return {"allowed": False, "reason": "blocked"}
    for budget in verdict.budgets:
        spent = spent_of(budget)
        if spent >= budget.limit:
            return {"allowed": False, "reason": "limit_exceeded", "bucket": budget.bucket, "spent": spent,
                    "limit": budget.limit, "policyName": budget.policy_name}
    return {"allowed": True}


def identity_from_headers(headers: dict[str, str], metadata: dict[str, Any] | None) -> Identity:
    """The caller as policies see it. Cloudflare Access is stood in for by its own headers: the
    `cf-access-jwt-assertion` JWT's claims (read, not verified: `sub`, `email`, `groups`, and any
    other claim as `cf.custom.<claim>`), else `cf-access-authenticated-user-email`; the country
    is `cf-ipcountry`; `metadata` is the request's cf-aig-metadata."""
    user: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    assertion = headers.get("cf-access-jwt-assertion")
    if assertion:
        claims = _jwt_claims(assertion)
        for claim, value in claims.items():
            if claim == "sub":
                user["id"] = value
            elif claim in ("email", "groups"):
                user[claim] = value
            elif claim == "custom" and isinstance(value, dict):
                custom.update(value)
            elif claim not in ("iat", "exp", "nbf", "iss", "aud", "type", "identity_nonce", "country"):
                custom[claim] = value
    if "email" not in user and headers.get("cf-access-authenticated-user-email"):
        user["email"] = headers["cf-access-authenticated-user-email"]
    cf: dict[str, Any] = {"user": user, "custom": custom}
    if headers.get("cf-ipcountry"):
        cf["country"] = headers["cf-ipcountry"]
    return {"cf": cf, "metadata": dict(metadata or {})}


def _jwt_claims(token: str) -> dict[str, Any]:
    import base64

    parts = token.split(".")
    if len(parts) < 2:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, TypeError):
        return {}
    return claims if isinstance(claims, dict) else {}

