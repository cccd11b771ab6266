"""A mixed load and bad-input run against `ai-gateway-emulator serve`: what the emulator must keep
under concurrency, measured.

    python benchmarks/load_run.py                          # the full run: 10,000 requests, 200 connections
    python benchmarks/load_run.py --requests 300 --connections 20    # the bounded form the suite runs

It starts the emulator (a config with a rate-limited gateway and a small body cap), sends a
round-robin mix of good requests (chat on the REST and gateway hosts, Anthropic, cached, an
`ai/run` embedding), requests over the rate limit, and bad input (malformed and deeply nested
JSON, a JSON Schema nested too deep, a schema bound beyond a float, a body over the cap, an
unknown path, a wrong method), over keep-alive connections, then reads the journal and the logs.
It reports, and `check` asserts: no 5xx, exactly one journal entry per request the journal
records (every inference request; not unknown paths or wrong methods, see the README) and one log
entry per request that went through a gateway, the rate limit exact (half the rate-limited
requests answered, exactly as many as the limit, the rest 429), and the server's peak resident
memory (VmHWM).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks")]

import loadgen  # noqa: E402

ACCOUNT = "0123456789abcdef0123456789abcdef"
AUTH = {"Authorization": "Bearer load-run-token", "Content-Type": "application/json"}
REST = f"/client/v4/accounts/{ACCOUNT}"
GATEWAY = f"/v1/{ACCOUNT}"
BODY_CAP = 64 * 1024
_LISTENING = re.compile(r"listening on (http://[^\s]+)")


@dataclass(frozen=True)
class Kind:
    """One sort of request in the mix: how to send it and what the records must say of it."""

    name: str
    method: str
    path: str
    body: str  # "{n}" is the request's number
    headers: dict[str, str]
    journaled: bool = True  # one journal entry
    logged: bool = True  # one gateway log entry


def deep_schema(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "array", "items": schema}
    return schema


def chat(content: str, model: str = "openai/gpt-4.1", **extra: Any) -> str:
    return json.dumps({"model": model, "messages": [{"role": "user", "content": content}], **extra})


GATEWAY_AUTH = {**AUTH, "Authorization": "Bearer sk-load-run-provider-key", "cf-aig-authorization": "Bearer load-run-token"}  # the provider key on the gateway host
KINDS = [
    Kind("chat", "POST", f"{REST}/ai/v1/chat/completions", chat("load run question {n}"), AUTH),
    Kind("chat cached", "POST", f"{REST}/ai/v1/chat/completions", chat("the cached load run question"), {**AUTH, "cf-aig-cache-ttl": "3600"}),
    Kind("anthropic", "POST", f"{REST}/ai/v1/messages",
         json.dumps({"model": "anthropic/claude-sonnet-4.5", "max_tokens": 30, "messages": [{"role": "user", "content": "load run {n}"}]}), AUTH),
    Kind("embedding", "POST", f"{REST}/ai/run",
         json.dumps({"model": "@cf/baai/bge-small-en-v1.5", "input": {"text": ["load run {n}"]}}), {**AUTH, "cf-aig-gateway-id": "default"}),
    Kind("gateway chat", "POST", f"{GATEWAY}/default/openai/chat/completions", chat("gateway question {n}", "gpt-4.1"), GATEWAY_AUTH),
    Kind("rate limited", "POST", f"{GATEWAY}/limited/openai/chat/completions", chat("limited question {n}", "gpt-4.1"), GATEWAY_AUTH),
    Kind("malformed JSON", "POST", f"{REST}/ai/v1/chat/completions", '{"model": "openai/gpt-4.1", "messages": [', AUTH, logged=False),
    Kind("deep JSON", "POST", f"{REST}/ai/v1/chat/completions", "[" * 1000 + "]" * 1000, AUTH, logged=False),
    Kind("deep schema", "POST", f"{REST}/ai/v1/chat/completions",
         chat("x", response_format={"type": "json_schema", "json_schema": {"name": "s", "schema": deep_schema(97)}}), AUTH, logged=False),
    Kind("infinite bound", "POST", f"{REST}/ai/v1/chat/completions",
         chat("x", response_format={"type": "json_schema", "json_schema": {"name": "s", "schema": {
             "type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}, "required": ["n"]}}}).replace('"minimum": 1', '"minimum": 1e999'),
         AUTH),
    Kind("over the cap", "POST", f"{REST}/ai/v1/chat/completions", chat("x" * (BODY_CAP + 1)), AUTH, logged=False),
    Kind("unknown path", "GET", f"{REST}/ai/nothing-here", "", AUTH, journaled=False, logged=False),
    Kind("wrong method", "GET", f"{REST}/ai/v1/chat/completions", "", AUTH, journaled=False, logged=False),
]


def start_emulator(config: Path) -> tuple[subprocess.Popen, str, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AI_GATEWAY_EMULATOR_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--port", "0", "--config", str(config)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        match = _LISTENING.search(process.stdout.readline())
        if match:
            host, port = match.group(1).removeprefix("http://").rsplit(":", 1)
            while time.monotonic() < deadline:  # bound before it listens: wait for its first answer
                try:
                    call(host, int(port), "GET", "/__emulator__/health")
                    return process, host, int(port)
                except OSError:
                    time.sleep(0.02)
    process.kill()
    raise RuntimeError("the emulator did not start")


async def drive(host: str, port: int, total: int, connections: int) -> list[tuple[Kind, int]]:
    """Every request's kind and status; the kinds in turn, spread over the connections."""
    numbers = iter(range(total))
    done: list[tuple[Kind, int]] = []

    async def connection() -> None:
        reader = writer = None
        for n in numbers:
            kind = KINDS[n % len(KINDS)]
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(loadgen.request_bytes(host, port, kind.method, kind.path, kind.headers, kind.body.replace("{n}", str(n))))
            status, headers, _body, _ = await loadgen.read_response(reader)
            done.append((kind, status))
            if headers.get("connection", "").lower() == "close":
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return done


