"""Unified Billing: Cloudflare pays the provider and takes the cost from the account's credits.

Which credential a third-party request uses (Cloudflare's unified-billing and BYOK pages): a
provider key on the request, else a key stored on the gateway (BYOK), else Unified Billing.
Workers AI models are never billed here (Workers AI has its own billing).

Credits are metered only once a balance is set (config `unified_billing.balance`, the control
API, or a top-up through the billing API): until then Unified Billing is free and unlimited, as
the emulator always was. Metered, a Unified Billing request needs credits left (402, code 2021),
and a gateway's Unified Billing requests are rate limited (200 per 60 s; 429 code 2003); each
answered request's cost is taken from the balance, which stops at 0.
"""

from __future__ import annotations

from collections import deque

from emulator.clock import Clock
from emulator.errors import GatewayError

UNIFIED_RATE_LIMIT = 200
UNIFIED_RATE_WINDOW_S = 60
INSUFFICIENT_CREDITS_CODE = 2021
# No documented code for "provider credentials required" (byok_only / cf-aig-no-wholesale, a 400):
# the code of the other missing-BYOK-credential error, an emulator choice.
CREDENTIALS_REQUIRED_CODE = 2040

# The two wordings observed: the REST API's, and a provider-native gateway path's.
REST_NO_CREDITS = "Insufficient balance; add money to your gateway or use BYOK"
GATEWAY_NO_CREDITS = (
    "Insufficient wholesale credits. Please add additional credits on the AI Gateway Cloudflare dashboard "
    "to continue using provider models."
)

REQUEST_KEY = "request"  # the provider key came with the request
STORED_KEY = "byok"  # a key stored on the gateway
UNIFIED = "unified"  # Cloudflare-managed credentials, paid with credits


def no_credits(native_path: bool) -> GatewayError:
    return GatewayError(402, INSUFFICIENT_CREDITS_CODE, GATEWAY_NO_CREDITS if native_path else REST_NO_CREDITS)


def credentials_required(provider: str, why: str) -> GatewayError:
    return GatewayError(
        400, CREDENTIALS_REQUIRED_CODE,
        f"Provider '{provider}' needs provider credentials ({why}): send the provider's key or store one on the gateway",
    )


def unified_rate_limited() -> GatewayError:
    return GatewayError(429, 2003, "Rate limited")


class Credits:
    """Each account's Unified Billing balance (USD), and each gateway's Unified Billing request
    times (its rate limit). Reset to the configured balance with the rest of the state."""

    def __init__(self, clock: Clock, configured_balance: float | None) -> None:
        self._clock = clock
        self._configured = configured_balance
        self._default = configured_balance if configured_balance is not None else 0.0
        self._balances: dict[str, float] = {}
        self._requests: dict[str, deque[float]] = {}
        self.metered = configured_balance is not None

    def balance(self, account_id: str) -> float | None:
        """None: not metered (no balance set)."""
        if not self.metered:
            return None
        return self._balances.get(account_id, self._default)

    def set_every_account(self, balance: float) -> None:
        """Every account's balance (until the next reset, which goes back to the configured one)."""
        self.metered = True
        self._default = round(max(0.0, balance), 12)
        self._balances.clear()

    def set(self, account_id: str, balance: float) -> None:
        self.metered = True
        self._balances[account_id] = round(max(0.0, balance), 12)

    def add(self, account_id: str, amount: float) -> float:
        self.set(account_id, (self.balance(account_id) or 0.0) + amount)
        return self._balances[account_id]

    def charge(self, account_id: str, cost: float) -> None:
        balance = self.balance(account_id)
        if balance is not None and cost:
            self._balances[account_id] = round(max(0.0, balance - cost), 12)

    def admit(self, gateway_scope: str) -> bool:
        """One more Unified Billing request on this gateway, if under the rate limit (counted)."""
        now = self._clock.now()
        times = self._requests.setdefault(gateway_scope, deque())
        while times and times[0] <= now - UNIFIED_RATE_WINDOW_S:
            times.popleft()
        if len(times) >= UNIFIED_RATE_LIMIT:
            return False
        times.append(now)
        return True

    def reset(self) -> None:
        self._balances.clear()
        self._requests.clear()
        self.metered = self._configured is not None
        self._default = self._configured if self._configured is not None else 0.0
