"""The request flow, one direction:

route -> front door (auth, account) -> dialect parses and validates -> model and endpoint ->
gateway -> simulated upstream (fixture or synth) -> dialect renders -> journal.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from emulator import json_codec
from emulator.catalog import CHAT, GENERATE_CONTENT, MESSAGES, RESPONSES, RUN, TEXT_GENERATION, Catalog, Model
from emulator.completion import Answer, ChatRequest, Completion, TaskOutput, UpstreamFailure, Usage
from emulator.dialects import ChatDialect, RenderContext, cloudflare_v4, workers_ai
from emulator.dialects.anthropic_messages import COUNT_TOKENS as ANTHROPIC_COUNT_TOKENS
from emulator.dialects.anthropic_messages import DIALECT as ANTHROPIC
from emulator.dialects.anthropic_messages_stream import AnthropicMessagesStream
from emulator.dialects.gemini import DIALECT as GEMINI
from emulator.dialects.gemini_stream import GeminiStream
from emulator.dialects.openai_chat_stream import OpenAIChatStream
from emulator.dialects.openai_responses_stream import OpenAIResponsesStream
from emulator.dialects.workers_ai_stream import WorkersAIStream
from emulator.dialects.openai_chat import DIALECT as OPENAI_CHAT
from emulator.dialects.openai_embeddings import DIALECT as OPENAI_EMBEDDINGS
from emulator.errors import CLIENT_CLOSED_REQUEST, GatewayError, InvalidRequest, NoFixture, client_gone
from emulator.fixtures import NO_REPORT, Fixture, MatchContext, MatchReport
from emulator.gateway import dlp
from emulator.gateway.attempts import Attempt, RetryPolicy, run_attempts, timeout_error
from emulator.gateway.auth import authenticate, check_account
from emulator.gateway.billing import REQUEST_KEY, STORED_KEY, UNIFIED, credentials_required, no_credits, unified_rate_limited
from emulator.gateway.cache import NO_CACHE, CachedResponse, decide, default_key
from emulator.gateway.credentials import PROVIDER_REJECTED_CREDENTIALS, credentials_rejected
from emulator.gateway.provider_auth import bare_key, rejection
from emulator.gateway.policies import Budget, access_denied, identity_from_headers, spending_limit_exceeded
from emulator.gateway.policies import evaluate as evaluate_policies
from emulator.gateway.provider_keys import find_key
from emulator.gateway.costs import request_cost
from emulator.gateway.gateways import GATEWAY_HEADER, Gateway, iso
from emulator.gateway.guardrails import PROMPT, RESPONSE, enforcement, evaluate
from emulator.gateway.headers import NO_OPTIONS, GatewayOptions, lenient_metadata, parse_gateway_headers
from emulator.gateway.logs import metadata_text
from emulator.gateway.ratelimit import RateLimit, rate_limited
from emulator.gateway.auto_router import AUTO_ROUTER_MODEL, NoAllowedModel, candidate_pool, cheapest_first, user_turns
from emulator.gateway.routes import DYNAMIC_PREFIX, RequestFacts, RouteWalk, named_model, step_model
from emulator.gateway.screening import Screening
from emulator.gateway.spend_limits import SpendRule, request_values
from emulator.gateway.trace import GatewayTrace
from emulator.json_codec import JSONResponse
from emulator.request_body import CLOSE_CONNECTION, KEPT_BODY_BYTES, MAX_CACHEABLE_BYTES, BodyTooLarge, kept_prefix, read_body
from emulator.redaction import redacted_body, redacted_headers, redacted_text
from emulator.tokens import count_tokens as count_text_tokens
from emulator.schema_check import load_schema_validator
from emulator.state import EmulatorState
from emulator.streaming import EventStreamResponse, StreamPlan, event_stream
from emulator.upstream import answer_chat, answer_task, failure_from, input_tokens

# What a raw-body endpoint does once its body is read and valid: (exchange, account id, body,
# request id, request-id header) -> the response.
DialectHandler = Callable[["Exchange", str, Any, str, dict[str, str]], Awaitable[Response]]

NATIVE_DIALECTS: dict[str, ChatDialect] = {"openai_chat": OPENAI_CHAT, "anthropic_messages": ANTHROPIC, "gemini": GEMINI}

# The stream renderer of each wire format, by the endpoint whose format it is (RUN: Workers AI).
STREAMS = {
    CHAT: OpenAIChatStream, RESPONSES: OpenAIResponsesStream, MESSAGES: AnthropicMessagesStream, RUN: WorkersAIStream,
    GENERATE_CONTENT: GeminiStream,
}

ENDPOINT_PATHS = {
    "chat_completions": "/ai/v1/chat/completions",
    "responses": "/ai/v1/responses",
    "messages": "/ai/v1/messages",
    "run": "/ai/run",
    "embeddings": "/ai/v1/embeddings",
    "generate_content": "google-ai-studio/v1beta/models/{model}:generateContent",
}


def model_not_found(name: str) -> GatewayError:
    return GatewayError(404, 7003, f"Model not found: {name}")


def no_such_workers_model(name: str) -> GatewayError:
    return GatewayError(400, 5007, f"No such model {name} or task")


def request_too_large() -> GatewayError:
    """Workers AI's own 413 (code 3006); the rest of the body is not read."""
    return GatewayError(413, 3006, "Request is too large", headers=dict(CLOSE_CONNECTION))


def malformed_json() -> GatewayError:
    return GatewayError(400, 6007, "Malformed JSON in request body")


