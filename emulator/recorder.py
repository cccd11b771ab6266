"""Record mode: an ASGI app in front of the emulator that forwards requests to an upstream (the
real gateway, or any base URL) and writes each exchange as a fixture file (emulator.recording).

`record`: every request but the control API goes upstream. `record --record-missing`: the
emulator answers what its fixtures match (the pipeline raises `NoFixture` instead of
synthesizing), and only the rest goes upstream and is recorded, then answered from its new
fixture next time. The answer reaches the client as the upstream sent it, a stream chunk by chunk.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.errors import UNANSWERED_HEADER
from emulator.recording import RecordedExchange, Redactor, fixture_document
from emulator.state import EmulatorState

# Not forwarded: what the connection to the upstream sets itself, and compression (the recorder
# reads the answer).
_REQUEST_HEADERS_DROPPED = frozenset({b"host", b"content-length", b"connection", b"accept-encoding", b"transfer-encoding", b"keep-alive"})
_RESPONSE_HEADERS_DROPPED = frozenset({b"content-length", b"connection", b"transfer-encoding", b"content-encoding", b"keep-alive"})
_CONTROL = "/__emulator__/"


class Recorder:
    def __init__(self, emulator: ASGIApp, state: EmulatorState, upstream: str, out_dir: Path, missing_only: bool, redactor: Redactor) -> None:
        self.emulator = emulator
        self.state = state
        self.upstream = upstream.rstrip("/")
        self.out_dir = out_dir
        self.missing_only = missing_only
        self.redactor = redactor
        self._client: Any = None  # httpx.AsyncClient, made in the server's event loop
        self._recorded: dict[str, Path] = {}  # a recorded fixture's match (JSON) -> its file
        self._count = len(list(out_dir.glob("*.json"))) if out_dir.is_dir() else 0
        state.unmatched_goes_upstream = missing_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_CONTROL):
            await self.emulator(scope, receive, send)
            return
        body = await _read_body(receive)
        if self.missing_only and await self._answered_by_emulator(scope, body, receive, send):
            return
        await self._forward(scope, body, send)

    async def _answered_by_emulator(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> bool:
        """Let the emulator answer; False when no fixture matched (its answer carries the
        unanswered header, and is not sent)."""
        unanswered = False

        async def held_send(message: Message) -> None:
            nonlocal unanswered
            if message["type"] == "http.response.start" and any(name == UNANSWERED_HEADER for name, _ in message.get("headers", [])):
                unanswered = True
            if not unanswered:
                await send(message)

        await self.emulator(scope, _replay(body, receive), held_send)
        return not unanswered

    async def _forward(self, scope: Scope, body: bytes, send: Send) -> None:
        import httpx  # record mode only: the emulator itself never makes a request

        if self._client is None:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(600.0, connect=10.0))
        path = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        query = scope.get("query_string", b"").decode("latin-1")
        target = path + (f"?{query}" if query else "")
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _REQUEST_HEADERS_DROPPED]
        headers.append((b"accept-encoding", b"identity"))
        request = self._client.build_request(scope["method"], self.upstream + target, headers=headers, content=body)
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            await _send_whole(send, 502, _upstream_failure(f"record mode: the upstream {self.upstream} did not answer: {exc}"))
            return
        sent = [(k, v) for k, v in response.headers.raw if k.lower() not in _RESPONSE_HEADERS_DROPPED]
        await send({"type": "http.response.start", "status": response.status_code, "headers": sent})
        chunks = []
        try:
            async for chunk in response.aiter_raw():
                chunks.append(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            await response.aclose()
        exchange = RecordedExchange(
            method=scope["method"], path=target,
            request_headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
            request_body=body, status=response.status_code,
            response_headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers.raw},
            response_body=b"".join(chunks),
        )
        self.write(exchange)  # before the answer ends: once the client has it, its file is there
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    def write(self, exchange: RecordedExchange) -> Path | None:
        """The exchange's fixture file. The same request recorded again with another answer (a
        conversation replayed against an upstream that answers otherwise) makes its fixture a
        sequence of the answers; with the same answer streamed, the fixture gains its chunks."""
        document = fixture_document(exchange, self.state.catalog, self.redactor, f"recorded-{self._count + 1:05d}")
        if document is None:
            return None
        fixture = document["fixtures"][0]
        key = json.dumps(fixture["match"], sort_keys=True)
        earlier = self._recorded.get(key)
        if earlier is not None:
            return self._extend(earlier, fixture["respond"])
        self._count += 1
        endpoint = fixture["match"]["endpoint"]
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"{self._count:05d}-{endpoint}-{_slug(fixture['match'].get('content', ''))}.json"
        path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        self._recorded[key] = path
        if self.missing_only:
            self.state.fixtures.add_file_fixtures(document["fixtures"], str(path))
        return path

    def _extend(self, path: Path, respond: dict[str, Any]) -> Path:
        document = json.loads(path.read_text(encoding="utf-8"))
        fixture = document["fixtures"][0]
        answers = fixture["respond"] if isinstance(fixture["respond"], list) else [fixture["respond"]]
        if _without_stream(answers[-1]) == _without_stream(respond):
            if "stream" not in respond or "stream" in answers[-1]:
                return path  # the same answer again
            answers[-1] = respond  # the same answer, now with the chunks it streams in
        else:
            answers.append(respond)
        fixture["respond"] = answers if len(answers) > 1 else answers[0]
        path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


def _without_stream(respond: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in respond.items() if k != "stream"}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower())[:40].strip("-") or "request"


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read already, then the connection's own messages (its disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


def _upstream_failure(message: str) -> bytes:
    return json.dumps({"success": False, "result": None, "errors": [{"code": 502, "message": message}], "messages": []}).encode()


async def _send_whole(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body, "more_body": False})
