"""The account's POST endpoints are dispatched without Starlette's router; the answers must be
the ones Starlette would give. The emulator's own routes are covered over HTTP by every other
test; here a small route table shows the edges: what is dispatched directly, what falls through
to Starlette, and an endpoint that fails."""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from emulator.direct_routes import DirectRoutes

PREFIX = "/client/v4/accounts/"


async def echo(request: Request) -> JSONResponse:
    return JSONResponse({"account": request.path_params["account_id"], "body": (await request.json()), "path": request.url.path})


async def broken(request: Request) -> JSONResponse:
    raise RuntimeError("a bug")


async def server_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"success": False, "error": str(exc)}, 500)


def routes() -> list[Route]:
    return [
        Route(PREFIX + "{account_id}/ai/run", echo, methods=["POST"]),
        Route(PREFIX + "{account_id}/ai/run/{model:path}", echo, methods=["POST"]),
        Route(PREFIX + "{account_id}/broken", broken, methods=["POST"]),
        Route(PREFIX + "{account_id}/models", echo, methods=["GET"]),
    ]


def call(method: str, path: str, **kwargs) -> httpx.Response:
    table = routes()
    app = DirectRoutes(Starlette(routes=table), table, PREFIX, server_error)

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(go())


def test_literal_post_route_is_answered_with_its_path_params():
    response = call("POST", PREFIX + "acc1/ai/run", json={"x": 1})
    assert response.status_code == 200
    assert response.json() == {"account": "acc1", "body": {"x": 1}, "path": PREFIX + "acc1/ai/run"}


def test_routes_with_more_parameters_go_through_starlette():
    response = call("POST", PREFIX + "acc1/ai/run/@cf/meta/llama", json={})
    assert response.status_code == 200 and response.json()["account"] == "acc1"


def test_other_methods_and_unknown_paths_get_starlettes_answers():
    assert call("GET", PREFIX + "acc1/ai/run").status_code == 405
    assert call("POST", PREFIX + "acc1/ai/nothing", json={}).status_code == 404
    assert call("POST", PREFIX + "/ai/run", json={}).status_code == 404  # no account id


def test_an_endpoint_that_fails_gets_the_server_error_answer():
    response = call("POST", PREFIX + "acc1/broken", json={})
    assert response.status_code == 500
    assert response.json() == {"success": False, "error": "a bug"}
