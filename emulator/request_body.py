"""Reading a request's body, bounded.

The body is read straight from the ASGI receive channel (what `request.body()` returns, without
its async generator), at most `limit` bytes of it: Cloudflare's front door refuses a larger body
with 413 before any service sees it (100 MB on the Free and Pro plans, the emulator's default).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from starlette.requests import Request

from emulator.errors import GatewayError, client_gone
from emulator.front_door import BODY_TIMED_OUT

# Cloudflare's request body limit on the Free and Pro plans (Business 200 MB, Enterprise 500 MB).
DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024
# The gateway's cache skips a request larger than this (AI Gateway's Limits page: 25 MB).
MAX_CACHEABLE_BYTES = 25 * 1024 * 1024
# The journal and the logs keep at most this much of a request's or an answer's body.
KEPT_BODY_BYTES = 1024 * 1024


def kept_prefix(body: bytes) -> tuple[bytes, int]:
    """What the journal and the logs keep of a request's or an answer's body (a stream's
    transcript too): its first KEPT_BODY_BYTES and its whole size, or the body and -1 when it is
    kept whole."""
    if len(body) > KEPT_BODY_BYTES:
        return body[:KEPT_BODY_BYTES], len(body)
    return body, -1


def _cut_off(request: Request, gone: Callable[[], Exception]) -> Exception:
    """The body stopped: the front door's body timeout (its 408 is already sent), or the client left."""
    if request.scope.get(BODY_TIMED_OUT):
        return GatewayError(408, 3007, "Request timeout: the body was not received in time")
    return gone()


@dataclass
class BodyTooLarge(Exception):
    """A body over the limit; each route answers it in its own dialect (413)."""

    limit: int

    def __str__(self) -> str:
        return f"the request body is larger than {self.limit} bytes"


# What answers a refused body carry: the rest of it is not read, so the connection is not reused.
CLOSE_CONNECTION = {"connection": "close"}


async def read_body(request: Request, limit: int, gone: Callable[[], Exception] = client_gone) -> bytes:
    """The whole body, read once; a body over `limit` raises BodyTooLarge as soon as it is. A
    client gone before the end of its body raises `gone()`: by default a gateway error that is
    journaled, not sent (the control and management APIs pass Starlette's ClientDisconnect)."""
    message = await request.receive()
    if message["type"] != "http.request":
        raise _cut_off(request, gone)
    body = message.get("body", b"")
    if len(body) > limit:
        raise BodyTooLarge(limit)
    if not message.get("more_body", False):
        return body
    chunks, size = [body], len(body)
    while True:
        message = await request.receive()
        if message["type"] != "http.request":
            raise _cut_off(request, gone)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