def call(host: str, port: int, method: str, path: str) -> Any:
    import urllib.request

    request = urllib.request.Request(f"http://{host}:{port}{path}", method=method, headers=AUTH)
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def run(requests: int = 10_000, connections: int = 200) -> dict[str, Any]:
    # Half the rate-limited requests fit in the limit; the run stays inside one window.
    limit = max(1, requests // len(KINDS) // 2)
    with tempfile.TemporaryDirectory() as home:
        config = Path(home) / "config.json"
        config.write_text(json.dumps({
            "gateways": [{"id": "limited", "rate_limiting_limit": limit, "rate_limiting_interval": 3600, "rate_limiting_technique": "fixed"}],
            "journal_max_entries": requests + 10, "log_max_entries": requests + 10, "max_body_bytes": BODY_CAP,
        }))
        process, host, port = start_emulator(config)
        try:
            began = time.perf_counter()
            done = asyncio.run(drive(host, port, requests, connections))
            seconds = time.perf_counter() - began
            journal = call(host, port, "GET", "/__emulator__/journal")["entries"]
            logs = {gateway: call(host, port, "GET", f"{REST}/ai-gateway/gateways/{gateway}/logs?per_page=1")["result_info"]["total_count"]
                    for gateway in ("default", "limited")}
            peak = peak_rss_mb(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=10)
    limited = [status for kind, status in done if kind.name == "rate limited"]
    statuses: dict[str, dict[int, int]] = {}
    for kind, status in done:
        statuses.setdefault(kind.name, {}).setdefault(status, 0)
        statuses[kind.name][status] += 1
    return {
        "requests": len(done),
        "connections": connections,
        "seconds": round(seconds, 2),
        "server_errors": sum(1 for _, status in done if status >= 500),
        "journal_entries": len(journal),
        "journaled_requests": sum(1 for kind, _ in done if kind.journaled),
        "log_entries": sum(logs.values()),
        "logged_requests": sum(1 for kind, _ in done if kind.logged),
        "rate_limited_answered": limited.count(200),
        "rate_limited_refused": limited.count(429),
        "rate_limit": limit,
        "peak_rss_mb": round(peak, 1),
        "statuses": statuses,
    }


def check(result: dict[str, Any]) -> list[str]:
    """What the run must show; empty when it holds."""
    problems = []
    if result["server_errors"]:
        problems.append(f"{result['server_errors']} answers were 5xx")
    if result["journal_entries"] != result["journaled_requests"]:
        problems.append(f"journal: {result['journal_entries']} entries for {result['journaled_requests']} requests")
    if result["log_entries"] != result["logged_requests"]:
        problems.append(f"logs: {result['log_entries']} entries for {result['logged_requests']} requests")
    expected_limited = min(result["rate_limit"], result["rate_limited_answered"] + result["rate_limited_refused"])
    if result["rate_limited_answered"] != expected_limited:
        problems.append(f"rate limit: {result['rate_limited_answered']} answered, {expected_limited} expected")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    args = parser.parse_args()
    result = run(args.requests, args.connections)
    for key, value in result.items():
        if key != "statuses":
            print(f"{key:>24}: {value}")
    for name, counts in result["statuses"].items():
        print(f"{name:>24}: {dict(sorted(counts.items()))}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    problems = check(result)
    for problem in problems:
        print(f"NOT MET: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
