"""Dynamic routes: named, versioned graphs of elements a request with `model: "dynamic/<name>"`
walks (start -> conditional / percentage / rate -> model -> end). No HTTP here: the management
API (emulator/routes_api.py) keeps them, the pipeline walks them (RouteWalk).

Elements, as Cloudflare's JSON configuration documents them:
- `start` -> `next`.
- `conditional`: `properties.conditions` (or `condition`, as one docs page spells it), a
  MongoDB-like filter over `metadata.*` (the `cf-aig-metadata` header), `headers.*` and `body.*`:
  `$eq $ne $in $nin $gt $gte $lt $lte $exists`, `$and` / `$or` / `$not`, a bare value means `$eq`
  -> `true` / `false`.
- `percentage`: outputs `"<p>%"` (at most 5) and `else`: the branch is drawn from a hash of the
  seed, the element and the request body, so the same request always takes the same branch.
- `rate` (the API's name; the docs say `rate_limit`): `limitType` `count` or `cost`, `key` (a
  request field, `metadata.user_id`), `limit`, `window` (seconds; the docs say `interval`),
  `technique` `fixed` (default) or `sliding`, on the emulator's clock -> `success` / `fallback`
  (no fallback: the route ends, 429 2003).
- `model`: `provider`, `model`, `timeout` (ms), `retries` -> `success` (it answered) / `fallback`.
- `end`: the last successful model answer, or the last error.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from emulator.catalog import TEXT_GENERATION, Catalog, Model, default_endpoints, default_native_format
from emulator.clock import Clock
from emulator.gateway.gateways import iso
from emulator.gateway.ratelimit import RateLimit
from emulator.ids import IdSource

DYNAMIC_PREFIX = "dynamic/"
ELEMENT_TYPES = ("start", "conditional", "percentage", "rate", "rate_limit", "model", "end")
MAX_PERCENTAGE_OUTPUTS = 5
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)%")
# How many elements a walk may visit before it is taken for a loop.
MAX_STEPS = 64


class RouteConfigError(ValueError):
    """A route's elements that do not form a valid graph; the message names the element."""


def check_elements(elements: Any) -> list[dict[str, Any]]:
    if not isinstance(elements, list) or not elements:
        raise RouteConfigError("elements: must be a non-empty array")
    ids: set[str] = set()
    for index, element in enumerate(elements):
        where = f"elements[{index}]"
        if not isinstance(element, dict):
            raise RouteConfigError(f"{where}: must be an object")
        if not isinstance(element.get("id"), str) or not element["id"]:
            raise RouteConfigError(f"{where}.id: must be a non-empty string")
        if element["id"] in ids:
            raise RouteConfigError(f"{where}.id: {element['id']!r} is used twice")
        ids.add(element["id"])
        if element.get("type") not in ELEMENT_TYPES:
            raise RouteConfigError(f"{where}.type: must be one of {', '.join(ELEMENT_TYPES)}")
        outputs = element.get("outputs", {})
        if not isinstance(outputs, dict) or any(not isinstance(o, dict) or not isinstance(o.get("elementId"), str) for o in outputs.values()):
            raise RouteConfigError(f"{where}.outputs: each output must be an object with an elementId")
        _check_element(where, element, outputs)
    starts = [e for e in elements if e["type"] == "start"]
    if len(starts) != 1:
        raise RouteConfigError("elements: a route has exactly one start element")
    for index, element in enumerate(elements):
        for name, output in element.get("outputs", {}).items():
            if output["elementId"] not in ids:
                raise RouteConfigError(f"elements[{index}].outputs.{name}: no element {output['elementId']!r}")
    return elements


