"""One frozen settings object, from flags, environment variables and a config file.

Precedence: command-line flag > environment variable > config file > default.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from emulator.front_door import FrontDoorLimits
from emulator.gateway.dlp import ProfileCatalog
from emulator.gateway.spend_limits import SpendLimitsInvalid, parse_spend_limits
from emulator.journal import DEFAULT_JOURNAL_SIZE
from emulator.request_body import DEFAULT_MAX_BODY_BYTES
from emulator.schema_check import ConfigError, load_schema_validator, read_data_file

ENV_PREFIX = "AI_GATEWAY_EMULATOR_"
EXAMPLE_ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
EXAMPLE_API_TOKEN = "emulator-token"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8787
    fixture_dirs: tuple[Path, ...] = ()
    builtin_fixtures: bool = True
    seed: int = 0
    config_file: Path | None = None
    # None accepts any non-empty token / any account id (local development needs no credentials).
    api_tokens: frozenset[str] | None = None
    account_ids: frozenset[str] | None = None
    # Gateways that exist besides `default` (which is made on first use): id -> settings.
    gateways: dict[str, dict[str, Any]] = field(default_factory=dict)
    # `strict`: a @cf/ model on ai/run (envelope) or ai/v1/* needs cf-aig-gateway-id.
    # `lenient`: without the header it runs as plain Workers AI, outside any gateway.
    workers_ai_gateway: str = "strict"
    clock: str = "virtual"
    strict_headers: bool = False
    # The gateway host's provider paths serve any model id, even one its provider does not have.
    accept_any_model: bool = False
    # HTTP status of a gateway timeout (code 3007 "Request timeout"); the real one is undocumented.
    timeout_status: int = 504
    # Bounds of the in-memory stores: least recently used cache entries and oldest logs go first.
    cache_max_entries: int = 10_000
    log_max_entries: int = 10_000
    log_level: str = "warning"
    # Most requests /__emulator__/journal keeps; the oldest are dropped first.
    journal_max_entries: int = DEFAULT_JOURNAL_SIZE
    # Where gateways, logs and the clock are kept across restarts (SQLite); None: in memory only.
    state_dir: Path | None = None
    # The account's Custom DLP profiles (config `dlp_profiles`), besides the shipped ones.
    dlp_profiles: tuple[dict[str, Any], ...] = ()
    # The guardrail scanner's state at start and after each reset: available | unavailable | credits_exhausted.
    guardrails_scanner: str = "available"
    # Largest request body accepted; a larger one is answered 413 in the route's dialect.
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # The front door (emulator/front_door.py): head and body read timeouts, head size and fields.
    header_timeout_s: float = FrontDoorLimits.header_timeout_s
    body_timeout_s: float = FrontDoorLimits.body_timeout_s
    max_header_bytes: int = FrontDoorLimits.max_header_bytes
    max_header_count: int = FrontDoorLimits.max_header_count

    @property
    def front_door(self) -> FrontDoorLimits:
        return FrontDoorLimits(self.header_timeout_s, self.body_timeout_s, self.max_header_bytes, self.max_header_count)
    # Model prices (USD per million tokens) replacing the built-in table's: name -> {input, output, ...}.
    prices: dict[str, dict[str, float]] = field(default_factory=dict)
    # Every account's Unified Billing credits (USD) at start and reset; None: not metered (free).
    unified_billing_balance: float | None = None

    @property
    def example_account_id(self) -> str:
        if self.account_ids:
            return sorted(self.account_ids)[0]
        return EXAMPLE_ACCOUNT_ID

    @property
    def example_api_token(self) -> str:
        if self.api_tokens:
            return sorted(self.api_tokens)[0]
        return EXAMPLE_API_TOKEN


# name -> (environment variable, parser)
def _bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def _paths(value: str) -> tuple[Path, ...]:
    return tuple(Path(p) for p in value.split(os.pathsep) if p)


ENV_VARS: dict[str, Any] = {
    "host": str,
    "port": int,
    "fixture_dirs": _paths,
    "builtin_fixtures": _bool,
    "seed": int,
    "config_file": Path,
    "workers_ai_gateway": str,
    "clock": str,
    "strict_headers": _bool,
    "accept_any_model": _bool,
    "timeout_status": int,
    "cache_max_entries": int,
    "log_max_entries": int,
    "log_level": str,
    "journal_max_entries": int,
    "state_dir": Path,
    "max_body_bytes": int,
    "header_timeout_s": float,
    "body_timeout_s": float,
    "max_header_bytes": int,
    "max_header_count": int,
}


def env_name(setting: str) -> str:
    if setting == "fixture_dirs":
        return ENV_PREFIX + "FIXTURES"
    if setting == "config_file":
        return ENV_PREFIX + "CONFIG"
    return ENV_PREFIX + setting.upper()


def read_config_file(path: Path) -> dict[str, Any]:
    """Load and validate a config file (JSON or YAML) against schemas/config.schema.json."""
    data = read_data_file(path, "config file")
    load_schema_validator("config.schema.json").check(data, source=str(path))
    return data or {}


def _from_config(data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "api_tokens" in data:
        values["api_tokens"] = frozenset(data["api_tokens"])
    if "account_ids" in data:
        values["account_ids"] = frozenset(data["account_ids"])
    if "gateways" in data:
        values["gateways"] = {g["id"]: dict(g) for g in data["gateways"]}
    for key in ("seed", "workers_ai_gateway", "clock", "strict_headers", "accept_any_model", "timeout_status", "cache_max_entries", "log_max_entries",
                "journal_max_entries", "max_body_bytes", "header_timeout_s", "body_timeout_s", "max_header_bytes", "max_header_count"):
        if key in data:
            values[key] = data[key]
    if "unified_billing" in data:
        values["unified_billing_balance"] = float(data["unified_billing"]["balance"])
    if "prices" in data:
        values["prices"] = {name: dict(entry) for name, entry in data["prices"].items()}
    if "fixtures" in data:
        values["fixture_dirs"] = tuple(Path(p) for p in data["fixtures"])
    if "state_dir" in data:
        values["state_dir"] = Path(data["state_dir"])
    if "dlp_profiles" in data:
        values["dlp_profiles"] = tuple(data["dlp_profiles"])
    if "guardrails_scanner" in data:
        values["guardrails_scanner"] = data["guardrails_scanner"]
    return values


def build_settings(flags: dict[str, Any], environ: dict[str, str] | None = None) -> Settings:
    """Merge flags (only those the user gave), environment and config file."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    from_env = {}
    for name, parse in ENV_VARS.items():
        raw = environ.get(env_name(name))
        if raw not in (None, ""):
            try:
                from_env[name] = parse(raw)
            except ValueError as exc:
                raise ConfigError(f"{env_name(name)}={raw!r}: {exc}") from exc
    given = {k: v for k, v in flags.items() if v is not None}
    config_path = given.get("config_file", from_env.get("config_file"))
    if config_path is not None:
        values.update(_from_config(read_config_file(Path(config_path))))
        values["config_file"] = Path(config_path)
    values.update(from_env)
    values.update(given)
    if "fixture_dirs" in values:
        values["fixture_dirs"] = tuple(Path(p) for p in values["fixture_dirs"])
    if values.get("state_dir") is not None:
        values["state_dir"] = Path(values["state_dir"])
    settings = Settings(**values)
    if settings.workers_ai_gateway not in ("strict", "lenient"):
        raise ConfigError(f"workers_ai_gateway must be 'strict' or 'lenient', not {settings.workers_ai_gateway!r}")
    if settings.clock not in ("virtual", "real"):
        raise ConfigError(f"clock must be 'virtual' or 'real', not {settings.clock!r}")
    if settings.timeout_status not in (408, 504):
        raise ConfigError(f"timeout_status must be 504 or 408, not {settings.timeout_status!r}")
    if settings.cache_max_entries < 1 or settings.log_max_entries < 1 or settings.journal_max_entries < 1:
        raise ConfigError("cache_max_entries, log_max_entries and journal_max_entries must be at least 1")
    if settings.max_body_bytes < 1 or settings.max_header_bytes < 1 or settings.max_header_count < 1:
        raise ConfigError("max_body_bytes, max_header_bytes and max_header_count must be at least 1")
    if not settings.header_timeout_s > 0 or not settings.body_timeout_s > 0:
        raise ConfigError("header_timeout_s and body_timeout_s must be more than 0")
    for gateway_id, gateway in settings.gateways.items():
        if len(gateway_id) > 64:
            raise ConfigError(f"gateway id {gateway_id[:20]}...: at most 64 characters")
        try:
            parse_spend_limits(gateway.get("spend_limits"))
        except SpendLimitsInvalid as err:
            raise ConfigError(f"gateways[{gateway_id}].{err}") from None
    check_content_settings(settings)
    return settings


