"""The gateway host: `gateway.ai.cloudflare.com/v1/{account_id}/{gateway_id}/...` (the older URL family).

- `{provider}/...`: the provider's own API (OpenAI, Anthropic, Workers AI), bodies in and out as
  the provider speaks them; the provider key in its own header is taken as it is.
- `compat/chat/completions`: any provider, as `{provider}/{model}`, always in OpenAI chat format.
- `POST /v1/{account_id}/{gateway_id}` (the universal endpoint): a list of steps tried in order.

The request then flows through the same pipeline as on the REST host (emulator.pipeline); a
`Door` says how this host admits it, names its models and words the gateway's own errors
(`AiGatewayError`, emulator.dialects.gateway_error).
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator import json_codec
from emulator.catalog import CHAT, TEXT_GENERATION, Model, default_endpoints, default_native_format
from emulator.dialects import cloudflare_v4, gateway_error
from emulator.dialects.anthropic_messages import DIALECT as ANTHROPIC
from emulator.dialects.azure_openai_chat import DIALECT as AZURE_OPENAI_CHAT
from emulator.dialects.gemini import DIALECT as GEMINI
from emulator.dialects.openai_chat import DIALECT as OPENAI_CHAT
from emulator.dialects.openai_responses import DIALECT as OPENAI_RESPONSES
from emulator.errors import GatewayError, no_route
from emulator.json_codec import JSONResponse
from emulator.pipeline import STEP_SCOPE_KEY, Door, Exchange, Pipeline, no_such_workers_model, request_too_large
from emulator.request_body import BodyTooLarge, read_body
from emulator.state import EmulatorState

GATEWAY = "/v1/{account_id}/{gateway_id}"

# Provider slugs the gateway knows (workerd's AIGatewayProviders, plus ones the docs list).
PROVIDER_SLUGS = frozenset({
    "workers-ai", "anthropic", "aws-bedrock", "azure-openai", "google-vertex-ai", "huggingface", "openai",
    "perplexity-ai", "replicate", "groq", "cohere", "google-ai-studio", "mistral", "grok", "openrouter",
    "deepseek", "cerebras", "cartesia", "elevenlabs", "adobe-firefly", "baseten", "deepgram", "fal", "ideogram",
})

# Compat providers whose models the catalog keeps under another author name.
COMPAT_CATALOG_AUTHORS = {"google-ai-studio": "google", "grok": "xai", "mistral": "mistral", "deepseek": "deepseek"}

AUTHORIZATION_HEADER = "cf-aig-authorization"

# Azure OpenAI's deployments: `{resource}/{deployment}/chat/completions` (Cloudflare's docs), or
# `{resource}/openai/deployments/{deployment}/chat/completions` (the `AzureOpenAI` client's
# `azure_endpoint` layout under the gateway URL).
AZURE_CHAT = re.compile(r"[^/]+/(?:openai/deployments/)?([^/]+)/chat/completions")

# Gemini's model methods: `{v1|v1beta}/models/{model}:{method}`.
GEMINI_METHOD = re.compile(r"(v1|v1beta)/models/([^/:]+):(generateContent|streamGenerateContent)")

# A Cloudflare account id: 32 hex digits. Unless `account_ids` pins others, only these open a gateway URL.
ACCOUNT_ID = re.compile(r"[0-9a-fA-F]{32}")


# --- the gateway's own errors (AiGatewayError) ---------------------------------------------
def invalid_provider() -> GatewayError:
    return GatewayError(400, 2008, "Invalid provider")


def provider_failed() -> GatewayError:
    return GatewayError(400, 2005, "Failed to get response from provider")


def unauthorized() -> GatewayError:
    return GatewayError(401, 2009, "Unauthorized")


def bad_universal_request(detail: str) -> GatewayError:
    return GatewayError(400, 2019, f"Invalid universal request: {detail}")


def no_route_here() -> GatewayError:
    return GatewayError(404, 7000, "No route for that URI")


def wrong_method(method: str) -> GatewayError:
    return GatewayError(405, 7001, f"{method} not supported for requested URI.")


def made_by_gateway(err: GatewayError) -> bool:
    """Errors the gateway makes itself; the rest (Workers AI's 5006, 5007...) are the provider's."""
    return 2000 <= err.code < 3000 or err.code in (3007, 7000, 7001) or err.ai_gateway_error


def admit_gateway(state: EmulatorState, request: Request) -> str:
    """The gateway in the URL must exist; an authenticated one wants `cf-aig-authorization`."""
    account_id = request.path_params["account_id"]
    pinned = state.settings.account_ids
    if account_id not in pinned if pinned is not None else not ACCOUNT_ID.fullmatch(account_id):
        # Not a gateway URL (e.g. an OpenAI SDK pointed at the emulator's root sends /v1/chat/completions).
        raise no_route(request.url.path)
    gateway = state.gateways.resolve(account_id, request.path_params["gateway_id"])
    if gateway.settings.get("authentication"):
        scheme, _, token = request.headers.get(AUTHORIZATION_HEADER, "").strip().partition(" ")
        token = token.strip()
        tokens = state.settings.api_tokens
        if scheme.lower() != "bearer" or not token or (tokens is not None and token not in tokens):
            raise unauthorized()
    return account_id


class GatewayDoor(Door):
    """The gateway host's door for one provider path. The provider's own key (Authorization,
    x-api-key) is not checked: the emulator stands in for the provider and takes any key."""

    dynamic_routes = False  # a provider's own path forwards the model id as it is

    def __init__(self, provider: str) -> None:
        self.provider = provider

    def admit(self, state: EmulatorState, request: Request, ex: Exchange, endpoint: str) -> str:
        account_id = admit_gateway(state, request)
        ex.requested_gateway = request.path_params["gateway_id"]
        # On the gateway host Authorization (or x-api-key, Google's x-goog-api-key, Azure's api-key) is the provider's key.
        headers = ex.headers
        ex.provider_key = headers.get("authorization") or headers.get("x-api-key") or headers.get("x-goog-api-key") or headers.get("api-key")
        return account_id

    def model(self, state: EmulatorState, name: str) -> Model:
        return provider_model(state, self.provider, name)

    def error_body(self, err: GatewayError) -> dict[str, Any]:
        return gateway_error.body(err) if made_by_gateway(err) else cloudflare_v4.gateway_error(err)


class WorkersAIDoor(GatewayDoor):
    def model(self, state: EmulatorState, name: str) -> Model:
        model = state.catalog.get(name) if name.startswith("@cf/") else None
        if model is None:
            raise no_such_workers_model(name)
        return model


class CompatDoor(GatewayDoor):
    """`{provider}/{model}`: a bare id has no provider (2005), an unknown provider is 2008."""

    dynamic_routes = True

    def model(self, state: EmulatorState, name: str) -> Model:
        provider, slash, bare = name.partition("/")
        if not slash:
            raise provider_failed()
        if provider == "workers-ai":
            return WORKERS_AI.model(state, bare)
        if provider in COMPAT_CATALOG_AUTHORS:
            model = state.catalog.get(f"{COMPAT_CATALOG_AUTHORS[provider]}/{bare}")
            if model is None:
                raise provider_failed()
            return model
        if provider not in ("openai", "anthropic") or not bare:
            raise invalid_provider()
        return provider_model(state, provider, bare)


class GoogleAIStudioDoor(GatewayDoor):
    """Gemini models by their bare id (`gemini-2.5-flash`), as the catalog's `google/...`."""

    def model(self, state: EmulatorState, name: str) -> Model:
        return provider_model(state, "google", name)


class AzureOpenAIDoor(GatewayDoor):
    """A deployment is named by its owner: the catalog's OpenAI model of that name when there is
    one, else a text model of its own (Azure serves whatever model the deployment holds)."""

    def model(self, state: EmulatorState, name: str) -> Model:
        known = state.catalog.get(f"openai/{name}")
        name = f"azure-openai/{name}"
        if known is not None:
            return dataclasses.replace(known, name=name)
        return Model(name=name, task=TEXT_GENERATION, endpoints=default_endpoints(name, TEXT_GENERATION, "openai_chat"))


OPENAI = GatewayDoor("openai")
AZURE_OPENAI = AzureOpenAIDoor("azure-openai")
GOOGLE_AI_STUDIO = GoogleAIStudioDoor("google-ai-studio")
ANTHROPIC_DOOR = GatewayDoor("anthropic")
WORKERS_AI = WorkersAIDoor("workers-ai")
COMPAT = CompatDoor("compat")
# Rejections before a provider path is known: routing, the gateway, its authentication.
HOST = GatewayDoor("")


# Dated snapshots of a model: Anthropic's `claude-sonnet-4-5-20250929`, OpenAI's `gpt-4o-2024-08-06`.
_ANTHROPIC_DATE = re.compile(r"-\d{8}$")
_OPENAI_DATE = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def provider_model(state: EmulatorState, provider: str, bare: str) -> Model:
    """A provider's bare model id as the catalog names it (`gpt-4.1` -> `openai/gpt-4.1`;
    Anthropic's `claude-sonnet-4-5[-20250929]` -> `anthropic/claude-sonnet-4.5`). Another id the
    provider has (`provider_offers`) is served as a text model of that provider; an id it does
    not have gets the provider's own "model not found" (`offered=False`), unless the
    `accept_any_model` setting serves every id."""
    undated = _ANTHROPIC_DATE.sub("", bare)
    for candidate in (bare, undated, re.sub(r"-(\d+)-(\d+)$", r"-\1.\2", undated)):
        model = state.catalog.get(f"{provider}/{candidate}")
        if model is not None:
            return model
    name = f"{provider}/{bare}"
    native = default_native_format(name)
    offered = state.settings.accept_any_model or provider_offers(state, provider, bare)
    endpoints = default_endpoints(name, TEXT_GENERATION, native)
    return Model(name=name, task=TEXT_GENERATION, native_format=native, endpoints=endpoints, offered=offered)


def provider_offers(state: EmulatorState, provider: str, bare: str) -> bool:
    """Whether the provider has a model the catalog does not list: one of its known ids
    (`provider_models`) or the catalog's, as written, as a dated snapshot or `-latest` alias of
    one, or an OpenAI fine-tune of one (`ft:<base>:<org>::<id>`)."""
    if bare.startswith("ft:"):
        base = bare.split(":")[1]
        return bool(base) and provider_offers(state, provider, base)
    candidates = (bare, bare.removesuffix("-latest"), _ANTHROPIC_DATE.sub("", bare), _OPENAI_DATE.sub("", bare))
    return any(state.catalog.provider_has(provider, candidate) for candidate in candidates)


Handler = Callable[[Request], Awaitable[Response]]


class GatewayHost:
    def __init__(self, state: EmulatorState, pipeline: Pipeline) -> None:
        self.state = state
        self.pipeline = pipeline

    def routes(self) -> list[Route]:
        return [
            Route(GATEWAY, self.universal, methods=["POST"]),
            Route(GATEWAY + "/{rest:path}", self.provider_route, methods=["GET", "POST"]),
        ]

    # --- {provider}/... and compat/... -------------------------------------------------------
    async def provider_route(self, request: Request) -> Response:
        rest = request.path_params["rest"]
        if not rest.strip("/") and request.method == "POST":
            return await self.universal(request)
        provider, _, path = rest.partition("/")
        try:
            admit_gateway(self.state, request)
            if provider not in PROVIDER_SLUGS and provider != "compat":
                raise invalid_provider()
            found = self._handler(provider, path)
            if found is None:
                raise no_route_here()
            method, handler = found
            if request.method != method:
                raise wrong_method(request.method)
        except GatewayError as err:
            return self.pipeline.reject(request, provider or "gateway", err, HOST)
        return await handler(request)

    def _handler(self, provider: str, path: str) -> tuple[str, Handler] | None:
        """The provider's own path, with or without its `v1/` prefix (SDKs and the universal
        endpoint's clients differ)."""
        chat = self.pipeline.chat
        bare = path.removeprefix("v1/")
        if provider == "openai" and bare in ("chat/completions", "responses"):
            dialect = OPENAI_CHAT if bare == "chat/completions" else OPENAI_RESPONSES
            return "POST", lambda r: chat(r, dialect, OPENAI)
        if provider == "openai" and bare == "embeddings":
            return "POST", lambda r: self.pipeline.embeddings(r, OPENAI)
        if provider == "anthropic" and bare == "messages/count_tokens":
            return "POST", lambda r: self.pipeline.count_tokens(r, ANTHROPIC_DOOR)
        if provider == "anthropic" and bare == "messages":
            return "POST", lambda r: chat(r, ANTHROPIC, ANTHROPIC_DOOR)
        if provider == "azure-openai":
            deployment = AZURE_CHAT.fullmatch(path)
            if deployment is not None:
                name = deployment[1]
                return "POST", lambda r: self.azure_chat(r, name)
        if provider == "google-ai-studio":
            method = GEMINI_METHOD.fullmatch(path)
            if method is not None:
                version, model, name = method[1], method[2], method[3]
                return "POST", lambda r: chat(r, GEMINI.at(version, model, name, r.query_params.get("alt") == "sse"), GOOGLE_AI_STUDIO)
        if provider == "workers-ai":
            if path == "v1/chat/completions":
                return "POST", lambda r: chat(r, OPENAI_CHAT, WORKERS_AI)
            if path == "v1/embeddings":
                return "POST", lambda r: self.pipeline.embeddings(r, WORKERS_AI)
            model = path.removeprefix("run/")
            if model.startswith("@cf/"):
                return "POST", lambda r: self.pipeline.run_legacy(r, WORKERS_AI, model)
        if provider == "compat":
            if bare == "chat/completions":
                return "POST", lambda r: chat(r, OPENAI_CHAT, COMPAT)
            if bare == "models":
                return "GET", self.compat_models
        return None

    async def azure_chat(self, request: Request, deployment: str) -> Response:
        """Azure wants `api-version` in the query; without it Azure answers 404 "Resource not found"."""
        if not request.query_params.get("api-version"):
            body = {"error": {"code": "404", "message": "Resource not found"}}
            return self.pipeline.answer_unread(request, CHAT, JSONResponse(body, 404))
        return await self.pipeline.chat(request, AZURE_OPENAI_CHAT.at(deployment), AZURE_OPENAI)

    async def compat_models(self, request: Request) -> Response:
        """The models `compat/chat/completions` serves, as an OpenAI model list (shape inferred)."""
        data = []
        for model in self.state.catalog:
            if model.task != TEXT_GENERATION or CHAT not in model.endpoints:
                continue
            if model.is_workers_ai or model.provider in ("openai", "anthropic"):
                model_id = f"workers-ai/{model.name}" if model.is_workers_ai else model.name
                data.append({"id": model_id, "object": "model", "created": 0, "owned_by": model.provider})
        return JSONResponse({"object": "list", "data": data})

    # --- the universal endpoint ------------------------------------------------------------
    async def universal(self, request: Request) -> Response:
        """Each step in turn, with its own retries; the first success answers (`cf-aig-step`).
        When every step fails, the last step's error answers, with the last index. The steps share
        one request id (cf-aig-request-id, and cf-aig-event-id unless the client sends its own):
        the log id of the first step that reached the gateway. Each step has its own log id."""
        raw = b""
        try:
            admit_gateway(self.state, request)
            raw = await read_body(request, self.state.settings.max_body_bytes)
            steps = parse_steps(raw)
        except GatewayError as err:
            return self.pipeline.reject(request, "universal", err, HOST, raw)
        except BodyTooLarge:
            return self.pipeline.reject(request, "universal", request_too_large(), HOST)
        response: Response | None = None
        request_id: str | None = None
        for index, step in enumerate(steps):
            response = await self.provider_route(self._step_request(request, index, request_id, step))
            response.headers["cf-aig-step"] = str(index)
            request_id = request_id or response.headers.get("cf-aig-request-id")
            if response.status_code < 400:
                break
        assert response is not None
        return response

    def _step_request(self, request: Request, index: int, request_id: str | None, step: dict[str, Any]) -> Request:
        """The step as the request its provider path would get. Headers: the step's config over
        the step's headers over the request's own."""
        body = json.dumps(step["query"]).encode()
        headers = {k.lower(): v for k, v in request.headers.items() if k.lower() not in ("content-length", "transfer-encoding")}
        headers.update({k.lower(): header_value(v) for k, v in step.get("headers", {}).items()})
        headers.update({name: header_value(step["config"][key]) for key, name in CONFIG_HEADERS.items() if key in step.get("config", {})})
        headers.update({"content-type": "application/json", "content-length": str(len(body))})
        rest = f"{step['provider']}/{step['endpoint'].lstrip('/')}"
        path = request.url.path.rstrip("/") + "/" + rest
        scope = {
            **{k: request.scope[k] for k in ("type", "asgi", "http_version", "scheme", "server", "client", "root_path", "app") if k in request.scope},
            "method": "POST",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [(k.encode("latin-1"), v.encode("utf-8")) for k, v in headers.items()],
            "path_params": {**request.path_params, "rest": rest},
            STEP_SCOPE_KEY: (index, request_id),
        }
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return Request(scope, receive)


# A step's `config` as the cf-aig-* headers it stands for.
CONFIG_HEADERS = {
    "requestTimeout": "cf-aig-request-timeout",
    "maxAttempts": "cf-aig-max-attempts",
    "retryDelay": "cf-aig-retry-delay",
    "backoff": "cf-aig-backoff",
}


def header_value(value: Any) -> str:
    """Header values are strings: numbers and booleans written out, objects as JSON (as the binding does)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value)


def parse_steps(raw: bytes) -> list[dict[str, Any]]:
    try:
        body = json_codec.loads(raw)
    except json_codec.TooDeep as exc:
        raise bad_universal_request(str(exc)) from None
    except (ValueError, UnicodeDecodeError):
        raise bad_universal_request("the body is not valid JSON") from None
    steps = [body] if isinstance(body, dict) else body
    if not isinstance(steps, list) or not steps:
        raise bad_universal_request("the body must be a step object or a non-empty array of steps")
    for index, step in enumerate(steps):
        where = f"[{index}]"
        if not isinstance(step, dict):
            raise bad_universal_request(f"{where} must be an object")
        for key in ("provider", "endpoint"):
            if not isinstance(step.get(key), str) or not step[key]:
                raise bad_universal_request(f"{where}.{key} must be a non-empty string")
        if "query" not in step:
            raise bad_universal_request(f"{where}.query is required")
        for key in ("headers", "config"):
            if key in step and not isinstance(step[key], dict):
                raise bad_universal_request(f"{where}.{key} must be an object")
        for name in step.get("headers", {}):
            if not _HEADER_NAME.fullmatch(name):
                raise bad_universal_request(f"{where}.headers: {name!r} is not a valid HTTP header name")
    return steps


# RFC 9110 field names: one or more token characters.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
