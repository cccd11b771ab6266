"""Server-sent event streams: what every dialect's stream renderer shares.

A stream renderer (one per dialect, next to it: `dialects/*_stream.py`) turns the same neutral
`Completion` the non-streaming answer uses into that provider's SSE events. `event_stream`
writes them one at a time as a `text/event-stream`, lets simulated time pass between them on
the emulator's clock, and plays the fault the fixture names (`respond.stream`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Iterator

from starlette.requests import ClientDisconnect
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from emulator.clock import Clock
from emulator.fixtures import Fixture
from emulator.json_codec import dumps_text
from emulator.request_body import kept_prefix
from emulator.tokens import count_tokens, split_tokens

log = logging.getLogger("emulator")


def sse(data: Any, event: str | None = None) -> str:
    """One SSE frame: an optional `event:` line, one `data:` line of compact JSON, a blank line."""
    payload = data if isinstance(data, str) else dumps_text(data)
    return (f"event: {event}\n" if event else "") + f"data: {payload}\n\n"


@dataclass(frozen=True)
class StreamPlan:
    """How a fixture wants its answer streamed: chunking, simulated delays and at most one fault.

    A fault's N counts the events written before it: `error_after: 0` sends the error first.
    """

    chars: int | None = None
    chunks: tuple[str, ...] | None = None
    first_chunk_delay_ms: float = 0
    chunk_delay_ms: float = 0
    disconnect_after: int | None = None
    error_after: int | None = None
    malformed_after: int | None = None

    @classmethod
    def of(cls, fixture: Fixture | None) -> StreamPlan:
        spec = (fixture.respond.get("stream") if fixture is not None else None) or {}
        return cls(
            chars=spec.get("chars"),
            chunks=tuple(spec["chunks"]) if "chunks" in spec else None,
            first_chunk_delay_ms=spec.get("first_chunk_delay_ms", 0),
            chunk_delay_ms=spec.get("chunk_delay_ms", 0),
            disconnect_after=spec.get("disconnect_after"),
            error_after=spec.get("error_after"),
            malformed_after=spec.get("malformed_after"),
        )

    def text_pieces(self, text: str) -> list[str]:
        """The message text in the pieces it streams as; they concatenate back to `text`."""
        if self.chunks is not None and "".join(self.chunks) == text:
            return [c for c in self.chunks if c]
        return self._split(text)

    def argument_pieces(self, arguments: str) -> list[str]:
        """A tool call's JSON arguments in pieces (explicit chunks apply to text only)."""
        return self._split(arguments)

    def _split(self, text: str) -> list[str]:
        if self.chars:
            return [text[i : i + self.chars] for i in range(0, len(text), self.chars)]
        return split_tokens(text)


class StreamRenderer:
    """A dialect's SSE events for one answer, plus the provider's own fault events."""

    def events(self) -> Iterator[str]:
        raise NotImplementedError

    def error_event(self) -> str:
        """The provider's mid-stream error event; the stream ends after it."""
        raise NotImplementedError

    def malformed_event(self) -> str:
        """A frame whose data is cut off mid-JSON, as a broken upstream sends it."""
        raise NotImplementedError


class _Disconnect:
    """Yielded by the body to close the connection without finishing the chunked body."""


DISCONNECT = _Disconnect()