@dataclass(slots=True)
class Exchange:
    """What one request went through; becomes a journal entry and a log entry. The journal and
    the logs keep ten thousand of these each, written out only when read, so what an Exchange
    holds after the request is mostly strings and bytes: every object the garbage collector has
    to track here is walked again by each of its full collections."""

    endpoint: str
    method: str
    path: str
    headers: dict[str, str]
    body: Any = None
    model: str | None = None
    gateway: str | None = None
    fixture: str | None = None
    fixture_item: int | None = None  # which answer of a sequence fixture (0 first)
    match_report: MatchReport = NO_REPORT
    status: int = 0
    error: str | None = None
    trace: GatewayTrace | None = None
    raw_body: bytes = b""
    account_id: str | None = None
    gateway_settings: dict[str, Any] = field(default_factory=dict)
    options: GatewayOptions = NO_OPTIONS
    attempts: list[Attempt] = field(default_factory=list)
    duration_ms: int = 0
    cached: bool = False
    tokens: tuple[int, int] | None = None
    usage: Usage | None = None  # the upstream's, when it answered with token counts (not on a cache hit)
    provider_key: str | None = None  # a provider key the request carries (gateway host only)
    accounting: Accounting | None = None  # spend limits and Unified Billing, when either applies
    started_at: float = 0.0
    requested_gateway: str | None = None  # cf-aig-gateway-id on the REST host, the URL's on the gateway host
    step: int = 0  # the universal endpoint's step index (cf-aig-step)
    route_steps: list[dict[str, Any]] | None = None  # a dynamic route's walk: each element it went through
    request_id: str | None = None  # a universal step's: its request's id, once an earlier step has one
    screening: Screening | None = None  # the gateway's guardrails and DLP, when it has any
    # Set when the answer leaves: what the log entry says of it, read when the logs API asks.
    finished_at: float = 0.0
    response_type: str | None = None
    response_body: bytes | Response = b""  # or the streamed response, whose transcript is whole once sent
    # A body's whole size when only its first KEPT_BODY_BYTES are kept (-1: kept whole).
    body_size: int = -1
    response_size: int = -1

    def keep_body_prefix(self) -> None:
        """Past KEPT_BODY_BYTES the journal and the logs keep the body's first bytes, as text."""
        self.raw_body, self.body_size = kept_prefix(self.raw_body)
        self.body = self.raw_body.decode("utf-8", "replace")

    def entry(self) -> dict[str, Any]:
        """The journal's entry."""
        return {
            "received_at": self.finished_at,
            "endpoint": self.endpoint,
            "method": self.method,
            "path": self.path,
            "headers": redacted_headers(self.headers),
            "body": redacted_body(self.body) if self.body_size < 0 else redacted_text(self.body),
            "body_truncated": self.body_size >= 0,
            "model": self.model,
            "gateway": self.gateway,
            "fixture": self.fixture,
            "fixture_item": self.fixture_item,
            "fixture_report": self.match_report.view(),
            "status": self.final_status,
            "error": self.error,
            "log_id": self.trace.log_id if self.trace else None,
            "attempts": [a.view() for a in self.attempts],
            "cache_status": self.trace.cache_status if self.trace else None,
            "header_notes": list(self.options.ignored),
            **(self.screening.view() if self.screening is not None else {}),
            "route_steps": self.route_steps,
        }

    def log_entry(self, prices: Catalog) -> dict[str, Any]:
        return gateway_log_entry(self, prices)

    def cost(self, prices: Catalog) -> float:
        """USD, as the log shows it: 0 for a cache hit, a failure, or a model without a price."""
        if self.usage is None:
            return 0.0
        return request_cost(self.usage, prices.price(self.model or ""), self.options.custom_cost, self.provider != "anthropic")

    @property
    def abandoned(self) -> bool:
        """A stream the client left before its end (it was answered 200)."""
        return isinstance(self.response_body, EventStreamResponse) and self.response_body.abandoned

    @property
    def final_status(self) -> int:
        """The status the journal and the logs give: 499 for an abandoned stream, as Cloudflare's
        logs give a request its client abandoned."""
        return CLIENT_CLOSED_REQUEST if self.abandoned else self.status

    @property
    def log_id(self) -> str | None:
        return self.trace.log_id if self.trace is not None else None

    def when_whole(self, written: Callable[[], None]) -> None:
        if isinstance(self.response_body, EventStreamResponse):
            self.response_body.finished = written
        else:
            written()

    @property
    def run_api(self) -> bool:
        """The REST host's `/run` routes (ai/run, ai/run/{model}), whose guardrail answers differ."""
        return self.endpoint == RUN and self.path.startswith("/client/v4/")

    @property
    def on_gateway_host(self) -> bool:
        return self.path.startswith("/v1/")

    @property
    def tokens_in_out(self) -> tuple[int, int] | None:
        """The log's tokens_in and tokens_out: the upstream's usage, or what a cache hit replays."""
        usage = self.usage
        if usage is None:
            return self.tokens
        return usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens, usage.output_tokens

    @property
    def billing(self) -> str | None:
        return self.accounting.billing if self.accounting is not None else None

    @property
    def custom_cost(self) -> bool:
        """cf-aig-custom-cost priced this request (it had token counts to price)."""
        return self.usage is not None and self.options.custom_cost is not None

    @property
    def provider(self) -> str:
        model = self.model or ""
        return "workers-ai" if model.startswith("@cf/") else model.split("/", 1)[0]


# A catalog author whose models the gateway's logs name by another provider slug.
PROVIDER_OF_AUTHOR = {"google": "google-ai-studio"}

# The request scope key a universal-endpoint step carries (its index, its request's id or None) in.
STEP_SCOPE_KEY = "emulator.aig_step"
_SINGLE_STEP = (0, None)


@dataclass(slots=True)
class Accounting:
    """A request's spend limits and Unified Billing: made only when one of them applies (the
    gateway has spend limits or byok_only, credits are metered, or cf-aig-no-wholesale)."""

    gateway: Gateway
    budgets: list[tuple[SpendRule, tuple[str, ...]]] = field(default_factory=list)  # charged after the answer
    billing: str | None = None  # whose credential paid: billing.REQUEST_KEY / STORED_KEY / UNIFIED, or None (Workers AI)
    rejection: UpstreamFailure | None = None  # the provider's 401 for the key it would get
    policy_budgets: list[Budget] = field(default_factory=list)  # the policies' budgets it is charged to


class Door:
    """How a host lets a request in, names its models and words the gateway's errors.
    This one is the REST API (api.cloudflare.com); the gateway host has its own (emulator.gateway_host)."""

    dynamic_routes = True  # `model: "dynamic/<name>"` is served (the REST API and compat)

    def admit(self, state: EmulatorState, request: Request, ex: Exchange, endpoint: str) -> str:
        """The front door: checks the caller, returns the account id."""
        authenticate(ex.headers, state.settings, accept_x_api_key=endpoint == MESSAGES)
        account_id = request.path_params["account_id"]
        check_account(account_id, ex.path, state.settings)
        return account_id

    def model(self, state: EmulatorState, name: str) -> Model:
        model = state.catalog.get(name)
        if model is None:
            raise no_such_workers_model(name) if name.startswith("@cf/") else model_not_found(name)
        return model

    def error_body(self, err: GatewayError) -> dict[str, Any]:
        return cloudflare_v4.gateway_error(err)


REST = Door()


