"""Cloudflare's AI Gateway billing API, v4-enveloped, over the emulator's Unified Billing credits:

    /client/v4/accounts/{account_id}/ai-gateway/billing/credit-balance    GET: the balance
    .../billing/topup                                                     POST {amount (cents)}: adds it at once
    .../billing/spending-limit                                            POST: 403 (deprecated); GET, DELETE
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulator.dialects import cloudflare_v4
from emulator.errors import GatewayError
from emulator.gateway.auth import management_account
from emulator.gateways_api import error_response, invalid, management_body
from emulator.json_codec import JSONResponse
from emulator.state import EmulatorState

MIN_TOPUP_CENTS = 1000  # the SDK's documented minimum


def credit_balance_view(balance: float) -> dict[str, Any]:
    """The cloudflare SDK's BillingCreditBalanceResponse; no card is on file in the emulator."""
    return {
        "balance": balance,
        "has_default_payment_method": False,
        "payment_method": None,
        "topup_config": {"amount": None, "threshold": None},
        "first_topup_success": balance > 0,
    }


class BillingApi:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def routes(self, account: str) -> list[Route]:
        base = f"{account}/ai-gateway/billing"
        return [
            Route(base + "/credit-balance", self.credit_balance, methods=["GET"]),
            Route(base + "/topup", self.topup, methods=["POST"]),
            Route(base + "/spending-limit", self.spending_limit, methods=["GET", "POST", "DELETE"]),
        ]

    def _account(self, request: Request) -> str:
        return management_account(request, self.state.settings)

    async def credit_balance(self, request: Request) -> JSONResponse:
        try:
            account_id = self._account(request)
            return JSONResponse(cloudflare_v4.success(credit_balance_view(self.state.credits.balance(account_id) or 0.0)))
        except GatewayError as err:
            return error_response(err)

    async def topup(self, request: Request) -> JSONResponse:
        try:
            account_id = self._account(request)
            body = await management_body(self.state, request)
            amount = body.get("amount") if isinstance(body, dict) else None
            if isinstance(amount, bool) or not isinstance(amount, int) or amount < MIN_TOPUP_CENTS:
                raise invalid(f"amount: must be a whole number of cents, at least {MIN_TOPUP_CENTS}")
            self.state.credits.add(account_id, amount / 100)
            intent = f"pi_{self.state.ids.uuid().replace('-', '')[:24]}"
            return JSONResponse(cloudflare_v4.success({"client_secret": None, "onboarding": True, "payment_intent_id": intent}))
        except GatewayError as err:
            return error_response(err)

    async def spending_limit(self, request: Request) -> JSONResponse:
        """The account-level spending limit is deprecated: setting one is refused; use a gateway's spend limits."""
        try:
            self._account(request)
            if request.method == "POST":
                raise GatewayError(403, 7003, "The account spending limit is deprecated: use a gateway's spend limits")
            return JSONResponse(cloudflare_v4.success(None))
        except GatewayError as err:
            return error_response(err)
