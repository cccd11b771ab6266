"""A small HTTP/1.1 keep-alive load generator on raw asyncio streams.

`run_load(spec)` opens `connections` keep-alive connections and sends requests until
`requests` were answered or `seconds` passed, whichever comes first. The body template may
contain `{n}`, replaced by the request's sequence number (to make every request distinct).
It records each request's latency and, for chunked answers, the time to the first chunk.
It runs on uvloop where that is installed, as uvicorn then runs the servers under test.

`serve_fixed` is the load generator's own yardstick: a raw asyncio server that answers every
request with fixed bytes, so its request rate is the ceiling of this load generator.
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any


def request_bytes(host: str, port: int, method: str, path: str, headers: dict[str, str], body: str) -> bytes:
    data = body.encode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(data)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes, float | None]:
    """Status, headers, body and (chunked only) the perf_counter time of the first data chunk."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts: list[bytes] = []
        first: float | None = None
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                return status, headers, b"".join(parts), first
            if first is None:
                first = time.perf_counter()
            parts.append(chunk[:-2])
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return status, headers, body, None


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


async def _load(spec: dict[str, Any]) -> dict[str, Any]:
    host, port = spec["host"], spec["port"]
    template = spec.get("body", "")
    varying = "{n}" in template
    fixed = request_bytes(host, port, spec.get("method", "POST"), spec["path"], spec.get("headers", {}), template)
    total, deadline = spec["requests"], time.perf_counter() + spec["seconds"]  # reset once connected
    counter = iter(range(spec.get("first", 0), spec.get("first", 0) + total))
    latencies: list[float] = []
    first_chunks: list[float] = []
    statuses: dict[int, int] = {}
    samples: dict[str, Any] = {}
    errors: list[str] = []

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(host, port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return reader, writer

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            for n in counter:
                if time.perf_counter() > deadline:
                    break
                data = request_bytes(host, port, spec.get("method", "POST"), spec["path"], spec.get("headers", {}),
                                     template.replace("{n}", str(n))) if varying else fixed
                start = time.perf_counter()
                writer.write(data)
                status, headers, body, first = await read_response(reader)
                end = time.perf_counter()
                latencies.append(end - start)
                if first is not None:
                    first_chunks.append(first - start)
                statuses[status] = statuses.get(status, 0) + 1
                if "first" not in samples:
                    samples["first"] = {"status": status, "headers": headers, "body": body[:400].decode("utf-8", "replace"),
                                        "events": body.count(b"data:")}
                samples["last"] = {"status": status, "headers": headers}
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            writer.close()

    # Connections are opened before the clock starts: the figures are about answering requests.
    opened = await asyncio.gather(*(connect() for _ in range(spec["connections"])))
    started = time.perf_counter()
    deadline = started + spec["seconds"]
    await asyncio.gather(*(connection(reader, writer) for reader, writer in opened))
    elapsed = time.perf_counter() - started
    latencies.sort()
    first_chunks.sort()
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed if elapsed else 0.0,
        "p50_ms": _ms(percentile(latencies, 0.50)),
        "p99_ms": _ms(percentile(latencies, 0.99)),
        "first_chunk_p50_ms": _ms(percentile(first_chunks, 0.50)),
        "first_chunk_p99_ms": _ms(percentile(first_chunks, 0.99)),
        "statuses": statuses,
        "errors": errors[:5],
        **samples,
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else value * 1000


def _run(coroutine: Any) -> Any:
    """On uvloop where it is installed (as the servers under test run), else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def run_load(spec: dict[str, Any]) -> dict[str, Any]:
    """Entry point in the load-generator process."""
    return _run(_load(spec))


# --- the load generator's ceiling -------------------------------------------------------------
_FIXED_ANSWER = b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}'


class _FixedAnswer(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        out = []
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = self.buffer[:end].lower()
            length = 0
            at = head.find(b"content-length:")
            if at >= 0:
                length = int(head[at + 15:].split(b"\r\n", 1)[0])
            if len(self.buffer) < end + 4 + length:
                break
            self.buffer = self.buffer[end + 4 + length:]
            out.append(_FIXED_ANSWER)
        if out:
            self.transport.write(b"".join(out))  # type: ignore[attr-defined]


def serve_fixed(sock: socket.socket) -> None:
    """Serve fixed answers on `sock` (already listening) until killed."""

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(_FixedAnswer, sock=sock)
        async with server:
            await server.serve_forever()

    _run(main())