class Pipeline:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    # --- shared steps ------------------------------------------------------------------
    def _start(self, request: Request, endpoint: str) -> Exchange:
        # Read from the ASGI scope (no Headers object); latin-1 is how Starlette decodes them, and
        # names are lower-cased even though ASGI servers already send them so.
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.scope["headers"]}
        step, request_id = request.scope.get(STEP_SCOPE_KEY, _SINGLE_STEP)
        return Exchange(
            endpoint, request.method, request.scope["path"], headers, started_at=self.state.clock.now(),
            requested_gateway=headers.get(GATEWAY_HEADER), step=step, request_id=request_id,
        )

    async def _read_json(self, request: Request, ex: Exchange) -> Any:
        raw = ex.raw_body = await read_body(request, self.state.settings.max_body_bytes)
        try:
            return json_codec.loads(raw)
        except json_codec.TooDeep as exc:
            raise InvalidRequest(str(exc), exc.path or None) from None
        except (ValueError, UnicodeDecodeError):
            return _MALFORMED

    def _gateway(self, account_id: str, ex: Exchange, model: Model, required_for_workers_ai: bool) -> Gateway | None:
        """The gateway this request runs through, or None for plain Workers AI."""
        gateway_id = ex.requested_gateway
        if gateway_id is None and model.is_workers_ai:
            if required_for_workers_ai and self.state.settings.workers_ai_gateway == "strict":
                raise GatewayError(400, 2001, f"Workers AI models require the {GATEWAY_HEADER} header")
            return None
        gateway = self.state.gateways.resolve(account_id, gateway_id)
        ex.gateway = gateway.id
        ex.account_id = account_id
        ex.gateway_settings = gateway.settings
        log_id = self.state.ids.log_id(self.state.clock.now())
        request_id = ex.request_id or log_id  # one id for all three, unless a universal step or the client says otherwise
        ex.trace = GatewayTrace(log_id, request_id, ex.headers.get("cf-aig-event-id") or request_id, ex.step)
        ex.options = parse_gateway_headers(ex.headers, self.state.settings.strict_headers)
        if gateway.accounted or self.state.credits.metered or ex.provider_key is not None or ex.options.wants_credentials:
            ex.accounting = Accounting(gateway)
        rule = RateLimit.of(gateway.settings)
        if rule is not None and not self.state.rate_limits.admit(gateway_scope(ex), rule):
            raise rate_limited()
        return gateway

    # --- the gateway around the upstream: cache lookup -> attempts -> cache store ----------
    async def _through_gateway(
        self,
        ex: Exchange,
        find: Callable[[], Fixture | None],
        streaming: bool,
        produce: Callable[[Fixture | None], Answer],
        render: Callable[[Answer, Fixture | None], Response],
        screened: Any = None,
        policy: RetryPolicy | None = None,
    ) -> Response:
        """The simulated upstream's answer as the gateway delivers it. Without a gateway
        (plain Workers AI) there is a single attempt and no cache. The fixture is looked up
        (`find`) only when the request gets past the cache: a hit never reaches the upstream.
        `screened` is what the gateway's guardrails and DLP read the prompt from (the parsed
        ChatRequest, a task's input, or the embedding texts); a hit is not screened again.
        `policy`: a dynamic route's model element's timeout and retries, instead of the request's
        and the gateway's."""
        decision = NO_CACHE
        in_gateway = ex.trace is not None
        accounting = ex.accounting
        if in_gateway:
            # The key's parts are read only when caching applies (most requests do not cache).
            key = lambda: default_key(ex.provider, ex.endpoint, ex.model or "", ex.headers.get("authorization", ""), ex.raw_body)  # noqa: E731
            # A request over 25 MB is never cached (AI Gateway's documented cacheable size).
            uncacheable = streaming or len(ex.raw_body) > MAX_CACHEABLE_BYTES
            decision = decide(ex.options, ex.gateway_settings.get("cache_ttl"), uncacheable, key)
            if decision.lookup:
                hit = self.state.cache.get(gateway_scope(ex), decision.key)
                if hit is not None:
                    return self._cache_hit(ex, hit)
            if accounting is not None:
                self._admit(ex, accounting)
                if accounting.rejection is not None:  # the provider refuses the key before answering anything
                    rejection = accounting.rejection
                    find, produce = (lambda: None), (lambda _fixture: rejection)
            settings = ex.gateway_settings
            if "guardrails" in settings or "dlp" in settings:  # a key test: the cheapest "not configured"
                ex.screening = Screening.of(settings)
                if ex.screening is not None:
                    self._screen_prompt(ex, ex.screening, screened)
        fixture = find()
        if fixture is None and self.state.unmatched_goes_upstream:
            raise NoFixture()
        respond = fixture.respond if fixture is not None else {}
        if policy is None:
            policy = RetryPolicy.of(ex.options, ex.gateway_settings) if in_gateway else RetryPolicy()

        def attempt(spec: dict[str, Any]) -> Answer:
            return failure_from(spec["error"]) if "error" in spec and spec is not respond else produce(fixture)

        result = await run_attempts(policy, respond.get("attempts", []), respond, self.state.clock, attempt)
        ex.attempts = result.attempts
        ex.duration_ms = result.duration_ms
        if result.answer is None:
            raise timeout_error(self.state.settings.timeout_status)
        usage = getattr(result.answer, "usage", None)
        if usage is not None:
            ex.usage = usage
            if accounting is not None:
                self._charge(ex, accounting)
        if ex.screening is not None:
            self._screen_response(ex, ex.screening, result.answer, screened, streaming)
        response = render(result.answer, fixture)
        if decision.applies:
            assert ex.trace is not None and decision.key is not None and decision.ttl is not None
            ex.trace.cache_status = "MISS"
            if response.status_code == 200:
                stored = CachedResponse(
                    response.status_code, bytes(response.body), _replayable(response.raw_headers), {"tokens": ex.tokens_in_out},
                    _content_type(response),
                )
                self.state.cache.put(gateway_scope(ex), decision.key, stored, decision.ttl)
        return response

    # --- guardrails and DLP, around the upstream ---------------------------------------------
    def _screen_prompt(self, ex: Exchange, screening: Screening, screened: Any) -> None:
        """Before any attempt: the guardrails' prompt verdict, then the DLP policies that check
        requests. A block (or a failing scanner under a Block rule) answers in place of the upstream."""
        rules = screening.guardrails
        if rules is not None:
            evaluation = evaluate(rules, PROMPT, guarded_text(screened), self.state.classifications, self.state.scanner)
            if evaluation is not None:
                screening.evaluations.append(evaluation)
                err = enforcement(evaluation, rules, ex.run_api)
                if err is not None:
                    raise err
        if screening.policies:
            findings = dlp.scan(screening.policies, dlp.REQUEST, scanned_text(screened), self.state.dlp_profiles)
            screening.findings.extend(findings)
            if any(f.action == dlp.BLOCK for f in findings):
                raise dlp.request_blocked()

    def _screen_response(self, ex: Exchange, screening: Screening, answer: Answer, screened: Any, streaming: bool) -> None:
        """A text-generation answer, before it is rendered: the guardrails' response verdict
        (not enforced for a stream on the REST host, which gets the whole stream; on the gateway
        host a guarded stream is answered as one non-streamed payload), then DLP."""
        if not isinstance(answer, Completion):
            return  # embeddings, other tasks, upstream errors: no response evaluation
        rules = screening.guardrails
        text = answer_text(answer)
        if rules is not None:
            buffered = streaming and ex.on_gateway_host
            evaluation = evaluate(rules, RESPONSE, text, self.state.classifications, self.state.scanner, enforced=not streaming or buffered)
            if evaluation is not None:
                screening.evaluations.append(evaluation)
                if buffered and isinstance(screened, ChatRequest):
                    screened.stream = False
                err = enforcement(evaluation, rules, ex.run_api)
                if err is not None:
                    raise err
        if screening.policies:
            findings = dlp.scan(screening.policies, dlp.RESPONSE, text, self.state.dlp_profiles)
            screening.findings.extend(findings)
            if any(f.action == dlp.BLOCK for f in findings):
                raise dlp.response_blocked()

    def _admit(self, ex: Exchange, accounting: Accounting) -> None:
        """Before the upstream is called: every spend limit that applies must be under its limit
        (else 429), and the credential that pays is chosen (Unified Billing may refuse)."""
        if accounting.gateway.policies.live:
            self._check_policies(ex, accounting)
        if accounting.gateway.spend_rules:
            values = request_values(ex.provider, ex.model or "", ex.options.metadata)
            for rule in accounting.gateway.spend_rules:
                bucket = rule.bucket(values)
                if bucket is None:
                    continue
                if self.state.spend.spent(gateway_scope(ex), rule, bucket) >= rule.limit:
                    raise rule.exceeded(ex.provider, ex.model or "")
                accounting.budgets.append((rule, bucket))
        accounting.billing = self._credential(ex, accounting)

    def _charge(self, ex: Exchange, accounting: Accounting) -> None:
        """After the answer: its cost goes to every budget it was admitted under, and to the
        credits when Unified Billing paid."""
        cost = ex.cost(self.state.catalog)
        if not cost:
            return
        for rule, bucket in accounting.budgets:
            self.state.spend.charge(gateway_scope(ex), rule, bucket, cost)
        for budget in accounting.policy_budgets:
            self.state.policy_spend.charge(gateway_scope(ex), budget, cost)
        if accounting.billing == UNIFIED:
            self.state.credits.charge(ex.account_id or "", cost)

    def _check_policies(self, ex: Exchange, accounting: Accounting) -> None:
        """The gateway's policies, for the caller the request's headers name (403 when they deny
        it, 429 when one of its budgets is spent); the budgets its cost is then charged to."""
        identity = identity_from_headers(ex.headers, ex.options.metadata)
        verdict = evaluate_policies(list(accounting.gateway.policies.live.values()), identity, ex.model or "", ex.provider)
        if verdict.decision == "block":
            raise access_denied()
        for budget in verdict.budgets:
            spent = self.state.policy_spend.spent(gateway_scope(ex), budget)
            if spent >= budget.limit:
                raise spending_limit_exceeded(budget.bucket, spent, budget.limit)
        accounting.policy_budgets = verdict.budgets

    def _credential(self, ex: Exchange, accounting: Accounting) -> str | None:
        """Whose credential pays for this request, in the documented order: the request's own
        provider key, else a key stored on the gateway, else Unified Billing (when allowed, with
        credits left and under its rate limit). None: a Workers AI model, billed apart."""
        if ex.provider == "workers-ai":
            return None
        if ex.provider_key:
            accounting.rejection = rejection(ex.provider, bare_key(ex.provider_key))
            return REQUEST_KEY
        # The alias picks a stored key on the provider-native paths (the gateway host) only.
        alias = ex.options.byok_alias if not ex.path.startswith("/client/") else None
        stored = find_key(accounting.gateway.provider_keys, ex.provider, alias) if accounting.gateway.provider_keys or alias else None
        if stored is not None:
            accounting.rejection = rejection(ex.provider, stored.secret) if stored.secret else None
            return STORED_KEY
        if ex.options.no_wholesale or accounting.gateway.byok_only:
            why = "the gateway sets byok_only" if accounting.gateway.byok_only else "cf-aig-no-wholesale: true"
            raise credentials_required(ex.provider, why)
        credits = self.state.credits
        if credits.metered:
            if not credits.admit(gateway_scope(ex)):
                raise unified_rate_limited()
            if (credits.balance(ex.account_id or "") or 0.0) <= 0:
                raise no_credits(native_path=not ex.path.startswith("/client/"))
        return UNIFIED

    def _cache_hit(self, ex: Exchange, hit: CachedResponse) -> Response:
        assert ex.trace is not None
        ex.trace.cache_status = "HIT"
        ex.cached = True
        tokens = hit.log.get("tokens")
        ex.tokens = (0, tokens[1]) if tokens else None
        # The stored answer as it was sent, headers included: nothing for Response() to work out.
        response = Response.__new__(Response)
        response.status_code, response.body, response.background = hit.status, hit.body, None
        response.raw_headers = list(hit.raw_headers)
        response.media_type = hit.media_type
        return response

    def _match(self, ex: Exchange, endpoint: str, model: str, content: str, request: ChatRequest | None = None) -> Fixture | None:
        ctx = MatchContext(endpoint, model, content, ex.headers, request, ex.body)
        fixture, ex.match_report = self.state.fixtures.match(ctx)
        if fixture is not None:
            ex.fixture = fixture.name
            ex.fixture_item = fixture.item
        return fixture

    def _finish(self, ex: Exchange, response: Response) -> Response:
        if len(ex.raw_body) > KEPT_BODY_BYTES:
            ex.keep_body_prefix()
        if isinstance(response, EventStreamResponse):  # the journal too reads how it ended
            ex.response_body = response
        ex.status = response.status_code
        ex.finished_at = self.state.clock.now()
        if ex.trace is not None:
            trace = ex.trace.raw_headers()
            names = ex.trace.header_names()
            # The gateway's headers replace any of the same name the answer set (a fixture's, a cached one's).
            response.raw_headers[:] = [h for h in response.raw_headers if h[0] not in names] + trace
            if ex.screening is not None:
                found = ex.screening.dlp_header()
                if found is not None:
                    response.raw_headers.append(found)
            self._log(ex, response)
        self.state.journal.record(ex)
        return response

    def _log(self, ex: Exchange, response: Response) -> None:
        """The gateway's log entry for this request (cf-aig-log-id), unless logging is off."""
        collect = ex.options.collect_log
        if collect is None:
            collect = ex.gateway_settings.get("collect_logs", True)
        if not collect or ex.trace is None:
            return
        # A streamed answer's transcript is whole only once sent: its log entry reads it then.
        # Any other answer is settled: the entry keeps its bytes, not the response object.
        if isinstance(response, EventStreamResponse):
            ex.response_body = response
        elif len(response.body) > KEPT_BODY_BYTES:
            ex.response_body, ex.response_size = kept_prefix(bytes(response.body))
        else:
            ex.response_body = response.body
        ex.response_type = _content_type(response)
        self.state.logs.add(gateway_scope(ex), ex.trace.log_id, ex)

    def _gateway_error(self, ex: Exchange, err: GatewayError, door: Door = REST) -> Response:
        ex.error = str(err)
        body = err.body if err.body is not None else door.error_body(err)
        return self._finish(ex, JSONResponse(body, err.status, headers=err.headers))

    def answer_unread(self, request: Request, endpoint: str, response: Response) -> Response:
        """A request the provider turns away before its body matters (journaled, as any)."""
        return self._finish(self._start(request, endpoint), response)

    def reject(self, request: Request, endpoint: str, err: GatewayError, door: Door, raw_body: bytes = b"") -> Response:
        """A request turned away before any dialect saw it (routing, gateway, authentication);
        `raw_body` when it was read (the universal endpoint's), kept as the journal's body."""
        ex = self._start(request, endpoint)
        if raw_body:
            ex.raw_body = raw_body
            ex.body = _json_or_text(raw_body)
        return self._gateway_error(ex, err, door)

    # --- ai/v1/*: raw OpenAI / Anthropic bodies -------------------------------------------
    async def _in_dialect(self, request: Request, dialect: ChatDialect, door: Door, handle: DialectHandler) -> Response:
        """The steps every raw-body endpoint shares: its request id, the front door, the body read
        and validated against the dialect's schema, and errors phrased in that dialect."""
        ex = self._start(request, dialect.endpoint)
        request_id = dialect.new_request_id(self.state.ids)
        id_header = {dialect.request_id_header: request_id} if request_id else {}
        try:
            account_id = door.admit(self.state, request, ex, dialect.endpoint)
            body = await self._read_json(request, ex)
            ex.body = None if body is _MALFORMED else body
            if body is _MALFORMED:
                raise dialect.malformed_json("the body is not valid JSON")
            dialect.validate(body, read_from=ex.raw_body)
            return await handle(ex, account_id, body, request_id, id_header)
        except GatewayError as err:
            err.headers.update(id_header)
            return self._gateway_error(ex, err, door)
        except InvalidRequest as err:
            ex.error = err.message
            body = dialect.error_body(err.status, err.message, err.param, err.code, request_id)
            return self._finish(ex, JSONResponse(body, err.status, headers=id_header))
        except BodyTooLarge as err:
            ex.error = str(err)
            message = f"Request exceeds the maximum allowed number of bytes ({err.limit})"
            body = dialect.error_body(413, message, None, "request_too_large", request_id)
            return self._finish(ex, JSONResponse(body, 413, headers={**id_header, **CLOSE_CONNECTION}))

    async def chat(self, request: Request, dialect: ChatDialect, door: Door = REST) -> Response:
        async def handle(ex: Exchange, account_id: str, body: Any, request_id: str, id_header: dict[str, str]) -> Response:
            req = dialect.parse(body)
            try:
                model = self._model(ex, door, dialect, req.model)
            except GatewayError:  # a route's name is no model: tried only then (free for every other request)
                if door.dynamic_routes and req.model.startswith(DYNAMIC_PREFIX) and dialect.endpoint == CHAT:
                    return await self._dynamic_route(ex, account_id, dialect, door, req, id_header)
                if door.dynamic_routes and req.model == AUTO_ROUTER_MODEL and dialect.endpoint in (CHAT, RESPONSES):
                    return await self._auto_routed(ex, account_id, dialect, req, id_header)
                raise
            if not model.offered:
                return await self._not_offered(ex, account_id, model, dialect, request_id, id_header)
            req.reasoning = dialect.reasons(req, model.reasoning)
            self._gateway(account_id, ex, model, required_for_workers_ai=True)
            find = lambda: self._match(ex, dialect.endpoint, model.name, req.last_user_text, req)  # noqa: E731

            def render(answer: Answer, fixture: Fixture | None) -> Response:
                if isinstance(answer, UpstreamFailure):
                    return self._upstream_failure(answer, dialect, request_id, id_header)
                assert isinstance(answer, Completion)
                ctx = RenderContext(self.state.ids, self.state.clock.now(), req.model)
                if req.stream:
                    return self._stream(dialect.endpoint, req, answer, ctx, fixture, id_header)
                return JSONResponse(dialect.render(req, answer, ctx), headers=id_header)

            produce = lambda fixture: answer_chat(req, fixture, self.state.settings.seed)  # noqa: E731
            return self._finish(ex, await self._through_gateway(ex, find, req.stream, produce, render, req))

        return await self._in_dialect(request, dialect, door, handle)

    async def _dynamic_route(self, ex: Exchange, account_id: str, dialect: ChatDialect, door: Door, req: ChatRequest,
                             id_header: dict[str, str], envelope: bool = False) -> Response:
        """`model: "dynamic/<name>"`: the gateway's route of that name walked element by element
        (emulator.gateway.routes); each model element is an upstream call through the gateway,
        with its own timeout and retries. The last answer that succeeded answers (the last error
        when none did), with `cf-aig-model` and `cf-aig-provider` naming who answered."""
        ex.model = req.model
        gateway = self.state.gateways.resolve(account_id, ex.requested_gateway)
        route = self.state.routes.named(account_id, gateway.id, req.model[len(DYNAMIC_PREFIX):])
        if route is None:
            raise GatewayError(404, 7003, f"Dynamic route not found: {req.model}")
        self._gateway(account_id, ex, Model(name=req.model, task=TEXT_GENERATION), required_for_workers_ai=False)
        scope = f"{gateway_scope(ex)}/routes/{route.id}/"
        facts = RequestFacts(lenient_metadata(ex.headers), ex.headers, req.body, ex.raw_body)
        walk = RouteWalk(
            route, facts, self.state.settings.seed,
            admit=lambda key, rule: self.state.rate_limits.admit(scope + key, rule),
            spent=lambda key, rule: self.state.route_spend.spent(scope + key, rule),
        )
        answered: Response | None = None
        failed: Response | None = None
        served_by = ("", "")
        while (step := walk.next_model()) is not None:
            model = step_model(self.state.catalog, step.provider, step.model)
            ex.model = model.name
            sub = dataclasses.replace(req, model=f"{step.provider}/{step.model}")
            sub.reasoning = dialect.reasons(sub, model.reasoning)
            policy = RetryPolicy(max_attempts=min(step.retries + 1, 5), timeout_ms=step.timeout_ms)
            try:
                response = await self._through_gateway(
                    ex, lambda: self._match(ex, dialect.endpoint, model.name, sub.last_user_text, sub), sub.stream,
                    lambda fixture: answer_chat(sub, fixture, self.state.settings.seed),
                    lambda answer, fixture: self._render_chat(dialect, sub, answer, fixture, id_header, envelope),
                    screened=sub, policy=policy,
                )
            except GatewayError as err:  # the element's timeout: its fallback
                response = JSONResponse(door.error_body(err), err.status, headers=err.headers)
            walk.report(response.status_code < 400)
            if response.status_code < 400:
                answered, served_by = response, (step.model, step.provider)
                for key, _rule in walk.budget_keys:
                    self.state.route_spend.add(scope + key, ex.cost(self.state.catalog))  # a budget node's spend: the answer's cost
            else:
                failed, served_by = response, (step.model, step.provider)
        ex.route_steps = walk.steps
        ex.model = req.model if answered is None and failed is None else ex.model
        response = answered or failed
        if response is None:
            raise rate_limited() if walk.limited_by else GatewayError(400, 2005, "Failed to get response from provider")
        response.headers["cf-aig-model"], response.headers["cf-aig-provider"] = served_by
        return self._finish(ex, response)

    async def _auto_routed(self, ex: Exchange, account_id: str, dialect: ChatDialect, req: ChatRequest, id_header: dict[str, str]) -> Response:
        """`model: "cloudflare/auto"`: the Auto Router's model (emulator.gateway.auto_router)
        serves, and the `cf-aig-routing-*` headers say which and why."""
        ex.model = req.model
        try:
            pool = candidate_pool(ex.headers.get("cf-aig-allowed-models"), ex.headers.get("cf-aig-allowed-providers"))
        except NoAllowedModel as err:
            raise GatewayError(400, 2023, str(err)) from None
        self._gateway(account_id, ex, Model(name=req.model, task=TEXT_GENERATION), required_for_workers_ai=False)
        pool = cheapest_first(pool, self.state.catalog.price, count_text_tokens(req.prompt_text), req.max_tokens)
        decision = self.state.auto_router.decide(gateway_scope(ex), pool, ex.headers, user_turns(req.messages), bool(req.prompt_text.strip()))
        model = named_model(self.state.catalog, decision.model)
        ex.model = model.name
        sub = dataclasses.replace(req, model=decision.model)
        sub.reasoning = dialect.reasons(sub, model.reasoning)
        response = await self._through_gateway(
            ex, lambda: self._match(ex, dialect.endpoint, model.name, sub.last_user_text, sub), sub.stream,
            lambda fixture: answer_chat(sub, fixture, self.state.settings.seed),
            lambda answer, fixture: self._render_chat(dialect, sub, answer, fixture, id_header, False), screened=sub,
        )
        response.headers["cf-aig-routed-model"] = decision.model
        response.headers["cf-aig-routing-reason"] = decision.reason
        response.headers["cf-aig-routing-decision-id"] = self.state.ids.uuid()
        return self._finish(ex, response)

    def _render_chat(self, dialect: ChatDialect, req: ChatRequest, answer: Answer, fixture: Fixture | None,
                     id_header: dict[str, str], envelope: bool) -> Response:
        if isinstance(answer, UpstreamFailure):
            return self._upstream_failure(answer, None if envelope else dialect, "", id_header)
        assert isinstance(answer, Completion)
        ctx = RenderContext(self.state.ids, self.state.clock.now(), req.model)
        if req.stream:
            return self._stream(dialect.endpoint, req, answer, ctx, fixture, id_header)
        body = dialect.render(req, answer, ctx)
        return JSONResponse(cloudflare_v4.success(body) if envelope else body, headers=id_header)

    async def count_tokens(self, request: Request, door: Door) -> Response:
        """Anthropic's token count for a Messages body, as `messages` would bill its input."""
        dialect = ANTHROPIC_COUNT_TOKENS

        async def handle(ex: Exchange, account_id: str, body: Any, request_id: str, id_header: dict[str, str]) -> Response:
            req = dialect.parse(body)
            model = self._model(ex, door, dialect, req.model)
            if not model.offered:
                return await self._not_offered(ex, account_id, model, dialect, request_id, id_header)
            self._gateway(account_id, ex, model, required_for_workers_ai=True)
            produce = lambda _fixture: TaskOutput({"input_tokens": input_tokens(req)})  # noqa: E731

            def render(answer: Answer, _fixture: Fixture | None) -> Response:
                if isinstance(answer, UpstreamFailure):
                    return self._upstream_failure(answer, dialect, request_id, id_header)
                assert isinstance(answer, TaskOutput)
                return JSONResponse(answer.value, headers=id_header)

            return self._finish(ex, await self._through_gateway(ex, lambda: None, False, produce, render, req))

        return await self._in_dialect(request, dialect, door, handle)

    # --- ai/v1/embeddings: OpenAI's embeddings format over Workers AI embedding models --------
    async def embeddings(self, request: Request, door: Door = REST) -> Response:
        dialect = OPENAI_EMBEDDINGS

        async def handle(ex: Exchange, account_id: str, body: Any, request_id: str, id_header: dict[str, str]) -> Response:
            req = dialect.parse_embeddings(body)
            model = self._model(ex, door, dialect, req.model)
            if not model.offered:
                return await self._not_offered(ex, account_id, model, dialect, request_id, id_header)
            dialect.check_input(req, model)
            dialect.check_dimensions(req, int(model.output.get("dimensions", 768)))
            model_input = dialect.model_input(req)
            workers_ai.validate_input(model, model_input)
            self._gateway(account_id, ex, model, required_for_workers_ai=True)
            find = lambda: self._match(ex, dialect.endpoint, model.name, req.texts[-1])  # noqa: E731
            produce = lambda fixture: answer_task(model, model_input, fixture, self.state.settings.seed)  # noqa: E731

            def render(answer: Answer, _fixture: Fixture | None) -> Response:
                if isinstance(answer, UpstreamFailure):
                    return self._upstream_failure(answer, dialect, request_id, id_header)
                assert isinstance(answer, TaskOutput)
                return JSONResponse(dialect.render_embeddings(req, answer), headers=id_header)

            return self._finish(ex, await self._through_gateway(ex, find, False, produce, render, req.texts))

        return await self._in_dialect(request, dialect, door, handle)

    def _model(self, ex: Exchange, door: Door, dialect: ChatDialect, name: str) -> Model:
        """The requested model as this door names it, checked to serve this endpoint (unless
        its provider does not have it: see _not_offered)."""
        ex.model = name
        model = door.model(self.state, name)
        ex.model = model.name
        if model.offered:
            self._check_endpoint(model, dialect)
        return model

    async def _not_offered(self, ex: Exchange, account_id: str, model: Model, dialect: ChatDialect, request_id: str, id_header: dict[str, str]) -> Response:
        """A model its provider does not have (the gateway host forwards any id): the provider's
        own error, through the gateway (logged, never cached, not retried: a 4xx), whatever a
        fixture says (a universal endpoint falls back on it)."""
        self._gateway(account_id, ex, model, required_for_workers_ai=True)
        status, body = dialect.model_not_found(model.name.partition("/")[2], request_id)
        failure = UpstreamFailure(status, f"model not found: {model.name}", body)
        render = lambda answer, _fixture: self._upstream_failure(answer, dialect, request_id, id_header)  # noqa: E731
        return self._finish(ex, await self._through_gateway(ex, lambda: None, False, lambda _fixture: failure, render))

    def _check_endpoint(self, model: Model, dialect: ChatDialect) -> None:
        if dialect.endpoint in model.endpoints:
            return
        path = ENDPOINT_PATHS[dialect.endpoint]
        if model.is_workers_ai and dialect.endpoint == MESSAGES:
            raise InvalidRequest(
                f"model: Workers AI models (@cf/) do not support the Anthropic Messages API ({path}); "
                f"use /ai/run or /ai/v1/chat/completions for {model.name}",
                "model",
            )
        raise InvalidRequest(f"model: {model.name} ({model.task}) is not supported on {path}", "model", code="model_not_supported")

    def _upstream_failure(self, failure: UpstreamFailure, dialect: ChatDialect | None, request_id: str, headers: dict[str, str]) -> Response:
        """A provider error: its body verbatim if the fixture gave one, else in the endpoint's dialect."""
        headers = {**headers, **failure.headers}
        if failure.body is not None:
            return JSONResponse(failure.body, failure.status, headers=headers)
        if dialect is None:
            code = 3040 if failure.status == 429 else 3007 if failure.status == 408 else 5000
            body = cloudflare_v4.failure([(code, f"AiError: {failure.message}")])
            return JSONResponse(body, failure.status, headers=headers)
        return JSONResponse(dialect.error_body(failure.status, failure.message, None, None, request_id), failure.status, headers=headers)

    # --- ai/run: the v4 envelope -------------------------------------------------------
    async def run_envelope(self, request: Request) -> Response:
        ex = self._start(request, RUN)
        try:
            account_id = REST.admit(self.state, request, ex, RUN)
            body = await self._read_json(request, ex)
            if body is _MALFORMED:
                raise malformed_json()
            ex.body = body
            check_envelope(body)
            ex.model = body["model"]
            if isinstance(body["model"], str) and body["model"].startswith(DYNAMIC_PREFIX):
                chat_body = {**body["input"], "model": body["model"]} if isinstance(body["input"], dict) else body["input"]
                OPENAI_CHAT.validate(chat_body)  # a route takes the OpenAI chat shape (InvalidRequest: below)
                return await self._dynamic_route(ex, account_id, OPENAI_CHAT, REST, OPENAI_CHAT.parse(chat_body), {}, envelope=True)
            model = REST.model(self.state, body["model"])
            if RUN not in model.endpoints:
                raise workers_ai.bad_input(f"model {model.name} does not support /ai/run")
            return await self._run(request, ex, account_id, model, body["input"], required_for_workers_ai=True)
        except InvalidRequest as err:
            return self._gateway_error(ex, model_input_error(ex.model, err))
        except GatewayError as err:
            return self._gateway_error(ex, err)
        except BodyTooLarge:
            return self._gateway_error(ex, request_too_large())

    # --- ai/run/{model}: the legacy Workers AI path ---------------------------------------
    async def run_legacy(self, request: Request, door: Door = REST, name: str | None = None) -> Response:
        """`name`: the model, when the route does not call its path parameter `model`."""
        ex = self._start(request, RUN)
        try:
            account_id = door.admit(self.state, request, ex, RUN)
            name = name or request.path_params["model"]
            ex.model = name
            if not name.startswith("@cf/"):
                raise GatewayError(400, 7000, "No route for that URI")
            model = door.model(self.state, name)
            model_input = await self._legacy_input(request, ex, model)
            ex.body = model_input if not isinstance(model_input, (bytes, bytearray)) else None
            return await self._run(request, ex, account_id, model, model_input, required_for_workers_ai=False)
        except InvalidRequest as err:
            return self._gateway_error(ex, model_input_error(ex.model, err), door)
        except GatewayError as err:
            return self._gateway_error(ex, err, door)
        except BodyTooLarge:
            return self._gateway_error(ex, request_too_large(), door)

    async def _legacy_input(self, request: Request, ex: Exchange, model: Model) -> Any:
        content_type = request.headers.get("content-type", "")
        if model.task == "Automatic Speech Recognition" and "json" not in content_type:
            raw = ex.raw_body = await read_body(request, self.state.settings.max_body_bytes)
            if not raw:
                raise GatewayError(400, 3003, "Request is missing headers or body: body")
            return {"audio": list(raw)}
        body = await self._read_json(request, ex)
        if body is _MALFORMED:
            raise malformed_json()
        return body

    async def _run(self, request: Request, ex: Exchange, account_id: str, model: Model, model_input: Any, required_for_workers_ai: bool) -> Response:
        if model.is_workers_ai:
            workers_ai.validate_input(model, model_input)
        else:
            model_input = self._native_request(model, model_input)
        gateway = self._gateway(account_id, ex, model, required_for_workers_ai)
        extra_headers = {} if gateway is not None else {"cf-ai-req-id": self.state.ids.uuid()}
        if model.task != TEXT_GENERATION:
            find_task = lambda: self._match(ex, RUN, model.name, _task_text(model_input))  # noqa: E731
            produce_task = lambda fixture: answer_task(model, model_input, fixture, self.state.settings.seed)  # noqa: E731
            render_task = lambda answer, _fixture: self._render_task(ex, model, answer, extra_headers)  # noqa: E731
            return self._finish(ex, await self._through_gateway(ex, find_task, False, produce_task, render_task, model_input))
        if model.is_workers_ai:
            req = workers_ai.parse_text_generation(model, model_input)
            dialect = None
        else:
            dialect = NATIVE_DIALECTS[model.native_format]
            req = dialect.parse(model_input)
            req.reasoning = dialect.reasons(req, model.reasoning)
        find = lambda: self._match(ex, RUN, model.name, req.last_user_text, req)  # noqa: E731

        def render(answer: Answer, fixture: Fixture | None) -> Response:
            if isinstance(answer, UpstreamFailure):
                return self._run_failure(ex, model, answer, extra_headers)
            assert isinstance(answer, Completion)
            ctx = RenderContext(self.state.ids, self.state.clock.now(), model.name)
            if req.stream:  # not enveloped: Workers AI frames, or the provider's own stream
                return self._stream(dialect.endpoint if dialect else RUN, req, answer, ctx, fixture, extra_headers)
            if dialect is None:
                result = workers_ai.render_text_generation(req, answer)
            else:
                result = dialect.render(req, answer, ctx)
            return JSONResponse(cloudflare_v4.success(result), headers=extra_headers)

        produce = lambda fixture: answer_chat(req, fixture, self.state.settings.seed)  # noqa: E731
        return self._finish(ex, await self._through_gateway(ex, find, req.stream, produce, render, req))

    def _stream(self, wire_format: str, req: ChatRequest, answer: Completion, ctx: RenderContext, fixture: Fixture | None, headers: dict[str, str]) -> Response:
        plan = StreamPlan.of(fixture)
        renderer = STREAMS[wire_format](req, answer, ctx, plan)
        return event_stream(renderer, plan, self.state.clock, headers, fixture.name if fixture else "synth")

    def _native_request(self, model: Model, model_input: dict[str, Any]) -> dict[str, Any]:
        """A third-party model's input is its provider's own request body, checked as such."""
        dialect = NATIVE_DIALECTS[model.native_format]
        body = {**model_input, "model": model.name}
        dialect.validate(body)  # InvalidRequest: see model_input_error
        return body

    def _run_failure(self, ex: Exchange, model: Model, failure: UpstreamFailure, headers: dict[str, str]) -> Response:
        """A provider error on ai/run. A third-party provider that rejects the credentials is the
        gateway's own error there (emulator.gateway.credentials); any other passes through."""
        if failure.status == PROVIDER_REJECTED_CREDENTIALS and not model.is_workers_ai:
            err = credentials_rejected(stored_keys=ex.billing == STORED_KEY)
            ex.error = str(err)
            return JSONResponse(cloudflare_v4.gateway_error(err), err.status, headers=headers)
        return self._upstream_failure(failure, None, "", headers)

    def _render_task(self, ex: Exchange, model: Model, answer: Answer, headers: dict[str, str]) -> Response:
        if isinstance(answer, UpstreamFailure):
            return self._run_failure(ex, model, answer, headers)
        assert isinstance(answer, TaskOutput)
        if isinstance(answer.value, (bytes, bytearray)):
            return Response(bytes(answer.value), media_type=answer.content_type, headers=headers)
        return JSONResponse(cloudflare_v4.success(answer.value), headers=headers)


