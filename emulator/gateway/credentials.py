"""Which provider credentials a third-party request runs on, and what the REST API answers when
the provider rejects them.

The precedence (cloudflare-gateway.md 2.6): a key stored on the gateway (BYOK), else Cloudflare's
own (Unified Billing, the REST API's default: "no provider API keys are needed"). The emulator
keeps no stored keys, so a request runs on BYOK when it says it wants one: the gateway's
`byok_only: true` ("Require provider credentials"), or the request's `cf-aig-no-wholesale: true`
or `cf-aig-byok-alias`.
"""

from __future__ import annotations

from typing import Any, Mapping

from emulator.errors import GatewayError

# What a provider answers when it rejects the credentials it was given (a fixture's `error.status: 401`).
PROVIDER_REJECTED_CREDENTIALS = 401


def uses_stored_keys(headers: Mapping[str, str], gateway_settings: Mapping[str, Any]) -> bool:
    """BYOK rather than Unified Billing (`headers` with lower-case names)."""
    return (
        gateway_settings.get("byok_only") is True
        or headers.get("cf-aig-no-wholesale", "").strip().lower() == "true"
        or "cf-aig-byok-alias" in headers
    )


def credentials_rejected(stored_keys: bool) -> GatewayError:
    """`POST /ai/run` since 2026-10-06 (changelog provider-credential-errors): 401 2009 for any
    provider, 503 with Unified Billing. The messages and the 503's code are undocumented:
    emulator choices (the gateway's own 2009 "Unauthorized"; 2005, its provider-failure code)."""
    if stored_keys:
        return GatewayError(401, 2009, "Unauthorized")
    return GatewayError(503, 2005, "Failed to get response from provider")
