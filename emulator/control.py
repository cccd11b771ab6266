"""The emulator's own control API under /__emulator__/: health, reset, clock, journal, fixtures,
guardrail classifications and the guardrail scanner's state."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from emulator import __version__, json_codec
from emulator.fixtures import check_fixture_document
from emulator.gateway.guardrails import SCANNER_STATES
from emulator.json_codec import JSONResponse
from emulator.openapi import openapi_document
from emulator.request_body import read_body
from emulator.schema_check import ConfigError
from emulator.state import EmulatorState

PREFIX = "/__emulator__"


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status)


class BodyNotJSON(Exception):
    """A request body that does not parse as JSON (UTF-8)."""


class ControlApi:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        return [
            Route(f"{PREFIX}/openapi.json", self.openapi, methods=["GET"]),
            Route(f"{PREFIX}/health", self.health, methods=["GET"]),
            Route(f"{PREFIX}/reset", self.reset, methods=["POST"]),
            Route(f"{PREFIX}/clock", self.clock, methods=["GET", "POST"]),
            Route(f"{PREFIX}/journal", self.journal, methods=["GET", "DELETE"]),
            Route(f"{PREFIX}/fixtures", self.fixtures, methods=["GET", "POST", "DELETE"]),
            Route(f"{PREFIX}/fixtures/{{fixture_id:path}}", self.fixture, methods=["DELETE"]),
            Route(f"{PREFIX}/classifications", self.classifications, methods=["GET", "POST", "DELETE"]),
            Route(f"{PREFIX}/classifications/{{rule_id:path}}", self.classification, methods=["DELETE"]),
            Route(f"{PREFIX}/guardrails", self.guardrails, methods=["GET", "POST"]),
            Route(f"{PREFIX}/credits", self.credits, methods=["GET", "PUT"]),
        ]

    async def openapi(self, request: Request) -> JSONResponse:
        return JSONResponse(openapi_document())

    async def health(self, request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__, "clock": self.state.clock.mode, "seed": self.state.settings.seed})

    async def reset(self, request: Request) -> JSONResponse:
        self.state.reset()
        return JSONResponse({"reset": True, "clock": self._clock_view()})

    def _clock_view(self) -> dict[str, Any]:
        now = self.state.clock.now()
        iso = datetime.fromtimestamp(now, tz=timezone.utc).isoformat().replace("+00:00", "Z")
        return {"mode": self.state.clock.mode, "now": now, "iso": iso}

    async def clock(self, request: Request) -> JSONResponse:
        if request.method == "POST":
            try:
                body = await _json(request)
            except BodyNotJSON as exc:
                return _problem(400, str(exc))
            if not isinstance(body, dict) or not isinstance(body.get("advance"), (int, float)) or isinstance(body.get("advance"), bool):
                return _problem(400, 'body must be {"advance": <seconds, a number >= 0>}')
            try:
                self.state.clock.advance(float(body["advance"]))
            except (ValueError, OverflowError) as exc:
                return _problem(400, f"advance: {exc}")
        return JSONResponse(self._clock_view())

    async def journal(self, request: Request) -> JSONResponse:
        if request.method == "DELETE":
            self.state.journal.reset()
            return JSONResponse({"entries": []})
        return JSONResponse({"entries": self.state.journal.entries()})

    async def fixtures(self, request: Request) -> Response:
        return await _runtime_section(request, self.state.fixtures, "fixtures")

    async def credits(self, request: Request) -> JSONResponse:
        """Unified Billing credits: PUT {"balance", "account_id"?} sets one account's or every account's."""
        credits = self.state.credits
        account_id = request.query_params.get("account_id") or self.state.settings.example_account_id
        if request.method == "PUT":
            try:
                body = await _json(request)
            except BodyNotJSON as exc:
                return _problem(400, str(exc))
            balance = body.get("balance") if isinstance(body, dict) else None
            if isinstance(balance, bool) or not isinstance(balance, (int, float)) or balance < 0:
                return _problem(400, 'body must be {"balance": <USD, a number >= 0>, "account_id"?: <id>}')
            if "account_id" in body:
                if not isinstance(body["account_id"], str) or not body["account_id"]:
                    return _problem(400, "account_id: must be a non-empty string")
                account_id = body["account_id"]
                credits.set(account_id, float(balance))
            else:
                credits.set_every_account(float(balance))
        return JSONResponse({"metered": credits.metered, "account_id": account_id, "balance": credits.balance(account_id)})

    async def fixture(self, request: Request) -> JSONResponse:
        fixture_id = request.path_params["fixture_id"]
        if not self.state.fixtures.remove_runtime(fixture_id):
            return _problem(404, f"no runtime fixture {fixture_id!r}")
        return JSONResponse({"removed": fixture_id})

    async def classifications(self, request: Request) -> Response:
        """Guardrail classifications added at run time (validated like the fixture files' `classifications`)."""
        return await _runtime_section(request, self.state.classifications, "classifications")

    async def classification(self, request: Request) -> JSONResponse:
        rule_id = request.path_params["rule_id"]
        if not self.state.classifications.remove_runtime(rule_id):
            return _problem(404, f"no runtime classification {rule_id!r}")
        return JSONResponse({"removed": rule_id})

    async def guardrails(self, request: Request) -> JSONResponse:
        """The guardrail scanner's scripted state: available, unavailable or credits_exhausted."""
        scanner = self.state.scanner
        if request.method == "POST":
            try:
                body = await _json(request)
            except BodyNotJSON as exc:
                return _problem(400, str(exc))
            if not isinstance(body, dict) or body.get("scanner") not in SCANNER_STATES:
                return _problem(400, f"body must be {{\"scanner\": one of {', '.join(SCANNER_STATES)}}}")
            scanner.status = body["scanner"]
        return JSONResponse({"scanner": scanner.status})


async def _json(request: Request) -> Any:
    """The body read as JSON (as Python reads it: NaN, integers of any size); BodyNotJSON when it
    is not JSON. TooDeep and BodyTooLarge are answered by app.py."""
    raw = await read_body(request, request.app.state.emulator.settings.max_body_bytes, ClientDisconnect)
    json_codec.check_depth(raw)
    try:
        return json.loads(raw)
    except UnicodeDecodeError as exc:
        raise BodyNotJSON(f"request body: not JSON (not UTF-8 at byte {exc.start})") from None
    except ValueError as exc:
        detail = "it is empty" if not raw.strip() else str(exc)
        raise BodyNotJSON(f"request body: not JSON ({detail})") from None


async def _runtime_section(request: Request, store: Any, section: str) -> Response:
    """A section of the fixture document kept at run time (`fixtures`, `classifications`): GET lists
    it, DELETE empties it, POST validates one entry or a document with that section and adds it."""
    if request.method == "GET":
        return JSONResponse({section: [{"id": r.source, "name": r.name, **r.spec} for r in store]})
    if request.method == "DELETE":
        store.reset()
        return JSONResponse({section: []})
    try:
        body = await _json(request)
    except BodyNotJSON as exc:
        return _problem(400, str(exc))
    document = body if isinstance(body, dict) and section in body else {section: [body]}
    try:
        check_fixture_document(document, "request body")
    except ConfigError as exc:
        return _problem(400, str(exc))
    added = [store.add_runtime(spec) for spec in document[section]]
    return JSONResponse({section: [{"id": r.source, "name": r.name} for r in added]}, 201)
