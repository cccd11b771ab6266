"""The account's gateways: `default` is made on first use, any other must be configured."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from emulator.clock import Clock
from emulator.errors import GatewayError
from emulator.gateway.policies import GatewayPolicies
from emulator.gateway.provider_keys import ProviderKey
from emulator.gateway.spend_limits import SpendRule, parse_spend_limits

GATEWAY_HEADER = "cf-aig-gateway-id"
MAX_GATEWAY_ID = 64

# What the auto-created `default` gateway starts with (Cloudflare's manage-gateway docs).
DEFAULT_GATEWAY_SETTINGS: dict[str, Any] = {
    "cache_invalidate_on_update": False,
    "cache_ttl": 0,
    "collect_logs": True,
    "rate_limiting_interval": 0,
    "rate_limiting_limit": 0,
    "rate_limiting_technique": "fixed",
    "authentication": True,
    "workers_ai_billing_mode": "postpaid",
}

# A configured gateway without these fields gets the dashboard's defaults.
CONFIGURED_GATEWAY_DEFAULTS: dict[str, Any] = {**DEFAULT_GATEWAY_SETTINGS, "authentication": False}


def not_configured() -> GatewayError:
    return GatewayError(400, 2001, "Please configure AI Gateway in the Cloudflare dashboard")


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Gateway:
    id: str
    settings: dict[str, Any]
    created_at: str
    modified_at: str
    is_default: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    spend_rules: tuple[SpendRule, ...] = ()  # `spend_limits`' enabled rules, parsed when set
    byok_only: bool = False
    accounted: bool = False  # spend limits, byok_only or stored keys: each request needs its Accounting
    provider_keys: list[ProviderKey] = field(default_factory=list)  # BYOK, through the provider_configs API
    policies: GatewayPolicies = field(default_factory=GatewayPolicies)  # through the policies API

    def __post_init__(self) -> None:
        self.settings_changed()

    def record(self) -> dict[str, Any]:
        """What a restart keeps of the gateway (--state-dir): its settings, not what is parsed
        from them, nor its stored keys and policies (kept in memory only: no secret on disk)."""
        return {"id": self.id, "settings": self.settings, "created_at": self.created_at, "modified_at": self.modified_at,
                "is_default": self.is_default, "extra": self.extra}

    def settings_changed(self) -> None:
        """`settings` were set or updated (already checked): the parsed rules follow them."""
        self.spend_rules = parse_spend_limits(self.settings.get("spend_limits"))
        self.byok_only = bool(self.settings.get("byok_only"))
        self.accounted = bool(self.spend_rules) or self.byok_only or bool(self.provider_keys) or bool(self.policies.live)

    def get(self, key: str, default: Any = None) -> Any:
        value = self.settings.get(key)
        return default if value is None else value


class GatewayRegistry:
    """Gateways per account. Configured gateways exist in every account from the start."""

    def __init__(self, configured: dict[str, dict[str, Any]], clock: Clock) -> None:
        self._configured = configured
        self._clock = clock
        self._accounts: dict[str, dict[str, Gateway]] = {}

    def reset(self) -> None:
        self._accounts = {}

    def account(self, account_id: str) -> dict[str, Gateway]:
        gateways = self._accounts.get(account_id)
        if gateways is None:
            now = iso(self._clock.now())
            gateways = {
                gid: Gateway(gid, {**CONFIGURED_GATEWAY_DEFAULTS, **{k: v for k, v in cfg.items() if k != "id"}}, now, now)
                for gid, cfg in self._configured.items()
            }
            self._accounts[account_id] = gateways
        return gateways

    # --- the management API's operations -------------------------------------------------
    def create(self, account_id: str, gateway_id: str, fields: dict[str, Any]) -> Gateway:
        gateways = self.account(account_id)
        now = iso(self._clock.now())
        gateway = Gateway(gateway_id, {**CONFIGURED_GATEWAY_DEFAULTS, **fields}, now, now, is_default=gateway_id == "default")
        gateways[gateway_id] = gateway
        return gateway

    def update(self, gateway: Gateway, fields: dict[str, Any]) -> Gateway:
        gateway.settings.update(fields)
        gateway.settings_changed()
        gateway.modified_at = iso(self._clock.now())
        return gateway

    def ids(self) -> dict[str, list[str]]:
        """Every account's gateway ids, as far as requests and the API have made them."""
        return {account_id: sorted(gateways) for account_id, gateways in self._accounts.items()}

    def store_key(self, gateway: Gateway, key: ProviderKey) -> None:
        gateway.provider_keys.append(key)
        gateway.settings_changed()

    def forget_key(self, gateway: Gateway, key: ProviderKey) -> None:
        gateway.provider_keys.remove(key)
        gateway.settings_changed()

    def find_or_default(self, account_id: str, gateway_id: str) -> Gateway | None:
        """The gateway, `default` made on its first use (storing a key or a policy on it is one)."""
        gateway = self.find(account_id, gateway_id)
        return self.resolve(account_id, gateway_id) if gateway is None and gateway_id == "default" else gateway

    def find(self, account_id: str, gateway_id: str) -> Gateway | None:
        return self.account(account_id).get(gateway_id)

    def delete(self, account_id: str, gateway_id: str) -> Gateway | None:
        return self.account(account_id).pop(gateway_id, None)

    def resolve(self, account_id: str, gateway_id: str | None) -> Gateway:
        """The gateway a request runs through; `default` when no id is given."""
        gateway_id = "default" if gateway_id is None else gateway_id
        if not gateway_id or len(gateway_id) > MAX_GATEWAY_ID:
            raise GatewayError(400, 2001, f"Invalid gateway id: {GATEWAY_HEADER} must be 1 to {MAX_GATEWAY_ID} characters")
        gateways = self.account(account_id)
        gateway = gateways.get(gateway_id)
        if gateway is None:
            if gateway_id != "default":
                raise not_configured()
            now = iso(self._clock.now())
            gateway = Gateway("default", dict(DEFAULT_GATEWAY_SETTINGS), now, now, is_default=True)
            gateways["default"] = gateway
        return gateway
