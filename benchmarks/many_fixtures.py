"""Matching that scales: the emulator with 10,000 recorded fixtures against the same with 10.

    .venv/bin/python benchmarks/many_fixtures.py [--fixtures 10000] [--requests 10000] [--json PATH]

Writes N fixture files as record mode writes them (emulator.recording, one conversation each,
over a handful of models and both chat endpoints), starts the emulator on them and on the
first 10 alone, and measures for each: start-up to the first answered chat completion, the p50
and p99 of one fixture-answered request at one connection, and the resident memory after
`--requests` fixture-answered requests (each a distinct body, so every one is matched and
journaled). Targets (issue 19): start-up under 1.5 s, p50 within 1.3x and memory within 1.5x of
the 10-fixture run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import bench  # noqa: E402
import loadgen  # noqa: E402

MODELS = ["openai/gpt-4o-mini", "openai/gpt-4.1", "openai/gpt-4.1-mini", "anthropic/claude-sonnet-4.5"]
PROBE = 7  # the recorded conversation the timed requests replay


def question(n: int) -> str:
    return f"Recorded question number {n}: what does the dashboard show for team {n % 97}?"


def recorded_document(n: int) -> dict[str, Any]:
    """The fixture file record mode writes for conversation `n` (a chat completion, one turn)."""
    from emulator.catalog import Catalog, model_from_entry
    from emulator.recording import RecordedExchange, Redactor, fixture_document
    from emulator.paths import FIXTURES_DIR

    global _CATALOG
    if _CATALOG is None:
        _CATALOG = Catalog()
        for entry in json.loads((FIXTURES_DIR / "catalog.json").read_text())["models"]:
            _CATALOG.add(model_from_entry(entry))
    model = MODELS[n % len(MODELS)]
    body = {"model": model, "messages": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": question(n)}]}
    answer = {"id": f"chatcmpl-{n}", "object": "chat.completion", "created": 0, "model": model,
              "choices": [{"index": 0, "message": {"role": "assistant", "content": f"Answer {n}: the dashboard shows nine widgets."}, "finish_reason": "stop"}],
              "usage": {"prompt_tokens": 20, "completion_tokens": 8, "total_tokens": 28}}
    exchange = RecordedExchange("POST", f"{bench.ACCOUNT}/ai/v1/chat/completions", {"authorization": "Bearer bench-token"},
                        json.dumps(body).encode(), 200, {"content-type": "application/json"}, json.dumps(answer).encode())
    document = fixture_document(exchange, _CATALOG, Redactor(), f"recorded-{n:05d}")
    assert document is not None
    return document


_CATALOG = None


def write_fixtures(directory: Path, count: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (directory / f"{n + 1:05d}-chat_completions.json").write_text(json.dumps(recorded_document(n), indent=1))


def probe_body() -> str:
    """The request the probe fixture answers, with a field the matchers do not read varied per request."""
    body = {"model": MODELS[PROBE % len(MODELS)], "user": "u{n}",
            "messages": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": question(PROBE)}]}
    return json.dumps(body)


def measure(directory: Path, requests: int, single: int) -> dict[str, Any]:
    command = [*bench.emulator_command(), "--no-builtin-fixtures", "--fixtures", str(directory)]
    server, startup = bench.start_measured("emulator", command, 3)
    try:
        body = probe_body()
        status, _headers, answer = bench.post(server, bench.CHAT_PATH, body.replace("{n}", "probe"), bench.AUTH)
        assert status == 200 and f"Answer {PROBE}:" in answer.decode(), answer[:300]
        loadgen.run_load({"host": server.host, "port": server.port, "path": bench.CHAT_PATH, "body": body, "headers": bench.AUTH,
                          "connections": 1, "requests": 500, "seconds": 30})  # warm-up
        timed = loadgen.run_load({"host": server.host, "port": server.port, "path": bench.CHAT_PATH, "body": body,
                                  "headers": bench.AUTH, "connections": 1, "requests": single, "seconds": 60, "first": 1000})
        loadgen.run_load({"host": server.host, "port": server.port, "path": bench.CHAT_PATH, "body": body, "headers": bench.AUTH,
                          "connections": 4, "requests": requests, "seconds": 300, "first": 100_000})
        journal = json.loads(bench_get(server, "/__emulator__/journal"))["entries"]
        assert all(entry["fixture"] == f"recorded-{PROBE:05d}" for entry in journal[-100:])
        return {"fixtures": len(list(directory.glob("*.json"))), "startup_s": startup, "p50_ms": timed["p50_ms"],
                "p99_ms": timed["p99_ms"], "rss_mb": server.rss_mb(), "report_rows": len(journal[-1]["fixture_report"])}
    finally:
        server.stop()


def bench_get(server: bench.Server, path: str) -> bytes:
    import http.client

    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        conn.request("GET", path)
        return conn.getresponse().read()
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--fixtures", type=int, default=10_000)
    p.add_argument("--requests", type=int, default=10_000)
    p.add_argument("--single", type=int, default=2_000, help="requests timed at one connection")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    bench.compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="many-fixtures-") as tmp:
        many, few = Path(tmp) / "many", Path(tmp) / "few"
        write_fixtures(many, args.fixtures)
        write_fixtures(few, 10)
        results = {"few": measure(few, args.requests, args.single), "many": measure(many, args.requests, args.single)}
    few_, many_ = results["few"], results["many"]
    rows = [
        ("Start-up to first answered chat completion (s)", few_["startup_s"], many_["startup_s"], "< 1.5 s", many_["startup_s"] < 1.5),
        ("Fixture-answered chat, p50 ms at 1 connection", few_["p50_ms"], many_["p50_ms"], "<= 1.3x", many_["p50_ms"] <= 1.3 * few_["p50_ms"]),
        ("Fixture-answered chat, p99 ms at 1 connection", few_["p99_ms"], many_["p99_ms"], "-", None),
        (f"Resident memory after {args.requests:,} more requests (MB)", few_["rss_mb"], many_["rss_mb"], "<= 1.5x", many_["rss_mb"] <= 1.5 * few_["rss_mb"]),
        ("Rows in the last journal entry's fixture report", few_["report_rows"], many_["report_rows"], "bounded", None),
    ]
    print(f"| Figure | {few_['fixtures']} fixtures | {many_['fixtures']:,} fixtures | Ratio | Target |")
    print("|---|---:|---:|---:|---|")
    for name, a, b, target, ok in rows:
        ratio = f"{b / a:.2f}" if a else "-"
        verdict = "" if ok is None else (" met" if ok else " NOT met")
        print(f"| {name} | {a:.2f} | {b:.2f} | {ratio} | {target}{verdict} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
