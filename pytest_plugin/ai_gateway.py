"""`AiGateway`: the handle tests get from the `ai_gateway` fixture.

URLs to point an app or SDK at, and the emulator's control API (reset, fixtures, clock,
journal) plus the gateway logs, read in the domain's words. Imported only when a test asks for
the fixture, so loading the plugin stays cheap.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest

from emulator.urls import AccountUrls
from pytest_plugin.journal import RecordedRequest
from pytest_plugin.server import EmulatorProcess

CONTROL = "/__emulator__"
DEFAULT_ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
DEFAULT_API_TOKEN = "emulator-token"
CLOUDFLARE_API_HOST = "api.cloudflare.com"
CLOUDFLARE_GATEWAY_URL = "https://gateway.ai.cloudflare.com"
FIXTURE_SUFFIXES = (".yaml", ".yml", ".json")


class AiGateway(AccountUrls):
    def __init__(
        self,
        base_url: str,
        account_id: str,
        api_token: str,
        gateway_id: str = "default",
        process: EmulatorProcess | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.account_id = account_id
        self.api_token = api_token
        self.gateway_id = gateway_id
        self._process = process
        self._has_control: bool | None = True if process else None

    # --- where to point an app -------------------------------------------------------------
    @property
    def contract_mode(self) -> bool:
        """True when the tests run against a server this plugin did not start (--ai-gateway-url)."""
        return self._process is None

    @property
    def gateway_base_url(self) -> str:
        """`.../v1/{account_id}/{gateway_id}`: the gateway URL family (provider paths go after it)."""
        return self.gateway_url(self.gateway_id)

    def gateway_url(self, gateway_id: str) -> str:
        host = self.base_url
        if urlsplit(self.base_url).hostname == CLOUDFLARE_API_HOST:
            host = CLOUDFLARE_GATEWAY_URL
        return f"{host}/v1/{self.account_id}/{gateway_id}"

    def auth_headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_token}", **extra}

    # --- the emulator's control API ---------------------------------------------------------
    @property
    def has_control(self) -> bool:
        """Whether the server is an emulator (the real Cloudflare API has no control API)."""
        if self._has_control is None:
            try:
                status, body = self._call("GET", f"{CONTROL}/health")
            except OSError:
                status, body = 0, None
            self._has_control = status == 200 and isinstance(body, dict) and body.get("status") == "ok"
        return self._has_control

    def require_control(self, what: str) -> None:
        if not self.has_control:
            pytest.skip(f"{what} needs the emulator's control API; {self.base_url} has none (contract mode)")

    def reset(self) -> None:
        """Forget everything: fixtures added at runtime, journal, logs, cache, rate windows, clock."""
        self.require_control("reset()")
        self._control("POST", "/reset")

    def add_fixture(
        self,
        spec: dict[str, Any] | None = None,
        *,
        name: str | None = None,
        match: dict[str, Any] | None = None,
        respond: dict[str, Any] | list[dict[str, Any]] | None = None,
    ) -> AddedFixture:
        """Add one fixture (schemas/fixture.schema.json) until reset; also a context manager.
        `respond` a list: a sequence, its answers in order on successive matches."""
        fixture = dict(spec or {})
        for key, value in (("name", name), ("match", match), ("respond", respond)):
            if value is not None:
                fixture[key] = value
        self.require_control("add_fixture()")
        added = self._control("POST", "/fixtures", fixture)["fixtures"][0]
        return AddedFixture(self, added["id"], added.get("name"))

    def load_fixtures(self, *paths: str | Path) -> list[AddedFixture]:
        """Add the fixtures of fixture files (or every file of a directory) until reset."""
        fixtures: list[dict[str, Any]] = []
        for path in paths:
            for file in _fixture_files(Path(path)):
                fixtures.extend(_read_fixture_file(file))
        if not fixtures:
            return []
        self.require_control("load_fixtures()")
        added = self._control("POST", "/fixtures", {"fixtures": fixtures})["fixtures"]
        return [AddedFixture(self, a["id"], a.get("name")) for a in added]

    def remove_fixture(self, fixture_id: str) -> None:
        self.require_control("remove_fixture()")
        self._control("DELETE", "/fixtures/" + quote(fixture_id, safe=""))

    # --- guardrails ----------------------------------------------------------------------------
    def classify(
        self, content: str | dict[str, str], categories: list[str], *, applies_to: str = "both", name: str | None = None
    ) -> AddedClassification:
        """Put content in hazard categories (S1-S13, P1) until reset; also a context manager.
        `content` is a fixture text matcher (a string matches exactly; {"contains": ...},
        {"regex": ...}); `applies_to` prompt, response or both. What a gateway then does (flag or
        block) is its `guardrails` setting."""
        rule: dict[str, Any] = {"content": content, "categories": list(categories), "applies_to": applies_to}
        if name is not None:
            rule["name"] = name
        self.require_control("classify()")
        added = self._control("POST", "/classifications", rule)["classifications"][0]
        return AddedClassification(self, added["id"], added.get("name"))

    flag = classify  # ai_gateway.flag(content=..., categories=["S1"]): the same call

    def guardrail_scanner(self, state: str) -> None:
        """Script the guardrail scanner until reset: available, unavailable or credits_exhausted."""
        self.require_control("guardrail_scanner()")
        self._control("POST", "/guardrails", {"scanner": state})

    def create_gateway(self, gateway_id: str, **settings: Any) -> dict[str, Any]:
        """Create a gateway through the management API (e.g. guardrails={...}, dlp={...}); the
        fields the API requires default to the dashboard's defaults."""
        body = {"id": gateway_id, "cache_invalidate_on_update": False, "cache_ttl": 0, "collect_logs": True,
                "rate_limiting_interval": 0, "rate_limiting_limit": 0, **settings}
        path = f"/client/v4/accounts/{self.account_id}/ai-gateway/gateways"
        status, answer = self._call("POST", path, body, headers=self.auth_headers())
        if status != 200:
            raise AssertionError(f"POST {path} answered {status}: {answer}")
        return answer["result"]

    def advance_clock(self, seconds: float) -> float:
        """Move the emulator's virtual clock forward; returns the new time (epoch seconds)."""
        self.require_control("advance_clock()")
        return self._control("POST", "/clock", {"advance": seconds})["now"]

    @property
    def now(self) -> float:
        self.require_control("the emulator clock")
        return self._control("GET", "/clock")["now"]

    def journal(self) -> list[dict[str, Any]]:
        """Every request received since the last reset, oldest first, as the journal records it."""
        self.require_control("journal()")
        return self._control("GET", "/journal")["entries"]

    @property
    def requests(self) -> list[RecordedRequest]:
        return [RecordedRequest(entry) for entry in self.journal()]

    @property
    def last_request(self) -> RecordedRequest:
        entries = self.journal()
        assert entries, f"the emulator at {self.base_url} received no request"
        return RecordedRequest(entries[-1])

    # --- gateway logs (the management API, also on the real Cloudflare API) -----------------
    def logs(self, gateway_id: str | None = None, **params: Any) -> list[dict[str, Any]]:
        """The gateway's logs, newest first, from `.../ai-gateway/gateways/{id}/logs`."""
        path = f"/client/v4/accounts/{self.account_id}/ai-gateway/gateways/{gateway_id or self.gateway_id}/logs"
        if params:
            path += "?" + urlencode(params)
        status, body = self._call("GET", path, headers=self.auth_headers())
        if status == 404 and _is_no_route(body):
            pytest.skip(f"{self.base_url} has no gateway logs API")
        if status != 200:
            raise AssertionError(f"GET {path} answered {status}: {body}")
        return body.get("result") or []

    # --- costs, spend limits and credits ----------------------------------------------------
    def set_credits(self, balance: float, account_id: str | None = None) -> None:
        """Set the Unified Billing balance (USD) of the account, which meters credits until reset."""
        self.require_control("set_credits()")
        self._control("PUT", "/credits", {"balance": balance, "account_id": account_id or self.account_id})

    @property
    def credits(self) -> float | None:
        """What is left of the account's Unified Billing credits (None: not metered)."""
        self.require_control("credits")
        return self._control("GET", "/credits?" + urlencode({"account_id": self.account_id}))["balance"]

    def total_cost(self, gateway_id: str | None = None) -> float:
        """The summed `cost` of the gateway's logs (every gateway of the account when None): since
        the emulator is reset before each test, what this test has spent so far."""
        if gateway_id is None:
            gateways = self._management("GET", "/ai-gateway/gateways?per_page=100") or []
            ids = [g["id"] for g in gateways]
        else:
            ids = [gateway_id]
        total = 0.0
        for gid in ids:
            page = 1
            while True:
                entries = self.logs(gid, per_page=50, page=page)
                total += sum(entry.get("cost") or 0 for entry in entries)
                if len(entries) < 50:
                    break
                page += 1
        return round(total, 12)

    def add_spend_limit(self, rule: dict[str, Any], gateway_id: str | None = None) -> SpendLimit:
        """Add one spend-limit rule (`{"limit": USD, "window": seconds, ...}`, as the management
        API takes it; `id` and `limitType: "cost"` filled in) to the gateway, made if need be; a
        context manager that takes it off again (the next test's reset forgets it anyway)."""
        gid = gateway_id or self.gateway_id
        status, body = self._call("GET", self._account_path(f"/ai-gateway/gateways/{gid}"), headers=self.auth_headers())
        settings = _settings_of(body["result"]) if status == 200 else {
            "cache_invalidate_on_update": False, "cache_ttl": 0, "collect_logs": True, "rate_limiting_interval": 0, "rate_limiting_limit": 0,
        }
        limits = settings.get("spend_limits") or {"enabled": True, "rules": []}
        rule = {"id": f"pytest-{len(limits.get('rules', [])) + 1}", "limitType": "cost", **rule}
        settings["spend_limits"] = {**limits, "rules": [*limits.get("rules", []), rule]}
        if status == 200:
            self._management("PUT", f"/ai-gateway/gateways/{gid}", settings)
        else:
            self._management("POST", "/ai-gateway/gateways", {"id": gid, **settings})
        return SpendLimit(self, gid, rule["id"])

    def _account_path(self, path: str) -> str:
        return f"/client/v4/accounts/{self.account_id}{path}"

    def _management(self, method: str, path: str, body: Any = None) -> Any:
        """A management API call (the real Cloudflare API has it too); its `result`."""
        status, answer = self._call(method, self._account_path(path), body, headers=self.auth_headers())
        if status >= 400:
            raise AssertionError(f"{method} {path} answered {status}: {answer}")
        return answer.get("result") if isinstance(answer, dict) else answer

    # --- plumbing ---------------------------------------------------------------------------
    def close(self) -> None:
        if self._process is not None:
            self._process.stop()

    def _control(self, method: str, path: str, body: Any = None) -> Any:
        status, answer = self._call(method, CONTROL + path, body)
        if status >= 400:
            raise AssertionError(f"{method} {CONTROL}{path} answered {status}: {answer}")
        return answer

    def _call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        import urllib.error
        import urllib.request

        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=dict(headers or {}))
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with _opener(self.base_url).open(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def __repr__(self) -> str:
        return f"<AiGateway {self.base_url} account {self.account_id}{' (contract mode)' if self.contract_mode else ''}>"


class AddedFixture:
    """A fixture added for one test: `remove()` it, or use it as a context manager."""

    def __init__(self, gateway: AiGateway, fixture_id: str, name: str | None) -> None:
        self.gateway = gateway
        self.id = fixture_id
        self.name = name

    def remove(self) -> None:
        self.gateway.remove_fixture(self.id)

    def __enter__(self) -> AddedFixture:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<AddedFixture {self.id} {self.name!r}>"


class AddedClassification:
    """A guardrail classification added for one test: `remove()` it, or use it as a context manager."""

    def __init__(self, gateway: AiGateway, rule_id: str, name: str | None) -> None:
        self.gateway = gateway
        self.id = rule_id
        self.name = name

    def remove(self) -> None:
        self.gateway.require_control("removing a classification")
        self.gateway._control("DELETE", "/classifications/" + quote(self.id, safe=""))

    def __enter__(self) -> AddedClassification:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<AddedClassification {self.id} {self.name!r}>"


class SpendLimit:
    """A spend-limit rule added by `AiGateway.add_spend_limit`; a context manager that removes it."""

    def __init__(self, gateway: AiGateway, gateway_id: str, rule_id: str) -> None:
        self._gateway, self.gateway_id, self.id = gateway, gateway_id, rule_id

    def remove(self) -> None:
        gateway = self._gateway
        settings = _settings_of(gateway._management("GET", f"/ai-gateway/gateways/{self.gateway_id}"))
        limits = settings.get("spend_limits") or {"rules": []}
        settings["spend_limits"] = {**limits, "rules": [r for r in limits.get("rules", []) if r.get("id") != self.id]}
        gateway._management("PUT", f"/ai-gateway/gateways/{self.gateway_id}", settings)

    def __enter__(self) -> "SpendLimit":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<SpendLimit {self.id} on {self.gateway_id}>"


def _settings_of(gateway: dict[str, Any]) -> dict[str, Any]:
    """A gateway as the management API shows it, as its PUT takes it back."""
    return {k: v for k, v in gateway.items() if k not in ("id", "created_at", "modified_at", "is_default")}


def _opener(base_url: str):
    import urllib.request

    # Never send loopback traffic through an HTTP proxy from the environment.
    if urlsplit(base_url).hostname in ("127.0.0.1", "localhost", "::1"):
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener()


def _is_no_route(body: Any) -> bool:
    errors = body.get("errors") if isinstance(body, dict) else None
    return any(isinstance(e, dict) and e.get("code") in (7000, 7003) for e in errors or [])


def _fixture_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in FIXTURE_SUFFIXES and p.is_file())
    if not path.is_file():
        raise FileNotFoundError(f"fixture file not found: {path}")
    return [path]


