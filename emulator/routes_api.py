"""The management API of a gateway's dynamic routes, v4-enveloped, as the cloudflare SDK's
`ai_gateway.dynamic_routing` calls it:

    .../ai-gateway/gateways/{id}/routes                        POST create, GET list
    .../routes/{route_id}                                      GET, PATCH (name), DELETE
    .../routes/{route_id}/versions[/{version_id}]              POST create, GET list, GET one
    .../routes/{route_id}/deployments                          POST deploy a version, GET list

The API's own quirks are kept: the lists answer `{"data": {...}, "success"}` (no `result`), a
rename answers `{"route": {...}, "success"}`, a version's `active` is the string "true" / "false"
and its `data` the elements as a JSON string.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulator.dialects import cloudflare_v4
from emulator.errors import GatewayError
from emulator.gateway.routes import DynamicRoute, RouteConfigError, RouteVersion, check_elements
from emulator.gateways_api import GATEWAY_NOT_FOUND, GatewaysApi, error_response, invalid, paging
from emulator.json_codec import JSONResponse


def version_view(route: DynamicRoute, version: RouteVersion) -> dict[str, Any]:
    return {
        "active": "true" if route.deployment.version_id == version.version_id else "false",
        "created_at": version.created_at,
        "data": json.dumps(version.elements),
        "version_id": version.version_id,
        "is_valid": True,
    }


def route_core(route: DynamicRoute) -> dict[str, Any]:
    return {
        "id": route.id, "created_at": route.created_at, "elements": route.active.elements,
        "gateway_id": route.gateway_id, "modified_at": route.modified_at, "name": route.name,
    }


def route_view(route: DynamicRoute) -> dict[str, Any]:
    deployment = route.deployment
    return {
        **route_core(route),
        "account_tag": route.account_tag,
        "deployment": {"created_at": deployment.created_at, "deployment_id": deployment.deployment_id, "version_id": deployment.version_id},
        "version": version_view(route, route.active),
    }


def listing(request: Request, key: str, items: list[dict[str, Any]]) -> JSONResponse:
    page, per_page = paging(request, default_per_page=20, max_per_page=100)
    chunk = items[(page - 1) * per_page: page * per_page]
    data = {key: chunk, "order_by": "created_at", "order_by_direction": "asc", "page": page, "per_page": per_page}
    return JSONResponse({"data": data, "success": True})


def route_not_found() -> GatewayError:
    return GatewayError(404, GATEWAY_NOT_FOUND, "Route not found")


class RoutesApi(GatewaysApi):
    def routes(self, account: str) -> list[Route]:
        base = f"{account}/ai-gateway/gateways/{{gateway_id}}/routes"
        return [
            Route(base, self.collection, methods=["GET", "POST"]),
            Route(base + "/{route_id}", self.item, methods=["GET", "PATCH", "DELETE"]),
            Route(base + "/{route_id}/versions", self.versions, methods=["GET", "POST"]),
            Route(base + "/{route_id}/versions/{version_id}", self.version, methods=["GET"]),
            Route(base + "/{route_id}/deployments", self.deployments, methods=["GET", "POST"]),
        ]

    def _where(self, request: Request) -> tuple[str, str]:
        account_id = self._account(request)
        return account_id, self._gateway(account_id, request.path_params["gateway_id"]).id

    def _route(self, request: Request) -> DynamicRoute:
        route = self.state.routes.get(*self._where(request), request.path_params["route_id"])
        if route is None:
            raise route_not_found()
        return route

    async def _elements(self, request: Request) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return self._elements_of(await self._body(request))

    def _elements_of(self, body: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        if not isinstance(body, dict):
            raise invalid("Request body must be a JSON object")
        try:
            return body, check_elements(body.get("elements"))
        except RouteConfigError as err:
            raise invalid(str(err)) from None

    async def collection(self, request: Request) -> JSONResponse:  # type: ignore[override]
        try:
            account_id, gateway_id = self._where(request)
            if request.method == "GET":
                return listing(request, "routes", [route_view(r) for r in self.state.routes.all(account_id, gateway_id)])
            body, elements = await self._elements(request)
            name = body.get("name")
            if not isinstance(name, str) or not name:
                raise invalid("name: must be a non-empty string")
            if self.state.routes.named(account_id, gateway_id, name) is not None:
                raise invalid(f"name: a route named {name!r} already exists")
            route = self.state.routes.create(account_id, gateway_id, name, elements)
            view = route_view(route)
            del view["account_tag"]
            return JSONResponse(cloudflare_v4.success(view))
        except GatewayError as err:
            return error_response(err)

    async def item(self, request: Request) -> JSONResponse:  # type: ignore[override]
        try:
            body = await self._body(request) if request.method == "PATCH" else None  # a body over the limit: 413 before the lookup
            route = self._route(request)
            if request.method == "PATCH":
                if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
                    raise invalid("name: must be a non-empty string")
                route.name = body["name"]
                return JSONResponse({"route": route_view(route), "success": True})
            if request.method == "DELETE":
                self.state.routes.delete(*self._where(request), route.id)
                return JSONResponse(cloudflare_v4.success(route_core(route)))
            view = route_view(route)
            del view["account_tag"]
            return JSONResponse(cloudflare_v4.success(view))
        except GatewayError as err:
            return error_response(err)

    async def versions(self, request: Request) -> JSONResponse:
        try:
            body = await self._body(request) if request.method == "POST" else None
            route = self._route(request)
            if request.method == "GET":
                return listing(request, "versions", [version_view(route, v) for v in route.versions])
            _, elements = self._elements_of(body)
            self.state.routes.add_version(route, elements)
            return JSONResponse(cloudflare_v4.success(route_core(route)))
        except GatewayError as err:
            return error_response(err)

    async def version(self, request: Request) -> JSONResponse:
        try:
            route = self._route(request)
            version = route.version(request.path_params["version_id"])
            if version is None:
                raise GatewayError(404, GATEWAY_NOT_FOUND, "Version not found")
            view = {**route_core(route), **version_view(route, version), "elements": version.elements}
            return JSONResponse(cloudflare_v4.success(view))
        except GatewayError as err:
            return error_response(err)

    async def deployments(self, request: Request) -> JSONResponse:
        try:
            body = await self._body(request) if request.method == "POST" else None
            route = self._route(request)
            if request.method == "GET":
                views = [{"created_at": d.created_at, "deployment_id": d.deployment_id, "version_id": d.version_id} for d in route.deployments]
                return listing(request, "deployments", views)
            version_id = body.get("version_id") if isinstance(body, dict) else None
            if not isinstance(version_id, str) or route.version(version_id) is None:
                raise invalid("version_id: no version of this route has that id")
            self.state.routes.deploy(route, version_id)
            return JSONResponse(cloudflare_v4.success(route_core(route)))
        except GatewayError as err:
            return error_response(err)
