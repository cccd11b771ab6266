"""The route table: every URL the emulator answers, in one screen. (The account's POST endpoints
are dispatched straight from this table by emulator.direct_routes, the rest by Starlette.)"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from emulator import json_codec
from emulator.control import ControlApi
from emulator.dashboard import Dashboard
from emulator.dialects import cloudflare_v4
from emulator.dialects.anthropic_messages import DIALECT as ANTHROPIC
from emulator.dialects.openai_chat import DIALECT as OPENAI_CHAT
from emulator.dialects.openai_responses import DIALECT as OPENAI_RESPONSES
from emulator.direct_routes import DirectRoutes, unanswered
from emulator.errors import CLIENT_CLOSED_REQUEST, NoFixture, method_not_allowed, no_route
from emulator.gateway_host import GatewayHost
from emulator.billing_api import BillingApi
from emulator.gateways_api import GatewaysApi
from emulator.policies_api import PoliciesApi
from emulator.provider_configs_api import ProviderConfigsApi
from emulator.json_codec import JSONResponse
from emulator.models_api import ModelsApi
from emulator.pipeline import Pipeline
from emulator.request_body import CLOSE_CONNECTION, BodyTooLarge
from emulator.routes_api import RoutesApi
from emulator.settings import Settings
from emulator.state import EmulatorState

ACCOUNTS = "/client/v4/accounts/"
ACCOUNT = ACCOUNTS + "{account_id}"

log = logging.getLogger("emulator")


def build_app(settings: Settings, state: EmulatorState | None = None) -> DirectRoutes:
    state = state or EmulatorState(settings)
    pipeline = Pipeline(state)
    models = ModelsApi(state)

    async def chat_completions(request: Request):
        return await pipeline.chat(request, OPENAI_CHAT)

    async def responses(request: Request):
        return await pipeline.chat(request, OPENAI_RESPONSES)

    async def messages(request: Request):
        return await pipeline.chat(request, ANTHROPIC)

    routes = [
        Route(f"{ACCOUNT}/ai/run", pipeline.run_envelope, methods=["POST"]),
        Route(f"{ACCOUNT}/ai/run/{{model:path}}", pipeline.run_legacy, methods=["POST"]),
        Route(f"{ACCOUNT}/ai/v1/chat/completions", chat_completions, methods=["POST"]),
        Route(f"{ACCOUNT}/ai/v1/responses", responses, methods=["POST"]),
        Route(f"{ACCOUNT}/ai/v1/messages", messages, methods=["POST"]),
        Route(f"{ACCOUNT}/ai/v1/embeddings", pipeline.embeddings, methods=["POST"]),
        # The Anthropic SDK with base_url ".../ai/v1", as Cloudflare's docs configure it, sends this.
        Route(f"{ACCOUNT}/ai/v1/v1/messages", messages, methods=["POST"]),
        Route(f"{ACCOUNT}/ai/models/search", models.search, methods=["GET"]),
        Route(f"{ACCOUNT}/ai/models/schema", models.schema, methods=["GET"]),
        Route(f"{ACCOUNT}/ai/tasks/search", models.tasks, methods=["GET"]),
        Route(f"{ACCOUNT}/ai/authors/search", models.authors, methods=["GET"]),
        *GatewaysApi(state).routes(ACCOUNT),
        *RoutesApi(state).routes(ACCOUNT),
        *BillingApi(state).routes(ACCOUNT),
        *ProviderConfigsApi(state).routes(ACCOUNT),
        *PoliciesApi(state).routes(ACCOUNT),
        # The gateway host (gateway.ai.cloudflare.com): /v1/{account_id}/{gateway_id}[/...]
        *GatewayHost(state, pipeline).routes(),
        *ControlApi(state).routes(),
        *Dashboard(state).routes(),
    ]

    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        err = no_route(request.url.path)
        return JSONResponse(cloudflare_v4.gateway_error(err), err.status)

    async def wrong_method(request: Request, exc: Exception) -> JSONResponse:
        err = method_not_allowed(request.method)
        headers = getattr(exc, "headers", None) or {}
        return JSONResponse(cloudflare_v4.gateway_error(err), err.status, headers=headers)

    async def server_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        body = cloudflare_v4.failure([(10001, "Internal emulator error: please report it with the request that caused it")])
        # The connection is not reused: the server drops it after an exception in the app.
        return JSONResponse(body, 500, headers=CLOSE_CONNECTION)

    async def client_left(request: Request, exc: Exception) -> Response:
        """A client gone while its body was read (the control API, the universal endpoint): there
        is no one to answer, and nothing went wrong here."""
        return Response(status_code=CLIENT_CLOSED_REQUEST)

    async def no_fixture(request: Request, exc: Exception) -> Response:
        return unanswered()

    async def too_deep(request: Request, exc: json_codec.TooDeep) -> JSONResponse:
        """A control API body nested too deeply (the other routes word it in their own dialect)."""
        return JSONResponse({"error": f"body: {exc}"}, 400)

    async def too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        """A control API body over the limit (the other routes word it in their own dialect)."""
        return JSONResponse({"error": f"body: {exc}"}, 413, headers=CLOSE_CONNECTION)

    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 405:
            return await wrong_method(request, exc)
        if exc.status_code == 404:
            return await not_found(request, exc)
        return JSONResponse(cloudflare_v4.failure([(exc.status_code, str(exc.detail))]), exc.status_code)

    app = Starlette(
        routes=routes,
        exception_handlers={
            HTTPException: http_error, ClientDisconnect: client_left, NoFixture: no_fixture, json_codec.TooDeep: too_deep,
            BodyTooLarge: too_large, 404: not_found, 405: wrong_method, 500: server_error,
        },
    )
    app.state.emulator = state
    return DirectRoutes(app, routes, ACCOUNTS, server_error)