def _read_fixture_file(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        data = json.loads(text)
    else:
        import yaml

        data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a fixture file is a mapping with a `fixtures` list")
    if data.get("models"):
        raise ValueError(f"{path}: defines models, which only load at start-up: pass its directory with --ai-gateway-fixtures")
    return list(data.get("fixtures") or [])


def open_gateway(config: pytest.Config) -> AiGateway:
    """Start an emulator for this session, or connect to --ai-gateway-url (contract mode)."""
    from pytest_plugin.server import start_emulator

    url = _option(config, "ai_gateway_url")
    account_id = _option(config, "ai_gateway_account_id")
    token = _option(config, "ai_gateway_token")
    gateway_id = _option(config, "ai_gateway_gateway_id") or "default"
    if url:
        account_id = account_id or os.environ.get("CLOUDFLARE_ACCOUNT_ID") or DEFAULT_ACCOUNT_ID
        token = token or os.environ.get("CLOUDFLARE_API_TOKEN") or DEFAULT_API_TOKEN
        return AiGateway(url, account_id, token, gateway_id)
    args: list[str] = []
    for directory in fixture_dirs(config):
        args += ["--fixtures", str(directory)]
    seed, clock = _option(config, "ai_gateway_seed"), _option(config, "ai_gateway_clock")
    if seed not in (None, ""):
        args += ["--seed", str(seed)]
    if clock:
        args += ["--clock", clock]
    command = "serve"
    upstream = _option(config, "ai_gateway_record")
    if upstream:
        command = "record"
        out = config.invocation_params.dir / (_option(config, "ai_gateway_record_dir") or "recorded")
        args += ["--upstream", upstream, "--out", str(out)]
        if _option(config, "ai_gateway_record_missing"):
            args.append("--record-missing")
    try:
        process = start_emulator(args, command)
    except RuntimeError as exc:
        raise pytest.UsageError(f"ai_gateway: could not start the emulator: {exc}") from None
    return AiGateway(process.base_url, account_id or process.account_id, token or process.api_token, gateway_id, process)


def drift_report(config: pytest.Config) -> list[str] | None:
    """--ai-gateway-drift in contract mode: one line per recorded fixture, and its differences."""
    directory, url = _option(config, "ai_gateway_drift"), _option(config, "ai_gateway_url")
    if not directory or not url:
        return None
    from emulator.drift import check

    account_id = _option(config, "ai_gateway_account_id") or os.environ.get("CLOUDFLARE_ACCOUNT_ID")
    token = _option(config, "ai_gateway_token") or os.environ.get("CLOUDFLARE_API_TOKEN") or DEFAULT_API_TOKEN
    lines = []
    results = check(url, token, [config.invocation_params.dir / directory], account_id=account_id)
    for result in results:
        lines.append(f"{'DRIFT' if result.differences else 'ok'} {result.fixture}")
        lines += [f"    {difference}" for difference in result.differences]
    lines.append(f"{len(results)} recorded fixtures, {sum(1 for r in results if r.differences)} drifted")
    return lines


def fixture_dirs(config: pytest.Config) -> list[Path]:
    """--ai-gateway-fixtures (relative to where pytest was invoked) then ini `ai_gateway_fixtures`."""
    from_cli = [config.invocation_params.dir / d for d in config.getoption("ai_gateway_fixtures") or []]
    return [Path(d).resolve() for d in from_cli + list(config.getini("ai_gateway_fixtures"))]


def _option(config: pytest.Config, name: str) -> Any:
    value = config.getoption(name)
    return value if value not in (None, "") else (config.getini(name) or None)