def _check_element(where: str, element: dict[str, Any], outputs: dict[str, Any]) -> None:
    kind = element["type"]
    props = element.get("properties") or {}
    needed = {"start": ("next",), "conditional": ("true", "false"), "rate": ("success",), "rate_limit": ("success",), "model": ("success",)}
    for name in needed.get(kind, ()):
        if name not in outputs:
            raise RouteConfigError(f"{where}.outputs.{name}: required for a {kind} element")
    if kind == "conditional" and not isinstance(props.get("conditions", props.get("condition")), dict):
        raise RouteConfigError(f"{where}.properties.conditions: must be an object")
    if kind == "percentage":
        shares = [name for name in outputs if name != "else"]
        if len(shares) > MAX_PERCENTAGE_OUTPUTS or any(not _PERCENT.fullmatch(name) for name in shares):
            raise RouteConfigError(f"{where}.outputs: at most {MAX_PERCENTAGE_OUTPUTS} outputs named like \"25%\", and \"else\"")
        if sum(float(_PERCENT.fullmatch(n)[1]) for n in shares) > 100:
            raise RouteConfigError(f"{where}.outputs: the percentages add up to more than 100")
    if kind in ("rate", "rate_limit"):
        if props.get("limitType", "count") not in ("count", "cost"):
            raise RouteConfigError(f"{where}.properties.limitType: must be count or cost")
        if not isinstance(props.get("key"), str):
            raise RouteConfigError(f"{where}.properties.key: must be a string")
        for name in ("limit",):
            if not _positive(props.get(name)):
                raise RouteConfigError(f"{where}.properties.{name}: must be a positive number")
        if not _positive(props.get("window", props.get("interval"))):
            raise RouteConfigError(f"{where}.properties.window: must be a positive number of seconds")
        if props.get("technique", "fixed") not in ("fixed", "sliding"):
            raise RouteConfigError(f"{where}.properties.technique: must be fixed or sliding")
    if kind == "model":
        for name in ("provider", "model"):
            if not isinstance(props.get(name), str) or not props[name]:
                raise RouteConfigError(f"{where}.properties.{name}: must be a non-empty string")
        for name in ("timeout", "retries"):
            if name in props and (isinstance(props[name], bool) or not isinstance(props[name], (int, float)) or props[name] < 0):
                raise RouteConfigError(f"{where}.properties.{name}: must be a non-negative number")


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


# --- the stored routes ---------------------------------------------------------------------
@dataclass
class RouteVersion:
    version_id: str
    created_at: str
    elements: list[dict[str, Any]]


@dataclass
class Deployment:
    deployment_id: str
    version_id: str
    created_at: str


@dataclass
class DynamicRoute:
    id: str
    name: str
    gateway_id: str
    account_tag: str
    created_at: str
    modified_at: str
    versions: list[RouteVersion] = field(default_factory=list)
    deployments: list[Deployment] = field(default_factory=list)

    @property
    def deployment(self) -> Deployment:
        return self.deployments[-1]

    @property
    def active(self) -> RouteVersion:
        return self.version(self.deployment.version_id)  # type: ignore[return-value]

    def version(self, version_id: str) -> RouteVersion | None:
        return next((v for v in self.versions if v.version_id == version_id), None)


class RouteStore:
    """Every gateway's routes, by `account/gateway` scope; the config file's are there after
    each reset."""

    def __init__(self, configured: dict[str, dict[str, Any]], clock: Clock, ids: IdSource) -> None:
        self._configured = {gid: cfg.get("routes", []) for gid, cfg in configured.items() if cfg.get("routes")}
        self._clock = clock
        self._ids = ids
        self.reset()

    def reset(self) -> None:
        self._scopes: dict[str, dict[str, DynamicRoute]] = {}

    def _routes(self, account_id: str, gateway_id: str) -> dict[str, DynamicRoute]:
        scope = f"{account_id}/{gateway_id}"
        routes = self._scopes.get(scope)
        if routes is None:
            routes = self._scopes[scope] = {}
            for spec in self._configured.get(gateway_id, []):
                self.create(account_id, gateway_id, spec["name"], check_elements(spec["elements"]))
        return routes

    def all(self, account_id: str, gateway_id: str) -> list[DynamicRoute]:
        return sorted(self._routes(account_id, gateway_id).values(), key=lambda r: r.created_at)

    def get(self, account_id: str, gateway_id: str, route_id: str) -> DynamicRoute | None:
        return self._routes(account_id, gateway_id).get(route_id)

    def named(self, account_id: str, gateway_id: str, name: str) -> DynamicRoute | None:
        return next((r for r in self._routes(account_id, gateway_id).values() if r.name == name), None)

    def create(self, account_id: str, gateway_id: str, name: str, elements: list[dict[str, Any]]) -> DynamicRoute:
        now = iso(self._clock.now())
        route = DynamicRoute(self._ids.uuid(), name, gateway_id, account_id, now, now)
        self._routes(account_id, gateway_id)[route.id] = route
        self.deploy(route, self.add_version(route, elements).version_id)
        return route

    def add_version(self, route: DynamicRoute, elements: list[dict[str, Any]]) -> RouteVersion:
        version = RouteVersion(self._ids.uuid(), iso(self._clock.now()), elements)
        route.versions.append(version)
        route.modified_at = version.created_at
        return version

    def deploy(self, route: DynamicRoute, version_id: str) -> Deployment:
        deployment = Deployment(self._ids.uuid(), version_id, iso(self._clock.now()))
        route.deployments.append(deployment)
        route.modified_at = deployment.created_at
        return deployment

    def delete(self, account_id: str, gateway_id: str, route_id: str) -> DynamicRoute | None:
        return self._routes(account_id, gateway_id).pop(route_id, None)


