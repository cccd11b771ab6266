"""The server's front door: what a client may send before the app sees a request, and how long it
may take, answered as Cloudflare's front door answers it.

uvicorn's httptools protocol, with four limits: a request's head (request line and header fields)
must be complete within `header_timeout_s` of its first byte (or of the connection, for the first
request) and its body within `body_timeout_s` of the head, else 408; the head may be at most
`max_header_bytes` (Cloudflare: 32 KB of request headers) in at most `max_header_count` fields,
else 431. Either closes the connection. A slow client ("slowloris") cannot hold a connection open.

A request that arrives whole in one read (nearly every request) arms no timer: a timer is armed
only when a read ends inside a head or a body.
"""

from __future__ import annotations

from asyncio import TimerHandle
from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulator import json_codec

if TYPE_CHECKING:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# The request scope key that says a body was cut off by the body timeout (read_body answers 408).
BODY_TIMED_OUT = "emulator.body_timed_out"

REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


@dataclass(frozen=True)
class FrontDoorLimits:
    header_timeout_s: float = 10.0
    body_timeout_s: float = 60.0
    # Cloudflare: "Request headers have a total limit of 32 KB" (URLs 16 KB, a header 16 KB).
    max_header_bytes: int = 32 * 1024
    max_header_count: int = 100


class _HeadRefused(Exception):
    """Raised in a parser callback: the head is over a limit (the parser reports it as its error)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def refusal(status: int, detail: str) -> bytes:
    """A whole HTTP/1.1 answer that closes the connection: the v4 envelope with the status as its code."""
    body = json_codec.dumps({"result": None, "success": False, "errors": [{"code": status, "message": detail}], "messages": []})
    head = (
        b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
        % (status, REASONS[status], len(body))
    )
    return head + body


def guarded_protocol(limits: FrontDoorLimits) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol class with these limits (uvicorn.Config(http=...)). Imported
    here: settings name the limits without loading the server."""
    import httptools
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class FrontDoorProtocol(HttpToolsProtocol):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._in_head = False
            self._in_body = False
            self._head_bytes = 0
            self._head_fields = 0
            self._deadline: TimerHandle | None = None

        # --- timers: armed only when a read ends inside a head or a body --------------------
        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm(limits.header_timeout_s)  # a connection that sends nothing

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self, seconds: float) -> None:
            if self._deadline is None:
                self._deadline = self.loop.call_later(seconds, self._timed_out)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _timed_out(self) -> None:
            self._deadline = None
            if self.transport.is_closing():
                return
            cycle = self.cycle
            if self._in_body and cycle is not None and not cycle.response_started:
                cycle.scope[BODY_TIMED_OUT] = True  # type: ignore[typeddict-unknown-key]
                self.transport.write(refusal(408, f"the request body was not received within {limits.body_timeout_s:g} s"))
            elif self._in_head:
                self.transport.write(refusal(408, f"the request head was not received within {limits.header_timeout_s:g} s"))
            elif cycle is not None and not cycle.response_complete:
                return  # a request being answered: not the front door's to stop
            self.transport.close()

        # --- the parser's callbacks ----------------------------------------------------------
        def data_received(self, data: bytes) -> None:
            self._unset_keepalive_if_required()
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserUpgrade:
                if self._should_upgrade():
                    self.handle_websocket_upgrade()
                else:
                    self._unsupported_upgrade_warning()
            except httptools.HttpParserError as exc:
                refused = exc.__context__
                if isinstance(refused, _HeadRefused):
                    self._disarm()
                    self.transport.write(refusal(431, refused.detail))
                    self.transport.close()
                    return
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("Invalid HTTP request received.")
                return
            if self._in_head:
                self._arm(limits.header_timeout_s)
            elif self._in_body:
                self._arm(limits.body_timeout_s)
            elif self.cycle is None:
                pass  # still waiting for the first request: the connection's timer runs
            else:
                self._disarm()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._in_head, self._head_bytes, self._head_fields = True, 0, 0

        def on_url(self, url: bytes) -> None:
            self._head_bytes += len(url)
            if self._head_bytes > limits.max_header_bytes:
                raise _HeadRefused(f"the request line and headers are larger than {limits.max_header_bytes} bytes")
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._head_fields += 1
            self._head_bytes += len(name) + len(value) + 4
            if self._head_fields > limits.max_header_count:
                raise _HeadRefused(f"more than {limits.max_header_count} header fields")
            if self._head_bytes > limits.max_header_bytes:
                raise _HeadRefused(f"the request line and headers are larger than {limits.max_header_bytes} bytes")
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_head, self._in_body = False, True
            self._disarm()
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._in_body = False
            self._disarm()
            super().on_message_complete()

    return FrontDoorProtocol
