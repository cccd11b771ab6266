"""What the REST API answers when the provider rejects the credentials a third-party request ran
on (which credentials: the pipeline's Accounting, emulator.gateway.billing)."""

from __future__ import annotations

from emulator.errors import GatewayError

# What a provider answers when it rejects the credentials it was given (a fixture's `error.status: 401`).
PROVIDER_REJECTED_CREDENTIALS = 401


def credentials_rejected(stored_keys: bool) -> GatewayError:
    """`POST /ai/run` since 2026-10-06 (changelog provider-credential-errors): 401 2009 for any
    provider, 503 with Unified Billing. The messages and the 503's code are undocumented:
    emulator choices (the gateway's own 2009 "Unauthorized"; 2005, its provider-failure code)."""
    if stored_keys:
        return GatewayError(401, 2009, "Unauthorized")
    return GatewayError(503, 2005, "Failed to get response from provider")
