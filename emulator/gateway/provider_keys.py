"""Provider keys stored on a gateway (BYOK, Cloudflare's bring-your-own-keys page).

Each is `{alias, provider_slug, default_config, secret}`; the management API shows a masked
preview of the secret, never the secret. A provider-native request without a provider key of
its own uses the key `cf-aig-byok-alias` names, else the provider's default key (the one with
`default_config`, else the one aliased `default`).
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.errors import GatewayError

UNKNOWN_ALIAS_CODE = 2040
DEFAULT_ALIAS = "default"
# A stored key names the gateway's provider slug; the catalog names some providers otherwise.
SLUG_OF_AUTHOR = {"google": "google-ai-studio", "xai": "grok"}


def masked(secret: str) -> str:
    """What the API shows of a secret: its first and last few characters at most."""
    if len(secret) < 12:
        return "*" * len(secret)
    return f"{secret[:3]}...{secret[-4:]}"


@dataclass
class ProviderKey:
    id: str
    alias: str
    provider_slug: str
    default_config: bool
    secret: str  # never shown: see view()
    secret_id: str
    gateway_id: str
    modified_at: str
    rate_limit: float | None = None
    rate_limit_period: float | None = None

    def view(self) -> dict:
        return {
            "id": self.id, "alias": self.alias, "default_config": self.default_config, "gateway_id": self.gateway_id,
            "modified_at": self.modified_at, "provider_slug": self.provider_slug, "secret_id": self.secret_id,
            "secret_preview": masked(self.secret), "rate_limit": self.rate_limit, "rate_limit_period": self.rate_limit_period,
        }

    def __repr__(self) -> str:  # a stored secret never reaches a log line or a traceback
        return f"ProviderKey(id={self.id!r}, alias={self.alias!r}, provider_slug={self.provider_slug!r})"


def unknown_alias(provider: str, alias: str, keys: list[ProviderKey]) -> GatewayError:
    configured = ", ".join(f"'{k.alias}'" for k in keys if k.provider_slug == provider) or "none"
    return GatewayError(400, UNKNOWN_ALIAS_CODE, f"Provider '{provider}' has no BYOK credential named '{alias}'. Configured aliases: {configured}")


def find_key(keys: list[ProviderKey], provider: str, alias: str | None) -> ProviderKey | None:
    """The stored key a request uses: the alias asked for (unknown: 400 2040), else the default."""
    provider = SLUG_OF_AUTHOR.get(provider, provider)
    mine = [k for k in keys if k.provider_slug == provider]
    if alias is not None:
        for key in mine:
            if key.alias == alias:
                return key
        raise unknown_alias(provider, alias, keys)
    return next((k for k in mine if k.default_config), None) or next((k for k in mine if k.alias == DEFAULT_ALIAS), None)