def model_input_error(model: str | None, err: InvalidRequest) -> GatewayError:
    """A bad model input on ai/run, in Workers AI's words (5006) or the unified catalog's (7003)."""
    if model is None or model.startswith("@cf/"):  # None: the envelope was not read
        return workers_ai.bad_input(err.message)
    return GatewayError(400, 7003, f"Model execution failed (User Input Error): {err.message}")


def gateway_scope(ex: Exchange) -> str:
    """Caches, rate limits and logs are per gateway: account and gateway id."""
    return f"{ex.account_id}/{ex.gateway}"


# Headers a cached answer replays; the cf-aig-* ones belong to each request.
def _replayable(raw_headers: list[tuple[bytes, bytes]]) -> tuple[tuple[bytes, bytes], ...]:
    return tuple((name, value) for name, value in raw_headers if not name.lower().startswith(b"cf-aig-"))


def _content_type(response: Response) -> str | None:
    if response.media_type is not None:
        return response.media_type
    return next((value.decode("latin-1") for name, value in response.raw_headers if name == b"content-type"), None)


def gateway_log_entry(ex: Exchange, prices: Catalog) -> dict[str, Any]:
    assert ex.trace is not None
    response_size = ex.response_size
    tokens = ex.tokens_in_out
    tokens_in, tokens_out = tokens if tokens else (None, None)
    if isinstance(ex.response_body, EventStreamResponse):
        stream = ex.response_body
        body, response_size = stream.kept_transcript()
        if stream.abandoned:
            tokens_out = stream.delivered_tokens
    else:
        body = bytes((ex.response_body.body if isinstance(ex.response_body, Response) else ex.response_body) or b"")
    status = ex.final_status
    entry: dict[str, Any] = {
        "id": ex.trace.log_id,
        "created_at": iso(ex.started_at),
        "provider": PROVIDER_OF_AUTHOR.get(ex.provider, ex.provider),
        "model": ex.model or "",
        "model_type": "text-generation" if ex.endpoint != RUN else None,
        "path": ex.path,
        "request_type": ex.endpoint,
        "status_code": status,
        "success": 200 <= status < 300,
        "cached": ex.cached,
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
        "duration": ex.duration_ms,
        "cost": ex.cost(prices),
        "custom_cost": ex.custom_cost,
        "wholesale": ex.billing == UNIFIED,
        "byok": ex.billing == STORED_KEY,
        "metadata": metadata_text(ex.options.metadata),
        "step": ex.trace.step,
        "event_id": ex.trace.event_id,
        "request_content_type": ex.headers.get("content-type"),
        "response_content_type": ex.response_type,
        "request_size": ex.body_size if ex.body_size >= 0 else len(ex.raw_body),
        "response_size": response_size if response_size >= 0 else len(body),
        "request_head_complete": ex.body_size < 0,
        "response_head_complete": response_size < 0,
        "attempts": [a.view() for a in ex.attempts],
        "collect_log_payload": ex.options.collect_log_payload,
    }
    if ex.screening is not None:
        entry.update(ex.screening.view())
    if ex.route_steps is not None:
        entry["route_steps"] = ex.route_steps
    if ex.options.collect_log_payload:
        entry["request_head"] = redacted_text(ex.raw_body.decode("utf-8", "replace"))
        entry["response_head"] = body.decode("utf-8", "replace")
        entry["request_body"] = redacted_body(ex.body) if ex.body_size < 0 else entry["request_head"]
        entry["response_body"] = _json_or_text(body)
    else:
        entry["request_head_complete"] = entry["response_head_complete"] = False
    return entry