# Provider slugs whose models the catalog keeps under another author name.
CATALOG_AUTHORS = {"google-ai-studio": "google", "grok": "xai"}


def step_model(catalog: Catalog, provider: str, model: str) -> Model:
    """A model element's model: the catalog's (`workers-ai` takes `@cf/...` ids), else a text
    model of that provider (the gateway forwards any id)."""
    return named_model(catalog, model if provider == "workers-ai" else f"{CATALOG_AUTHORS.get(provider, provider)}/{model}")


def named_model(catalog: Catalog, name: str) -> Model:
    """The catalog's model of that name, else a text model of that name."""
    known = catalog.get(name)
    if known is not None:
        return known
    native = default_native_format(name)
    return Model(name=name, task=TEXT_GENERATION, native_format=native, endpoints=default_endpoints(name, TEXT_GENERATION, native))


# --- walking a route -----------------------------------------------------------------------
@dataclass(frozen=True)
class ModelStep:
    element_id: str
    provider: str
    model: str
    timeout_ms: int | None
    retries: int


@dataclass
class RequestFacts:
    """What a route's conditions and keys read from the request."""

    metadata: dict[str, Any]
    headers: dict[str, str]
    body: dict[str, Any]
    split_key: bytes  # the request as sent: what a percentage split hashes

    def value(self, path: str) -> Any:
        root, _, rest = path.partition(".")
        value: Any = {"metadata": self.metadata, "headers": self.headers, "body": self.body}.get(root, _MISSING)
        for part in rest.split(".") if rest else ():
            value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
        return value


_MISSING = object()


def matches(conditions: dict[str, Any], facts: RequestFacts) -> bool:
    for key, test in conditions.items():
        if key == "$and":
            if not all(matches(c, facts) for c in test):
                return False
        elif key == "$or":
            if not any(matches(c, facts) for c in test):
                return False
        elif key == "$not":
            if matches(test, facts):
                return False
        elif not _field_matches(facts.value(key), test):
            return False
    return True


def _field_matches(value: Any, test: Any) -> bool:
    if not isinstance(test, dict) or not any(k.startswith("$") for k in test):
        return value is not _MISSING and value == test
    for op, operand in test.items():
        present = value is not _MISSING
        if op == "$exists":
            ok = present == bool(operand)
        elif op == "$eq":
            ok = present and value == operand
        elif op == "$ne":
            ok = not present or value != operand
        elif op == "$in":
            ok = present and value in operand
        elif op == "$nin":
            ok = not present or value not in operand
        elif op in ("$gt", "$gte", "$lt", "$lte"):
            try:
                ok = present and {"$gt": value > operand, "$gte": value >= operand, "$lt": value < operand, "$lte": value <= operand}[op]
            except TypeError:
                ok = False
        else:
            ok = False
        if not ok:
            return False
    return True


def split_point(seed: int, element_id: str, split_key: bytes) -> float:
    """A number in [0, 100) the same for the same seed, element and request."""
    digest = hashlib.blake2b(split_key, digest_size=8, key=f"{seed}:{element_id}".encode()[:64]).digest()
    return int.from_bytes(digest, "big") / 2**64 * 100


def percentage_branch(outputs: dict[str, Any], point: float) -> str | None:
    """The output whose share `point` falls in, in the order the outputs are written; `else`
    (or nothing) for the rest."""
    edge = 0.0
    for name in outputs:
        share = _PERCENT.fullmatch(name)
        if share is None:
            continue
        edge += float(share[1])
        if point < edge:
            return name
    return "else" if "else" in outputs else None


