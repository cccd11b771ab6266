"""Cloudflare's AI Gateway management API, v4-enveloped:

    /client/v4/accounts/{account_id}/ai-gateway/gateways[/{id}]           create, list, get, update, delete
    .../gateways/{id}/url/{provider}                                       the gateway URL of a provider
    .../gateways/{id}/logs[/{log_id}[/request|/response]]                  the gateway's logs

Every field the official SDK's `client.ai_gateway.create(...)` accepts is stored and returned as
given, including those whose feature the emulator does not enforce (otel, spend limits, ...);
`guardrails` and `dlp` are checked (emulator.gateway.guardrails, emulator.gateway.dlp enforce them).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.routing import Route

from emulator.dialects import cloudflare_v4
from emulator.errors import GatewayError
from emulator.gateway.auth import management_account
from emulator.gateway.gateways import MAX_GATEWAY_ID, Gateway
from emulator.gateway.guardrails import CATEGORIES
from emulator.gateway.logs import MAX_PER_PAGE, list_view, matches_filter
from emulator import json_codec
from emulator.gateway.spend_limits import SpendLimitsInvalid, parse_spend_limits
from emulator.json_codec import JSONResponse
from emulator.request_body import CLOSE_CONNECTION, BodyTooLarge, read_body
from emulator.state import EmulatorState

REQUIRED_FIELDS = ("cache_invalidate_on_update", "cache_ttl", "collect_logs", "rate_limiting_interval", "rate_limiting_limit")
OPTIONAL_FIELDS = (
    "authentication", "byok_only", "dlp", "guardrails", "log_classification", "log_management",
    "log_management_strategy", "logpush", "logpush_public_key", "otel", "rate_limiting_technique",
    "retry_backoff", "retry_delay", "retry_max_attempts", "spend_limits", "store_id", "stripe",
    "workers_ai_billing_mode", "zdr",
)
SETTINGS_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS
ENUMS = {
    "rate_limiting_technique": ("fixed", "sliding", None),
    "retry_backoff": ("constant", "linear", "exponential", None),
    "workers_ai_billing_mode": ("postpaid", "unified"),
    "log_management_strategy": ("STOP_INSERTING", "DELETE_OLDEST", None),
}
# Codes for management-API input errors are not documented: emulator choices, in the README.
INVALID_INPUT = 7003
GATEWAY_EXISTS = 7004
GATEWAY_NOT_FOUND = 7002


def invalid(message: str) -> GatewayError:
    return GatewayError(400, INVALID_INPUT, message)


def gateway_view(gateway: Gateway) -> dict[str, Any]:
    view = {"id": gateway.id, "created_at": gateway.created_at, "modified_at": gateway.modified_at}
    view.update({k: gateway.settings.get(k) for k in SETTINGS_FIELDS if k in gateway.settings})
    for key in REQUIRED_FIELDS:
        view.setdefault(key, None)
    view["is_default"] = gateway.is_default
    return view


def check_fields(body: Any, required: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("Request body must be a JSON object")
    missing = [k for k in required if k not in body]
    if missing:
        raise invalid(f"Missing required field: {missing[0]}")
    fields = {k: body[k] for k in SETTINGS_FIELDS if k in body}
    for key in ("cache_invalidate_on_update", "collect_logs", "authentication", "byok_only", "log_classification", "logpush", "zdr"):
        if key in fields and not isinstance(fields[key], bool):
            raise invalid(f"{key}: must be a boolean")
    for key in ("cache_ttl", "rate_limiting_interval", "rate_limiting_limit", "retry_delay", "retry_max_attempts", "log_management"):
        value = fields.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise invalid(f"{key}: must be a non-negative integer or null")
    if fields.get("retry_max_attempts") is not None and not 1 <= fields["retry_max_attempts"] <= 5:
        raise invalid("retry_max_attempts: must be between 1 and 5")
    for key, allowed in ENUMS.items():
        if key in fields and fields[key] not in allowed:
            raise invalid(f"{key}: must be one of {', '.join(a for a in allowed if a)}")
    if fields.get("guardrails") is not None:
        check_guardrails(fields["guardrails"])
    if "dlp" in fields:
        check_dlp(fields["dlp"])
    try:
        parse_spend_limits(fields.get("spend_limits"))
    except SpendLimitsInvalid as err:
        raise invalid(str(err)) from None
    return fields


def check_guardrails(value: Any) -> None:
    """`{prompt: {S1: FLAG|BLOCK, ...}, response: {...}}` (the SDK's types): the categories and
    actions are checked; other fields are kept as given (what the API does with them is undocumented)."""
    if not isinstance(value, dict):
        raise invalid("guardrails: must be an object with prompt and response")
    for phase in ("prompt", "response"):
        actions = value.get(phase)
        if actions is None:
            continue
        if not isinstance(actions, dict):
            raise invalid(f"guardrails.{phase}: must be an object of category -> FLAG or BLOCK")
        for category, action in actions.items():
            if category not in CATEGORIES:
                raise invalid(f"guardrails.{phase}.{category}: unknown category (one of {', '.join(CATEGORIES)})")
            if action not in ("FLAG", "BLOCK"):
                raise invalid(f"guardrails.{phase}.{category}: must be FLAG or BLOCK")


def check_dlp(value: Any) -> None:
    """Policies `{enabled, policies: [{id, action, check, enabled, profiles}]}` or one policy
    `{action, enabled, profiles}`. Profile ids are not checked (Zero Trust keeps the account's
    profiles; whether the API checks them is undocumented): one the emulator does not know finds nothing."""
    if not isinstance(value, dict) or not isinstance(value.get("enabled"), bool):
        raise invalid("dlp.enabled: required, a boolean")
    single = "policies" not in value
    policies = [value] if single else value["policies"]
    if not isinstance(policies, list):
        raise invalid("dlp.policies: must be an array")
    for index, policy in enumerate(policies):
        where = "dlp" if single else f"dlp.policies[{index}]"
        if not isinstance(policy, dict):
            raise invalid(f"{where}: must be an object")
        required = ("action", "profiles") if single else ("id", "action", "check", "enabled", "profiles")
        for key in required:
            if key not in policy:
                raise invalid(f"{where}.{key}: required")
        if not single and (not isinstance(policy["id"], str) or not policy["id"]):
            raise invalid(f"{where}.id: must be a non-empty string")
        if policy["action"] not in ("FLAG", "BLOCK"):
            raise invalid(f"{where}.action: must be FLAG or BLOCK")
        if not single and (not isinstance(policy["check"], list) or not policy["check"] or any(c not in ("REQUEST", "RESPONSE") for c in policy["check"])):
            raise invalid(f"{where}.check: must be a non-empty array of REQUEST, RESPONSE")
        if not single and not isinstance(policy["enabled"], bool):
            raise invalid(f"{where}.enabled: must be a boolean")
        if not isinstance(policy["profiles"], list) or any(not isinstance(p, str) for p in policy["profiles"]):
            raise invalid(f"{where}.profiles: must be an array of profile ids")


class GatewaysApi:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def routes(self, account: str) -> list[Route]:
        base = f"{account}/ai-gateway/gateways"
        return [
            Route(base, self.collection, methods=["GET", "POST"]),
            Route(base + "/{gateway_id}", self.item, methods=["GET", "PUT", "DELETE"]),
            Route(base + "/{gateway_id}/url/{provider}", self.url, methods=["GET"]),
            Route(base + "/{gateway_id}/logs", self.logs, methods=["GET", "DELETE"]),
            Route(base + "/{gateway_id}/logs/{log_id}", self.log, methods=["GET", "PATCH"]),
            Route(base + "/{gateway_id}/logs/{log_id}/request", self.log_request, methods=["GET"]),
            Route(base + "/{gateway_id}/logs/{log_id}/response", self.log_response, methods=["GET"]),
        ]

    def _account(self, request: Request) -> str:
        return management_account(request, self.state.settings)

    def _gateway(self, account_id: str, gateway_id: str) -> Gateway:
        gateway = self.state.gateways.find(account_id, gateway_id)
        if gateway is None:
            raise GatewayError(404, GATEWAY_NOT_FOUND, "Not Found")
        return gateway

    async def _body(self, request: Request) -> Any:
        return await management_body(self.state, request)

    async def collection(self, request: Request) -> JSONResponse:
        try:
            account_id = self._account(request)
            if request.method == "GET":
                gateways = sorted(self.state.gateways.account(account_id).values(), key=lambda g: g.id)
                search = request.query_params.get("search")
                if search:
                    gateways = [g for g in gateways if search.lower() in g.id.lower()]
                page, per_page = paging(request, default_per_page=20, max_per_page=100)
                chunk = gateways[(page - 1) * per_page: page * per_page]
                info = cloudflare_v4.page_info(len(chunk), page, per_page, len(gateways))
                return JSONResponse(cloudflare_v4.success([gateway_view(g) for g in chunk], info))
            body = await self._body(request)
            fields = check_fields(body, ("id", *REQUIRED_FIELDS))
            gateway_id = body["id"]
            if not isinstance(gateway_id, str) or not 1 <= len(gateway_id) <= MAX_GATEWAY_ID:
                raise invalid(f"id: must be a string of 1 to {MAX_GATEWAY_ID} characters")
            if self.state.gateways.find(account_id, gateway_id) is not None:
                raise GatewayError(400, GATEWAY_EXISTS, f"A gateway with id {gateway_id} already exists")
            gateway = self.state.gateways.create(account_id, gateway_id, fields)
            return JSONResponse(cloudflare_v4.success(gateway_view(gateway)))
        except GatewayError as err:
            return error_response(err)

    async def item(self, request: Request) -> JSONResponse:
        try:
            account_id = self._account(request)
            gateway = self._gateway(account_id, request.path_params["gateway_id"])
            if request.method == "PUT":
                fields = check_fields(await self._body(request), REQUIRED_FIELDS)
                if fields.get("cache_invalidate_on_update", gateway.settings.get("cache_invalidate_on_update")):
                    self.state.cache.drop_scope(f"{account_id}/{gateway.id}")
                self.state.gateways.update(gateway, fields)
            elif request.method == "DELETE":
                self.state.gateways.delete(account_id, gateway.id)
                self.state.logs.drop_gateway(f"{account_id}/{gateway.id}")
            return JSONResponse(cloudflare_v4.success(gateway_view(gateway)))
        except GatewayError as err:
            return error_response(err)

    async def url(self, request: Request) -> JSONResponse:
        """The gateway's base URL for a provider (`client.ai_gateway.urls.get`): this emulator's
        own gateway URL, where the real API gives gateway.ai.cloudflare.com's."""
        try:
            account_id = self._account(request)
            gateway = self._gateway(account_id, request.path_params["gateway_id"])
            base = str(request.base_url).rstrip("/")
            return JSONResponse(cloudflare_v4.success(f"{base}/v1/{account_id}/{gateway.id}/{request.path_params['provider']}"))
        except GatewayError as err:
            return error_response(err)

    # --- logs ------------------------------------------------------------------------------
    def _scope(self, request: Request) -> str:
        account_id = self._account(request)
        gateway = self._gateway(account_id, request.path_params["gateway_id"])
        return f"{account_id}/{gateway.id}"

    async def logs(self, request: Request) -> JSONResponse:
        try:
            scope = self._scope(request)
            filters = checked_query(request)
            if request.method == "DELETE":
                removed = {e["id"] for e in self.state.logs.entries(scope) if log_matches(e, request, filters)}
                self.state.logs.delete(scope, [e for e in self.state.logs.entries(scope) if e["id"] not in removed])
                return JSONResponse(cloudflare_v4.success(None))
            rows, info = log_page(self.state.logs.entries(scope), request, filters)
            return JSONResponse(cloudflare_v4.success(rows, info))
        except GatewayError as err:
            return error_response(err)

    def _log(self, request: Request, scope: str | None = None) -> dict[str, Any]:
        entry = self.state.logs.get(scope or self._scope(request), request.path_params["log_id"])
        if entry is None:
            raise GatewayError(404, GATEWAY_NOT_FOUND, "Log not found")
        return entry

    async def log(self, request: Request) -> JSONResponse:
        try:
            scope = self._scope(request)
            entry = self._log(request, scope)
            if request.method == "PATCH":
                body = await self._body(request)
                if not isinstance(body, dict):
                    raise invalid("Request body must be a JSON object")
                for key in ("feedback", "score", "metadata"):
                    if key in body:
                        entry[key] = json.dumps(body[key]) if key == "metadata" and isinstance(body[key], dict) else body[key]
                self.state.logs.updated(scope, entry)
                return JSONResponse(cloudflare_v4.success({}))
            return JSONResponse(cloudflare_v4.success({k: v for k, v in entry.items() if k not in ("request_body", "response_body")}))
        except GatewayError as err:
            return error_response(err)

    async def log_request(self, request: Request) -> JSONResponse:
        return await self._payload(request, "request_body")

    async def log_response(self, request: Request) -> JSONResponse:
        return await self._payload(request, "response_body")

    async def _payload(self, request: Request, key: str) -> JSONResponse:
        try:
            entry = self._log(request)
            if key not in entry:
                raise GatewayError(404, GATEWAY_NOT_FOUND, "Log payload not collected (cf-aig-collect-log-payload: false)")
            return JSONResponse(cloudflare_v4.success(entry[key]))
        except GatewayError as err:
            return error_response(err)


def log_page(entries: list[dict[str, Any]], request: Request, filters: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The logs API's list: `entries` filtered (`filters`: checked_query's), ordered and paged as the request's query says."""
    entries = [e for e in entries if log_matches(e, request, filters)]
    order_by = request.query_params.get("order_by", "created_at")
    direction = request.query_params.get("order_by_direction") or request.query_params.get("direction") or "desc"
    entries.sort(key=lambda e: (e.get(order_by) is None, e.get(order_by) or 0, e["id"]), reverse=direction == "desc")
    page, per_page = paging(request, default_per_page=20, max_per_page=MAX_PER_PAGE)
    chunk = entries[(page - 1) * per_page: page * per_page]
    return [list_view(e) for e in chunk], cloudflare_v4.page_info(len(chunk), page, per_page, len(entries))


async def management_body(state: EmulatorState, request: Request) -> Any:
    """A management call's JSON body: 413 over max_body_bytes, 400 when it is not JSON or nested too deeply."""
    try:
        return json_codec.loads(await read_body(request, state.settings.max_body_bytes, ClientDisconnect))
    except json_codec.TooDeep as exc:
        raise invalid(f"Request body: {exc}") from None
    except (ValueError, UnicodeDecodeError):
        raise invalid("Request body is not valid JSON") from None
    except BodyTooLarge as exc:
        raise GatewayError(413, 3006, f"Request is too large: {exc}", headers=dict(CLOSE_CONNECTION)) from None


def managed_gateway(state: EmulatorState, request: Request) -> Gateway:
    """The gateway a management call under `gateways/{gateway_id}/...` names (404 when there is
    none; `default` is made on its first use)."""
    account_id = management_account(request, state.settings)
    gateway = state.gateways.find_or_default(account_id, request.path_params["gateway_id"])
    if gateway is None:
        raise GatewayError(404, GATEWAY_NOT_FOUND, "Not Found")
    return gateway


def error_response(err: GatewayError) -> JSONResponse:
    return JSONResponse(cloudflare_v4.gateway_error(err), err.status, headers=err.headers)


def paging(request: Request, default_per_page: int, max_per_page: int) -> tuple[int, int]:
    try:
        page = int(request.query_params.get("page", 1))
        per_page = int(request.query_params.get("per_page", default_per_page))
    except ValueError:
        raise invalid("page and per_page must be integers") from None
    if page < 1 or per_page < 1:
        raise invalid("page and per_page must be at least 1")
    if per_page > max_per_page:
        raise invalid(f"per_page: must be at most {max_per_page}")
    return page, per_page


BOOL_PARAMS = ("cached", "success")
EXACT_PARAMS = ("model", "provider", "model_type", "request_content_type", "response_content_type")
RANGE_PARAMS = {"cost": "cost", "duration": "duration", "tokens_in": "tokens_in", "tokens_out": "tokens_out"}


def log_filters(request: Request) -> list[dict[str, Any]]:
    """`filters` as the SDK sends them (filters.key=..&filters.operator=..&filters.value=..), or a JSON string."""
    q = request.query_params
    raw = q.get("filters")
    if raw:
        try:
            parsed = json_codec.loads(raw)
        except json_codec.TooDeep as exc:
            raise invalid(f"filters: {exc}") from None
        except ValueError:
            raise invalid("filters: not valid JSON") from None
        return parsed if isinstance(parsed, list) else [parsed]
    keys, operators, values = q.getlist("filters.key"), q.getlist("filters.operator"), q.getlist("filters.value")
    if not keys:
        return []
    if len(operators) != len(keys):
        raise invalid("filters: each filter needs a key and an operator")
    if len(keys) == 1:
        return [{"key": keys[0], "operator": operators[0], "value": values}]
    if len(values) != len(keys):
        raise invalid("filters: with several filters give one value each (or send filters as JSON)")
    return [{"key": k, "operator": o, "value": [v]} for k, o, v in zip(keys, operators, values)]


def checked_query(request: Request) -> list[dict[str, Any]]:
    """The query's filters, read once and checked before any entry is (a bad query is a 400 even
    when the gateway has no log yet)."""
    q = request.query_params
    for name in RANGE_PARAMS:
        for bound in (f"min_{name}", f"max_{name}"):
            if bound in q:
                try:
                    float(q[bound])
                except ValueError:
                    raise invalid(f"{bound}: expected a number, got {q[bound]!r}") from None
    filters = log_filters(request)
    for flt in filters:
        if not isinstance(flt, dict) or "key" not in flt or flt.get("operator") not in ("eq", "neq", "contains", "lt", "gt"):
            raise invalid("filters: each filter needs key, operator (eq, neq, contains, lt, gt) and value")
    return filters


def log_matches(entry: dict[str, Any], request: Request, filters: list[dict[str, Any]]) -> bool:
    q = request.query_params
    for key in BOOL_PARAMS:
        if key in q and entry.get(key) != (q[key].lower() == "true"):
            return False
    for key in EXACT_PARAMS:
        if key in q and entry.get(key) != q[key]:
            return False
    for name, field in RANGE_PARAMS.items():
        value = entry.get(field) or 0
        if f"min_{name}" in q and value < float(q[f"min_{name}"]):
            return False
        if f"max_{name}" in q and value > float(q[f"max_{name}"]):
            return False
    if "search" in q and q["search"].lower() not in json.dumps(entry).lower():
        return False
    if "start_date" in q and entry["created_at"] < q["start_date"]:
        return False
    if "end_date" in q and entry["created_at"] > q["end_date"]:
        return False
    for flt in filters:
        if not matches_filter(entry, flt):
            return False
    return True
