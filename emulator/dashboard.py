"""The local dashboard: the page at /__emulator__/ui/ (plain HTML, CSS and JavaScript shipped in
emulator/ui/, no build step, nothing fetched from the network) and the JSON it reads from
/__emulator__/dashboard/...: gateways with their totals and a time series, each gateway's logs
filtered as the logs API filters them, one log's detail with its journal entry, and a cheap
signature the page polls to know when to read again."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from emulator.control import PREFIX
from emulator.errors import GatewayError
from emulator.gateway.gateways import iso
from emulator.gateways_api import checked_query, error_response, gateway_view, log_page
from emulator.json_codec import JSONResponse
from emulator.redaction import redacted_body
from emulator.state import EmulatorState

UI_DIR = Path(__file__).parent / "ui"
UI_FILES = {"index.html": "text/html", "dashboard.css": "text/css", "dashboard.js": "text/javascript"}
DATA = f"{PREFIX}/dashboard"
# The chart's time buckets: as few seconds each as keep the series at most this many buckets.
MAX_BUCKETS = 30
BUCKET_SECONDS = (1, 5, 10, 30, 60, 300, 600, 1800, 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400, 365 * 86400)


def _seconds(created_at: str) -> float:
    return datetime.fromisoformat(created_at.replace("Z", "+00:00")).timestamp()


def totals(entries: list[dict[str, Any]]) -> dict[str, Any]:
    requests = len(entries)
    cached = sum(1 for e in entries if e.get("cached"))
    return {
        "requests": requests,
        "cached": cached,
        "cache_hit_rate": cached / requests if requests else 0.0,
        "errors": sum(1 for e in entries if not e.get("success")),
        "tokens_in": sum(e.get("tokens_in") or 0 for e in entries),
        "tokens_out": sum(e.get("tokens_out") or 0 for e in entries),
        "cost": sum(e.get("cost") or 0 for e in entries),
    }


def series(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Requests, errors and cache hits per time bucket, from the first entry to the last."""
    if not entries:
        return {"bucket_seconds": BUCKET_SECONDS[0], "buckets": []}
    times = [_seconds(e["created_at"]) for e in entries]
    first, last = min(times), max(times)
    width = next((w for w in BUCKET_SECONDS if (last - first) / w < MAX_BUCKETS), BUCKET_SECONDS[-1])
    start = math.floor(first / width) * width
    count = int((last - start) // width) + 1
    buckets = [{"start": iso(start + i * width), "requests": 0, "errors": 0, "cached": 0} for i in range(count)]
    for t, entry in zip(times, entries):
        bucket = buckets[min(int((t - start) // width), count - 1)]
        bucket["requests"] += 1
        bucket["errors"] += not entry.get("success")
        bucket["cached"] += bool(entry.get("cached"))
    return {"bucket_seconds": width, "buckets": buckets}


def stream_chunks(transcript: str, fixture_spec: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A streamed answer's events as written, each with when it left on the emulator's clock (ms
    after the answer started) where the fixture's stream plan set delays, else null."""
    plan = ((fixture_spec or {}).get("respond") or {}).get("stream") or {}
    first, every = plan.get("first_chunk_delay_ms", 0), plan.get("chunk_delay_ms", 0)
    timed = bool(first or every)
    frames = [frame for frame in transcript.split("\n\n") if frame.strip()]
    return [{"index": i, "at_ms": (first + i * every) if timed else None, "data": frame} for i, frame in enumerate(frames)]


class Dashboard:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        return [
            Route(f"{PREFIX}/ui", self.home, methods=["GET"]),
            Route(f"{PREFIX}/ui/", self.page, methods=["GET"]),
            Route(f"{PREFIX}/ui/{{name}}", self.page, methods=["GET"]),
            Route(f"{DATA}/signature", self.signature, methods=["GET"]),
            Route(f"{DATA}/gateways", self.gateways, methods=["GET"]),
            Route(f"{DATA}/gateways/{{account_id}}/{{gateway_id}}/logs", self.logs, methods=["GET"]),
            Route(f"{DATA}/gateways/{{account_id}}/{{gateway_id}}/logs/{{log_id}}", self.log, methods=["GET"]),
        ]

    async def home(self, request: Request) -> Response:
        return RedirectResponse(f"{PREFIX}/ui/", 308)

    async def page(self, request: Request) -> Response:
        name = request.path_params.get("name", "index.html")
        if name not in UI_FILES:
            return JSONResponse({"error": f"no dashboard file {name!r}"}, 404)
        return FileResponse(UI_DIR / name, media_type=UI_FILES[name], headers={"cache-control": "no-cache"})

    async def signature(self, request: Request) -> JSONResponse:
        """What changes when a log is added or deleted, a gateway made or dropped, the clock moved:
        the page polls this and reads the rest only when it changed."""
        gateways = [f"{account}/{g}" for account, ids in self.state.gateways.ids().items() for g in ids]
        # The clock's position, not its time: a real clock's time moves on every poll.
        return JSONResponse({"signature": [gateways, self.state.logs.sizes(), self.state.clock.position()], "clock": self._clock()})

    def _clock(self) -> dict[str, Any]:
        now = self.state.clock.now()
        return {"mode": self.state.clock.mode, "now": now, "iso": iso(now)}

    async def gateways(self, request: Request) -> JSONResponse:
        listed = []
        for account_id, gateways in self.state.gateways.ids().items():
            for gateway_id in gateways:
                gateway = self.state.gateways.find(account_id, gateway_id)
                assert gateway is not None
                entries = self.state.logs.entries(f"{account_id}/{gateway_id}")
                listed.append({
                    "account_id": account_id, "gateway": gateway_view(gateway),
                    "totals": totals(entries), "series": series(entries),
                })
        return JSONResponse({"gateways": listed, "clock": self._clock()})

    def _scope(self, request: Request) -> str:
        account_id, gateway_id = request.path_params["account_id"], request.path_params["gateway_id"]
        if self.state.gateways.find(account_id, gateway_id) is None:
            raise GatewayError(404, 7002, "Not Found")
        return f"{account_id}/{gateway_id}"

    async def logs(self, request: Request) -> JSONResponse:
        try:
            rows, info = log_page(self.state.logs.entries(self._scope(request)), request, checked_query(request))
        except GatewayError as err:
            return error_response(err)
        # The log says only `cached`; the journal knows MISS (caching applied) from no caching.
        statuses = self.state.journal.cache_statuses({row["id"] for row in rows})
        for row in rows:
            row["cache_status"] = statuses.get(row["id"], "HIT" if row.get("cached") else None)
        return JSONResponse({"result": rows, "result_info": info})

    async def log(self, request: Request) -> JSONResponse:
        try:
            entry = self.state.logs.get(self._scope(request), request.path_params["log_id"])
        except GatewayError as err:
            return error_response(err)
        if entry is None:
            return error_response(GatewayError(404, 7002, "Log not found"))
        journal = self.state.journal.find_log(entry["id"])
        if journal is None and self.state.saved is not None:  # an earlier run's: its answer was saved with the log
            journal = self.state.saved.answer(f"{request.path_params['account_id']}/{request.path_params['gateway_id']}", entry["id"])
        chunks = None
        if entry.get("response_content_type") == "text/event-stream" and isinstance(entry.get("response_head"), str):
            chunks = stream_chunks(entry["response_head"], self._fixture_spec(journal))
        # The journal's and the log's entries come masked already; the page masks what it adds too.
        return JSONResponse(redacted_body({"entry": entry, "journal": journal, "chunks": chunks}))

    def _fixture_spec(self, journal: dict[str, Any] | None) -> dict[str, Any] | None:
        if not journal or not journal.get("fixture"):
            return None
        winner = next((r["source"] for r in journal.get("fixture_report", []) if r["fixture"] == journal["fixture"] and r["result"] == "matched"), None)
        return next((f.spec for f in self.state.fixtures if f.source == winner), None)
