"""Slow and oversized clients at the front door: a head or body that takes too long is a 408, a
head over the size or field-count limit a 431, and neither holds a connection open (raw sockets,
small limits set through the environment)."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from tests.server import start_emulator

LIMITS = {
    "AI_GATEWAY_EMULATOR_HEADER_TIMEOUT_S": "0.5",
    "AI_GATEWAY_EMULATOR_BODY_TIMEOUT_S": "0.5",
    "AI_GATEWAY_EMULATOR_MAX_HEADER_BYTES": "2000",
    "AI_GATEWAY_EMULATOR_MAX_HEADER_COUNT": "20",
}


@pytest.fixture(scope="module")
def guarded():
    running = start_emulator(env=LIMITS)
    yield running
    running.stop()


def connect(emu) -> socket.socket:
    host, port = emu.base_url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=5)
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def trickle(sock: socket.socket, piece) -> bytes:
    """Send piece(n) every 0.1 s (for 4 s at most) until the server answers; what it sent until it closed."""
    answer = b""
    for n in range(40):
        try:
            sock.sendall(piece(n))
        except OSError:
            break
        time.sleep(0.1)
        sock.settimeout(0.01)
        try:
            answer += sock.recv(65536)
        except socket.timeout:
            pass
        sock.settimeout(5)
        if answer:
            break
    return answer + read_all(sock)


def chat_head(emu, extra: str = "", length: int = 0) -> bytes:
    path = emu.account_url.removeprefix(emu.base_url) + "/ai/v1/chat/completions"
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n{extra}\r\n").encode()


def test_a_connection_that_sends_nothing_is_closed(guarded):
    started = time.monotonic()
    with connect(guarded) as sock:
        assert read_all(sock) == b""
    assert time.monotonic() - started < 3


def test_a_head_sent_a_line_at_a_time_gets_408_and_the_connection_closes(guarded):
    started = time.monotonic()
    with connect(guarded) as sock:
        sock.sendall(b"POST /client/v4/accounts/acc/ai/v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
        # A slowloris client: one more header every 0.1 s, for ever.
        answer = trickle(sock, lambda n: f"X-Slow-{n}: 1\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n") and b"connection: close" in answer
    assert b"the request head was not received within 0.5 s" in answer
    assert time.monotonic() - started < 3


def test_a_body_sent_a_byte_at_a_time_gets_408_and_is_journaled(guarded):
    httpx.post(guarded.base_url + "/__emulator__/reset")
    started = time.monotonic()
    with connect(guarded) as sock:
        sock.sendall(chat_head(guarded, length=100) + b"{")
        answer = trickle(sock, lambda n: b" ")
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert b"the request body was not received within 0.5 s" in answer
    assert time.monotonic() - started < 3
    entry = httpx.get(guarded.base_url + "/__emulator__/journal").json()["entries"][-1]
    assert (entry["endpoint"], entry["status"]) == ("chat_completions", 408)


def test_too_many_header_fields_or_too_large_a_head_gets_431(guarded):
    many = "".join(f"X-Field-{n}: 1\r\n" for n in range(25))
    large = "X-Large: " + "a" * 3000 + "\r\n"
    for extra, detail in [(many, b"more than 20 header fields"), (large, b"larger than 2000 bytes")]:
        with connect(guarded) as sock:
            sock.sendall(chat_head(guarded, extra))
            answer = read_all(sock)
        assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"), answer[:200]
        assert detail in answer and b"connection: close" in answer


def test_an_ordinary_client_is_served_on_one_connection_meanwhile(guarded):
    with httpx.Client(timeout=5) as client:
        for _ in range(3):
            answer = client.post(guarded.openai_base_url + "/chat/completions", headers=guarded.auth(),
                                 json={"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "hi"}]})
            assert answer.status_code == 200
