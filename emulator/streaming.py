"""Server-sent event streams: what every dialect's stream renderer shares.

A stream renderer (one per dialect, next to it: `dialects/*_stream.py`) turns the same neutral
`Completion` the non-streaming answer uses into that provider's SSE events. `event_stream`
writes them one at a time as a `text/event-stream`, lets simulated time pass between them on
the emulator's clock, and plays the fault the fixture names (`respond.stream`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, AsyncIterator, Iterator

from starlette.responses import StreamingResponse
from starlette.types import Send

from emulator.clock import Clock
from emulator.fixtures import Fixture
from emulator.tokens import split_tokens

log = logging.getLogger("emulator")

def sse(data: Any, event: str | None = None) -> str:
    """One SSE frame: an optional `event:` line, one `data:` line of compact JSON, a blank line."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
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
    media_type = "text/event-stream"

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        async for chunk in self.body_iterator:
            if chunk is DISCONNECT:
                return  # the server closes the connection: the client sees a truncated body
            await send({"type": "http.response.body", "body": chunk.encode("utf-8"), "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _frames(renderer: StreamRenderer, plan: StreamPlan, clock: Clock, source: str) -> AsyncIterator[Any]:
    written = 0

    async def paced(frame: str) -> str:
        nonlocal written
        await clock.sleep((plan.first_chunk_delay_ms if written == 0 else plan.chunk_delay_ms) / 1000)
        written += 1
        return frame

    frames = renderer.events()
    while True:  # a fault is played before the next event is rendered, so it takes that event's place
        if plan.error_after == written:
            yield await paced(renderer.error_event())
            return
        if plan.malformed_after == written:
            yield await paced(renderer.malformed_event())
        if plan.disconnect_after == written:
            log.info("stream fault from %s: closing the connection after %d events", source, written)
            yield DISCONNECT
            return
        frame = next(frames, None)
        if frame is None:
            return
        yield await paced(frame)


def event_stream(renderer: StreamRenderer, plan: StreamPlan, clock: Clock, headers: dict[str, str], source: str = "synth") -> EventStreamResponse:
    """A `text/event-stream` response that writes the renderer's events one by one."""
    return EventStreamResponse(_frames(renderer, plan, clock, source), headers=headers)