def _json_or_text(body: bytes) -> Any:
    try:
        return json_codec.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body.decode("utf-8", "replace")


class _Malformed:
    pass


_MALFORMED = _Malformed()


def check_envelope(body: Any) -> None:
    validator = load_schema_validator("requests/ai_run.json")
    if not validator.is_valid(body):
        error = validator.best_error(body)
        assert error is not None
        raise workers_ai.bad_input(workers_ai.describe(error))
    options = body.get("options") or {}
    if "webhookUrl" in options and options.get("background") is not True:
        raise workers_ai.bad_input("options.webhookUrl requires options.background to be true")
    if "webhookFormat" in options and "webhookUrl" not in options:
        raise workers_ai.bad_input("options.webhookFormat requires options.webhookUrl")


def guarded_text(screened: Any) -> str:
    """The prompt the guardrails classify: a chat's last user message (what a fixture's `content`
    matches), a task's text, the embedding texts."""
    if isinstance(screened, ChatRequest):
        return screened.last_user_text
    if isinstance(screened, list):
        return "\n".join(t for t in screened if isinstance(t, str))
    return _task_text(screened)


def scanned_text(screened: Any) -> str:
    """The request text DLP scans: every message of a chat (system and tool messages too)."""
    if isinstance(screened, ChatRequest):
        return screened.prompt_text
    return guarded_text(screened)


def answer_text(answer: Completion) -> str:
    """A text-generation answer's text, tool-call arguments included."""
    parts = [answer.text or ""]
    parts.extend(json_codec.dumps_text(call.arguments) for call in answer.tool_calls)
    return "\n".join(parts)


def _task_text(model_input: Any) -> str:
    if isinstance(model_input, dict):
        for key in ("text", "prompt", "input_text"):
            value = model_input.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, list) and value and isinstance(value[-1], str):
                return value[-1]
    return ""