class EventStreamResponse(StreamingResponse):
    """Writes frames as they are made: the first event leaves before the last is rendered.
    `kept_transcript()` is what the gateway's log entry (written out when it is read) keeps of
    what was written: once the stream ended, one bytes object of at most KEPT_BODY_BYTES, not a
    small object per frame (a fifth less memory for 200 frames, no pymalloc pools pinned)."""

    media_type = "text/event-stream"
    # Called once the stream ended (finished, cut or abandoned by the client): a saved log listens.
    finished: Callable[[], None] | None = None
    # The client went away before the end: the records say 499, and only what was sent.
    abandoned = False

    # What the client was sent of the answer's tokens, once an abandoned stream ended.
    delivered_tokens = 0

    def __init__(self, frames: AsyncIterator[Any], headers: dict[str, str]) -> None:
        self._written: list[str] = []
        # Once the stream ended: what the records keep of its transcript (kept_prefix's).
        self._kept: tuple[bytes, int] | None = None
        super().__init__(frames, headers=headers)

    @property
    def body(self) -> bytes | None:  # type: ignore[override]
        # None until something was written: Starlette reads `body` at start to set Content-Length.
        return "".join(self._written).encode("utf-8") if self._written else None

    def kept_transcript(self) -> tuple[bytes, int]:
        """What the journal and the logs keep of the transcript (kept_prefix: at most its first
        KEPT_BODY_BYTES, and its whole size when cut); while it streams, of what was written so far."""
        if self._kept is not None:
            return self._kept
        return kept_prefix(self.body or b"")

    def _ended(self) -> None:
        """The transcript is settled: an abandoned stream's tokens counted from all it sent, then
        only its kept prefix held (a long stream no longer grows a log entry without bound)."""
        written = "".join(self._written)
        self._written = []
        if self.abandoned:
            self.delivered_tokens = count_delivered_tokens(written)
        self._kept = kept_prefix(written.encode("utf-8"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """As StreamingResponse, but the client's going away is watched by one plain task, not
        an anyio task group (~90 us before the first byte): the stream stops at its next frame."""
        client_gone = asyncio.get_running_loop().create_task(_disconnect(receive))
        try:
            await self.stream_response(send, client_gone.done)
        except OSError:  # what ASGI 2.4 servers raise on a closed connection
            self.abandoned = True
            raise ClientDisconnect() from None
        finally:
            client_gone.cancel()
            self._ended()
            finished, self.finished = self.finished, None  # called once; the Exchange it holds let go
            if finished is not None:
                finished()
        if self.background is not None:
            await self.background()

    async def stream_response(self, send: Send, client_gone: Callable[[], bool] = lambda: False) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        async for chunk in self.body_iterator:
            if chunk is DISCONNECT:
                return  # the server closes the connection: the client sees a truncated body
            if client_gone():
                self.abandoned = True
                return
            self._written.append(chunk)
            await send({"type": "http.response.body", "body": chunk.encode("utf-8"), "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def count_delivered_tokens(written: str) -> int:
    """The output tokens in the events written: the text deltas and the tool-call argument deltas
    of every dialect's stream (OpenAI chat, Responses, Anthropic, Workers AI), each counted as the
    answer's usage counts them. What a client that left mid-stream was sent."""
    texts: list[str] = []
    arguments: list[str] = []
    for line in written.split("\n"):
        if not line.startswith("data: "):
            continue
        try:
            event = json.loads(line[len("data: "):])
        except ValueError:  # [DONE], a malformed_after fault
            continue
        if isinstance(event, dict):
            _deltas(event, texts, arguments)
    return (count_tokens("".join(texts)) if texts else 0) + (count_tokens("".join(arguments)) if arguments else 0)


def _deltas(event: dict[str, Any], texts: list[str], arguments: list[str]) -> None:
    for choice in event.get("choices") or ():  # OpenAI chat chunks
        delta = choice.get("delta") or {} if isinstance(choice, dict) else {}
        if isinstance(delta.get("content"), str):
            texts.append(delta["content"])
        for call in delta.get("tool_calls") or ():
            arguments.append((call.get("function") or {}).get("arguments") or "")
    kind = event.get("type")
    if isinstance(kind, str) and kind.startswith("response.") and kind.endswith(".delta") and isinstance(event.get("delta"), str):
        (arguments if "arguments" in kind else texts).append(event["delta"])  # Responses
    if kind == "content_block_delta":  # Anthropic
        delta = event.get("delta") or {}
        for key in ("text", "thinking"):
            if isinstance(delta.get(key), str):
                texts.append(delta[key])
        if isinstance(delta.get("partial_json"), str):
            arguments.append(delta["partial_json"])
    if isinstance(event.get("response"), str):  # Workers AI
        texts.append(event["response"])


async def _disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def transcript(renderer: StreamRenderer, plan: StreamPlan) -> Iterator[Any]:
    """Every frame the stream writes, in order, with the fixture's fault played in place of the
    event it replaces (so Responses sequence numbers stay consecutive); DISCONNECT ends it early."""
    count = 0
    frames = renderer.events()
    while True:
        if plan.error_after == count:
            yield renderer.error_event()
            return
        if plan.malformed_after == count:
            count += 1
            yield renderer.malformed_event()
        if plan.disconnect_after == count:
            yield DISCONNECT
            return
        frame = next(frames, None)
        if frame is None:
            return
        count += 1
        yield frame


async def _paced(frames: Iterator[Any], plan: StreamPlan, clock: Clock, source: str) -> AsyncIterator[Any]:
    for index, frame in enumerate(frames):
        if frame is DISCONNECT:
            log.info("stream fault from %s: closing the connection after %d events", source, index)
        else:
            await clock.sleep((plan.first_chunk_delay_ms if index == 0 else plan.chunk_delay_ms) / 1000)
        yield frame


def event_stream(renderer: StreamRenderer, plan: StreamPlan, clock: Clock, headers: dict[str, str], source: str = "synth") -> EventStreamResponse:
    """A `text/event-stream` response that renders and writes the renderer's events one by one."""
    return EventStreamResponse(_paced(transcript(renderer, plan), plan, clock, source), headers)
