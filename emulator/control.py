"""The emulator's own control API under /__emulator__/: health, reset, clock, journal, fixtures."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulator import __version__
from emulator.fixtures import check_fixture_document
from emulator.schema_check import ConfigError
from emulator.state import EmulatorState

PREFIX = "/__emulator__"


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status)


class ControlApi:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        return [
            Route(f"{PREFIX}/health", self.health, methods=["GET"]),
            Route(f"{PREFIX}/reset", self.reset, methods=["POST"]),
            Route(f"{PREFIX}/clock", self.clock, methods=["GET", "POST"]),
            Route(f"{PREFIX}/journal", self.journal, methods=["GET", "DELETE"]),
            Route(f"{PREFIX}/fixtures", self.fixtures, methods=["GET", "POST", "DELETE"]),
            Route(f"{PREFIX}/fixtures/{{fixture_id:path}}", self.fixture, methods=["DELETE"]),
        ]

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
            body = await _json(request)
            if not isinstance(body, dict) or not isinstance(body.get("advance"), (int, float)) or isinstance(body.get("advance"), bool):
                return _problem(400, 'body must be {"advance": <seconds, a number >= 0>}')
            if body["advance"] < 0:
                return _problem(400, "advance: the clock cannot go backwards")
            self.state.clock.advance(float(body["advance"]))
        return JSONResponse(self._clock_view())

    async def journal(self, request: Request) -> JSONResponse:
        if request.method == "DELETE":
            self.state.journal.reset()
            return JSONResponse({"entries": []})
        return JSONResponse({"entries": self.state.journal.entries()})

    async def fixtures(self, request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse({"fixtures": [{"id": f.source, "name": f.name, **f.spec} for f in self.state.fixtures]})
        if request.method == "DELETE":
            self.state.fixtures.reset()
            return JSONResponse({"fixtures": []})
        body = await _json(request)
        document = body if isinstance(body, dict) and "fixtures" in body else {"fixtures": [body]}
        try:
            check_fixture_document(document, "request body")
        except ConfigError as exc:
            return _problem(400, str(exc))
        added = [self.state.fixtures.add_runtime(spec) for spec in document["fixtures"]]
        return JSONResponse({"fixtures": [{"id": f.source, "name": f.name} for f in added]}, 201)

    async def fixture(self, request: Request) -> JSONResponse:
        fixture_id = request.path_params["fixture_id"]
        if not self.state.fixtures.remove_runtime(fixture_id):
            return _problem(404, f"no runtime fixture {fixture_id!r}")
        return JSONResponse({"removed": fixture_id})


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return None