def check_content_settings(settings: Settings) -> None:
    """What the config schema cannot say: regexes that compile, policies naming known DLP profiles."""
    where = str(settings.config_file or "config")
    for index, profile in enumerate(settings.dlp_profiles):
        for e_index, entry in enumerate(profile["entries"]):
            try:
                re.compile(entry["regex"])
            except re.error as exc:
                raise ConfigError(f"{where}: $.dlp_profiles[{index}].entries[{e_index}].regex: invalid regular expression: {exc}") from exc
    catalog = ProfileCatalog(settings.dlp_profiles)
    for gateway_id, gateway in settings.gateways.items():
        for category, regexes in (gateway.get("guardrail_patterns") or {}).items():
            for regex in regexes:
                try:
                    re.compile(regex)
                except re.error as exc:
                    raise ConfigError(f"{where}: gateway {gateway_id}: guardrail_patterns.{category}: invalid regular expression: {exc}") from exc
        dlp = gateway.get("dlp") or {}
        policies = dlp.get("policies", [dlp] if "profiles" in dlp else [])
        for policy in policies:
            for profile_id in policy.get("profiles", []):
                if profile_id not in catalog:
                    raise ConfigError(f"{where}: gateway {gateway_id}: dlp: unknown DLP profile {profile_id!r} (shipped ones are listed in the README; custom ones go in dlp_profiles)")
