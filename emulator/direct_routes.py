"""The account's POST endpoints without Starlette's router and middleware.

The inference endpoints (`ai/run`, `ai/v1/chat/completions`, ...) are what a test suite calls
thousands of times. Starlette's error and exception middleware, its route scan and its
request/response wrappers cost ~25 us of each call; here an exact-path lookup finds the same
endpoint the route table names and calls it as Starlette would. Every other request (another
method, a path with more parameters, the control API, anything unknown) goes through Starlette.
"""

from __future__ import annotations

from typing import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from emulator.errors import UNANSWERED_HEADER, NoFixture

Endpoint = Callable[[Request], Awaitable[Response]]
ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


class DirectRoutes:
    """An ASGI app: `app` (Starlette) with the POST routes under `prefix + "{account_id}/"`
    whose remaining path is literal dispatched directly. An exception in an endpoint gets the
    answer of `server_error` and is raised on to the server, as Starlette's middleware does."""

    def __init__(self, app: Starlette, routes: list[BaseRoute], prefix: str, server_error: ErrorHandler) -> None:
        self.app = app
        self._prefix = prefix
        self._server_error = server_error
        head = prefix + "{account_id}/"
        self._endpoints: dict[str, Endpoint] = {
            route.path[len(head):]: route.endpoint
            for route in routes
            if isinstance(route, Route) and "POST" in (route.methods or ())
            and route.path.startswith(head) and "{" not in route.path[len(head):]
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = None
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path"):
            path: str = scope["path"]
            if path.startswith(self._prefix):
                account_id, _, rest = path[len(self._prefix):].partition("/")
                endpoint = self._endpoints.get(rest) if account_id else None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        scope["app"] = self.app
        scope["endpoint"] = endpoint
        scope["path_params"] = {"account_id": account_id}
        request = Request(scope, receive, send)
        try:
            response = await endpoint(request)
        except NoFixture:
            response = unanswered()
        except Exception as exc:
            await (await self._server_error(request, exc))(scope, receive, send)
            raise
        await response(scope, receive, send)


def unanswered() -> Response:
    """What a request no fixture matched gets under --record-missing: the recorder's cue."""
    response = Response(status_code=204)
    response.raw_headers.append((UNANSWERED_HEADER, b"1"))
    return response
