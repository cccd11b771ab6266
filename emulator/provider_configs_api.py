"""Cloudflare's BYOK management API, v4-enveloped: the provider keys stored on a gateway.

    /client/v4/accounts/{account_id}/ai-gateway/gateways/{gateway_id}/provider_configs        GET (paged), POST
    .../provider_configs/{config_id}                                                          DELETE

Answers show `secret_preview`, a masked preview, never the secret (the cloudflare SDK's
ProviderConfigCreateResponse / ListResponse).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulator.dialects import cloudflare_v4
from emulator.errors import GatewayError
from emulator.gateway.gateways import Gateway, iso
from emulator.gateway.provider_keys import ProviderKey
from emulator.gateways_api import GATEWAY_EXISTS, GATEWAY_NOT_FOUND, error_response, invalid, management_body, managed_gateway, paging
from emulator.json_codec import JSONResponse
from emulator.state import EmulatorState


def check_provider_config(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("Request body must be a JSON object")
    for key in ("alias", "provider_slug"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise invalid(f"{key}: must be a non-empty string")
    if not isinstance(body.get("default_config"), bool):
        raise invalid("default_config: must be a boolean")
    secret, secret_id = body.get("secret"), body.get("secret_id")
    if secret is None and secret_id is None:
        raise invalid("secret: give the provider's key (or secret_id, a Secrets Store secret)")
    for key in ("secret", "secret_id"):
        if body.get(key) is not None and (not isinstance(body[key], str) or not body[key]):
            raise invalid(f"{key}: must be a non-empty string")
    for key in ("rate_limit", "rate_limit_period"):
        value = body.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
            raise invalid(f"{key}: must be a non-negative number")
    return body


class ProviderConfigsApi:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def routes(self, account: str) -> list[Route]:
        base = f"{account}/ai-gateway/gateways/{{gateway_id}}/provider_configs"
        return [
            Route(base, self.collection, methods=["GET", "POST"]),
            Route(base + "/{config_id}", self.item, methods=["DELETE"]),
        ]

    def _gateway(self, request: Request) -> Gateway:
        return managed_gateway(self.state, request)

    async def collection(self, request: Request) -> JSONResponse:
        try:
            gateway = self._gateway(request)
            if request.method == "GET":
                page, per_page = paging(request, default_per_page=20, max_per_page=100)
                keys = gateway.provider_keys
                chunk = keys[(page - 1) * per_page: page * per_page]
                info = cloudflare_v4.page_info(len(chunk), page, per_page, len(keys))
                return JSONResponse(cloudflare_v4.success([k.view() for k in chunk], info))
            body = check_provider_config(await management_body(self.state, request))
            if any(k.provider_slug == body["provider_slug"] and k.alias == body["alias"] for k in gateway.provider_keys):
                raise GatewayError(400, GATEWAY_EXISTS, f"A key with alias {body['alias']} already exists for {body['provider_slug']}")
            config_id = self.state.ids.uuid()
            key = ProviderKey(
                id=config_id, alias=body["alias"], provider_slug=body["provider_slug"], default_config=body["default_config"],
                secret=body.get("secret") or "", secret_id=body.get("secret_id") or config_id.replace("-", ""),
                gateway_id=gateway.id, modified_at=iso(self.state.clock.now()),
                rate_limit=body.get("rate_limit"), rate_limit_period=body.get("rate_limit_period"),
            )
            if key.default_config:  # one default key per provider
                for other in gateway.provider_keys:
                    if other.provider_slug == key.provider_slug:
                        other.default_config = False
            self.state.gateways.store_key(gateway, key)
            return JSONResponse(cloudflare_v4.success(key.view()))
        except GatewayError as err:
            return error_response(err)

    async def item(self, request: Request) -> JSONResponse:
        try:
            gateway = self._gateway(request)
            key = next((k for k in gateway.provider_keys if k.id == request.path_params["config_id"]), None)
            if key is None:
                raise GatewayError(404, GATEWAY_NOT_FOUND, "Not Found")
            self.state.gateways.forget_key(gateway, key)
            return JSONResponse(cloudflare_v4.success(key.view()))
        except GatewayError as err:
            return error_response(err)