class SpendLog:
    """What each budget element's keys spent, on the emulator's clock, in the windows its rule
    says (fixed: aligned on multiples of the window; sliding: the last `window` seconds)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        self._spends: dict[str, list[tuple[float, float]]] = {}

    def spent(self, scope: str, rule: RateLimit) -> float:
        now = self._clock.now()
        since = now - rule.interval if rule.technique == "sliding" else now - now % rule.interval
        return sum(cost for at, cost in self._spends.get(scope, ()) if at > since or (rule.technique != "sliding" and at >= since))

    def add(self, scope: str, cost: float) -> None:
        self._spends.setdefault(scope, []).append((self._clock.now(), cost))


class RouteWalk:
    """One request's way through a route. `next_model` walks to the next model element (or
    None at the end); `report` says how that model did and picks the output to follow."""

    def __init__(self, route: DynamicRoute, facts: RequestFacts, seed: int, admit: Callable[[str, RateLimit], bool],
                 spent: Callable[[str, RateLimit], float]) -> None:
        self.route = route
        self.version = route.active
        self.elements = {e["id"]: e for e in self.version.elements}
        self.facts = facts
        self.seed = seed
        self._admit = admit
        self._spent = spent
        start = next(e for e in self.version.elements if e["type"] == "start")
        self.steps: list[dict[str, Any]] = [{"element": start["id"], "type": "start"}]
        self.current: str | None = start["outputs"]["next"]["elementId"]
        self.model_element: dict[str, Any] | None = None
        self.limited_by: str | None = None  # a rate element without fallback that ended the route
        self.budget_keys: list[tuple[str, RateLimit]] = []

    def _follow(self, element: dict[str, Any], output: str) -> str | None:
        target = element.get("outputs", {}).get(output)
        return target["elementId"] if target else None

    def next_model(self) -> ModelStep | None:
        for _ in range(MAX_STEPS):
            if self.current is None:
                return None
            element = self.elements[self.current]
            kind = element["type"]
            props = element.get("properties") or {}
            step: dict[str, Any] = {"element": element["id"], "type": kind}
            self.steps.append(step)
            if kind == "end":
                self.current = None
                return None
            if kind == "start":
                self.current = self._follow(element, "next")
            elif kind == "conditional":
                outcome = matches(props.get("conditions", props.get("condition")) or {}, self.facts)
                step["outcome"] = outcome
                self.current = self._follow(element, "true" if outcome else "false")
            elif kind == "percentage":
                branch = percentage_branch(element.get("outputs", {}), split_point(self.seed, element["id"], self.facts.split_key))
                step["branch"] = branch
                self.current = self._follow(element, branch) if branch else None
            elif kind in ("rate", "rate_limit"):
                self.current = self._limit(element, props, step)
            elif kind == "model":
                self.model_element = element
                step.update(provider=props["provider"], model=props["model"])
                retries = int(props.get("retries", 0))
                timeout = props.get("timeout")
                return ModelStep(element["id"], props["provider"], props["model"], int(timeout) if timeout else None, retries)
        raise RouteConfigError("the route visits more than 64 elements: it loops")

    def _limit(self, element: dict[str, Any], props: dict[str, Any], step: dict[str, Any]) -> str | None:
        key = self.facts.value(props["key"])
        key_text = "" if key is _MISSING else str(key)
        rule = RateLimit(limit=props["limit"], interval=int(props.get("window", props.get("interval"))), technique=props.get("technique", "fixed"))
        scope = f"{element['id']}/{key_text}"
        if props.get("limitType", "count") == "cost":
            within = self._spent(scope, rule) < rule.limit
            if within:
                self.budget_keys.append((scope, rule))
        else:
            within = self._admit(scope, rule)
        step["limited"] = not within
        if within:
            return self._follow(element, "success")
        fallback = self._follow(element, "fallback")
        if fallback is None:
            self.limited_by = element["id"]
        return fallback

    def report(self, answered: bool) -> None:
        assert self.model_element is not None
        self.steps[-1]["outcome"] = "success" if answered else "fallback"
        self.current = self._follow(self.model_element, "success" if answered else "fallback")
        self.model_element = None
