"""Benchmark the emulator against a bare Starlette app on the same uvicorn settings.

    python3 dev.py bench            # full run (about two minutes)
    python3 dev.py bench --quick    # bounded run (a few hundred requests, under 20 s)

Both servers run as subprocesses on loopback; one load generator (benchmarks/loadgen.py,
in its own process) drives both the same way. Every figure is reported for the emulator,
the baseline, and their ratio (emulator / baseline), as a markdown table on stdout and as
JSON (--json, default benchmarks/results.json).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import loadgen  # noqa: E402

from emulator.cli import UVICORN_OPTIONS  # noqa: E402

ACCOUNT = "/client/v4/accounts/0123456789abcdef0123456789abcdef"
AUTH = {"Authorization": "Bearer bench-token", "Content-Type": "application/json"}
CHAT_PATH = f"{ACCOUNT}/ai/v1/chat/completions"
RUN_PATH = f"{ACCOUNT}/ai/run"
MODEL = "openai/gpt-4o-mini"
STREAM_WORDS = 199  # with the trailing "." that is 200 tokens, one chunk each
_LISTENING = re.compile(r"listening on (http://[^\s]+)")


def chat_body(text: str, **extra: Any) -> str:
    return json.dumps({"model": MODEL, "messages": [{"role": "user", "content": text}], **extra})


FIXTURES = {
    "fixtures": [
        {"name": "bench-fixture", "match": {"content": {"contains": "benchmark fixture"}},
         "respond": {"text": "A fixed benchmark answer."}},
        {"name": "bench-stream", "match": {"content": {"contains": "benchmark stream"}},
         "respond": {"text": " ".join(f"word{i}" for i in range(STREAM_WORDS)) + "."}},
    ]
}


@dataclass
class Scenario:
    key: str
    title: str
    path: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    baseline_path: str = "/v1/chat/completions"
    streamed: bool = False
    # Looks at the emulator's sample answers; returns why the row cannot be measured, or None.
    unavailable: Callable[[dict[str, Any]], str | None] = lambda result: None
    # Sent once before measuring (to fill the cache).
    prime: bool = False


def _not_a_stream(result: dict[str, Any]) -> str | None:
    content_type = result.get("first", {}).get("headers", {}).get("content-type", "")
    return None if content_type.startswith("text/event-stream") else "n/a (streaming not available)"


def _not_a_hit(result: dict[str, Any]) -> str | None:
    status = result.get("last", {}).get("headers", {}).get("cf-aig-cache-status")
    return None if status == "HIT" else "cache not available"


SCENARIOS = [
    Scenario("synth", "Chat completion, synthesized (cache miss)", CHAT_PATH,
             chat_body("Benchmark question number {n}: what changed today?")),
    # Each body distinct ({n}), as for "synth": a body sent again skips its schema check, and
    # the fixture figure is "with full request validation".
    Scenario("fixture", "Chat completion, fixture-answered", CHAT_PATH, chat_body("Please give the benchmark fixture answer ({n}).")),
    Scenario("cache_hit", "Chat completion, cache hit", CHAT_PATH, chat_body("A question whose answer is cached."),
             headers={"cf-aig-cache-ttl": "3600"}, unavailable=_not_a_hit, prime=True),
    Scenario("embedding", "ai/run embedding (bge-small)", RUN_PATH,
             json.dumps({"model": "@cf/baai/bge-small-en-v1.5", "input": {"text": ["A benchmark sentence to embed."]}}),
             headers={"cf-aig-gateway-id": "default"}),
    Scenario("stream", f"Chat completion streamed ({STREAM_WORDS + 1} chunks)", CHAT_PATH,
             chat_body("Please stream the benchmark stream answer.", stream=True),
             baseline_path="/stream", streamed=True, unavailable=_not_a_stream),
]


# --- servers ------------------------------------------------------------------------------------
@dataclass
class Server:
    name: str
    process: subprocess.Popen
    host: str
    port: int
    startup_s: float

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def cpu_s(self) -> float | None:
        """CPU seconds (user and system) the server process has used, or None off Linux."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def emulator_command() -> list[str]:
    return [sys.executable, "-m", "emulator", "serve", "--port", "0"]


def baseline_command() -> list[str]:
    return [sys.executable, str(ROOT / "benchmarks" / "baseline_app.py"), json.dumps(UVICORN_OPTIONS)]


def start(name: str, command: list[str], timeout: float = 20.0) -> Server:
    """Start a server; its start-up time runs from spawning the process to its first answered
    chat completion (the request a test sends first, with whatever it loads on first use)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AI_GATEWAY_EMULATOR_")}
    began = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    deadline = began + timeout
    assert process.stdout is not None
    while True:
        line = process.stdout.readline()
        if not line or time.perf_counter() > deadline:
            process.kill()
            raise RuntimeError(f"{name} did not start ({process.wait()})")
        match = _LISTENING.search(line)
        if match:
            break
    host, port = match.group(1).removeprefix("http://").rsplit(":", 1)
    probe = loadgen.request_bytes(host, int(port), "POST", CHAT_PATH, {**AUTH, "Connection": "close"}, chat_body("start-up probe"))
    while time.perf_counter() < deadline:
        try:
            with socket.create_connection((host, int(port)), timeout=5) as conn:
                conn.sendall(probe)
                status = conn.recv(16)
                if status.startswith(b"HTTP/1.1 200"):
                    return Server(name, process, host, int(port), time.perf_counter() - began)
                process.kill()
                raise RuntimeError(f"{name} answered the start-up probe with {status!r}")
        except OSError:
            time.sleep(0.005)
    process.kill()
    raise RuntimeError(f"{name} did not answer")


def start_measured(name: str, command: list[str], repeat: int) -> tuple[Server, float]:
    """A running server and the median start-up time of `repeat` starts (the last one keeps running)."""
    times = []
    for _ in range(repeat - 1):
        server = start(name, command)
        times.append(server.startup_s)
        server.stop()
    server = start(name, command)
    return server, statistics.median([*times, server.startup_s])


def post(server: Server, path: str, body: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    import http.client

    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.request("POST", path, body=body.encode(), headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


# --- measuring ----------------------------------------------------------------------------------
class LoadGenerator:
    """The load generator in its own process, so it does not share a core with bench.py's bookkeeping."""

    def __init__(self) -> None:
        self.pool = multiprocessing.get_context("spawn").Pool(1)

    def run(self, server: Server, path: str, body: str, headers: dict[str, str], connections: int, requests: int,
            seconds: float, first: int = 0) -> dict[str, Any]:
        spec = {"host": server.host, "port": server.port, "path": path, "body": body, "headers": {**AUTH, **headers},
                "connections": connections, "requests": requests, "seconds": seconds, "first": first}
        return self.pool.apply(loadgen.run_load, (spec,))

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()


def loadgen_ceiling(gen: LoadGenerator, budget: "Budget") -> float:
    """Requests per second the load generator reaches against a raw asyncio server answering fixed bytes."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    process = multiprocessing.get_context("spawn").Process(target=loadgen.serve_fixed, args=(sock,), daemon=True)
    process.start()
    try:
        fixed = Server("ceiling", None, "127.0.0.1", sock.getsockname()[1], 0.0)  # type: ignore[arg-type]
        result = gen.run(fixed, CHAT_PATH, SCENARIOS[0].body, {}, 32, max(budget.requests, 5_000), budget.seconds)
        return result["rps"]
    finally:
        process.kill()
        process.join()
        sock.close()


@dataclass
class Budget:
    requests: int  # per measurement at 32 connections
    single: int  # per measurement at one connection
    seconds: float  # cap per measurement
    memory_requests: int
    startup_repeat: int
    plugin_repeat: int
    rounds: int  # alternating rounds per scenario; `requests` and `single` are split among them


FULL = Budget(requests=24_000, single=3_000, seconds=3.0, memory_requests=100_000, startup_repeat=5, plugin_repeat=3, rounds=5)
QUICK = Budget(requests=400, single=100, seconds=1.0, memory_requests=1_000, startup_repeat=1, plugin_repeat=1, rounds=1)


def measure_scenario(gen: LoadGenerator, servers: dict[str, Server], scenario: Scenario, budget: Budget) -> dict[str, Any]:
    """Each side warmed up, then `budget.rounds` rounds that alternate the sides (emulator,
    baseline, emulator, ...), so a slow spell of this shared machine falls on both; each side's
    figures are its median round (by req/s at 32 connections, by p50 at one)."""
    out: dict[str, Any] = {"title": scenario.title}
    paths = {side: scenario.path if side == "emulator" else scenario.baseline_path for side in servers}
    for side, server in servers.items():
        if scenario.prime:
            post(server, paths[side], scenario.body, {**AUTH, **scenario.headers})
        gen.run(server, paths[side], scenario.body, scenario.headers, 8, max(50, budget.requests // 10), budget.seconds, first=10**9)
    rounds: dict[str, dict[str, list[dict[str, Any]]]] = {side: {"c32": [], "c1": []} for side in servers}
    for number in range(budget.rounds):
        for side, server in servers.items():
            # {n} numbers requests from 0 in every run: each round's bodies are its own.
            body = scenario.body.replace("{n}", f"r{number}-{{n}}")
            cpu_before = server.cpu_s()
            run = gen.run(server, paths[side], body, scenario.headers, 32, budget.requests // budget.rounds, budget.seconds)
            cpu_after = server.cpu_s()
            # The server's own cost per answer, whatever the load generator and the machine's
            # other work did to the timing (a 10 ms clock tick: ~2% of a full round).
            if cpu_before is not None and cpu_after is not None and run["requests"]:
                run["server_cpu_us"] = (cpu_after - cpu_before) / run["requests"] * 1e6
            rounds[side]["c32"].append(run)
            rounds[side]["c1"].append(gen.run(server, paths[side], body, scenario.headers, 1, budget.single // budget.rounds, budget.seconds,
                                              first=2 * 10**9))
    for side, runs in rounds.items():
        out[side] = {"c32": _median_run(runs["c32"], "rps"), "c1": _median_run(runs["c1"], "p50_ms")}
    reason = scenario.unavailable(out["emulator"]["c32"])
    if reason is None:
        failed = {s: r for s, r in out["emulator"]["c32"]["statuses"].items() if s != 200}
        reason = f"error: statuses {failed}" if failed else None
    out["unavailable"] = reason
    return out


def _median_run(runs: list[dict[str, Any]], key: str) -> dict[str, Any]:
    ranked = sorted(runs, key=lambda run: run.get(key) or 0.0)
    return ranked[(len(ranked) - 1) // 2]


def measure_memory(gen: LoadGenerator, server: Server, budget: Budget) -> float:
    """RSS after `memory_requests` distinct requests, each asking to be cached."""
    body = chat_body("Memory benchmark request {n}: remember me.")
    gen.run(server, CHAT_PATH if server.name == "emulator" else "/v1/chat/completions", body, {"cf-aig-cache-ttl": "3600"}, 32,
            budget.memory_requests, 600.0)
    return server.rss_mb()


def plugin_overhead(repeat: int) -> dict[str, Any] | None:
    try:
        from benchmarks.plugin_overhead import measure_plugin_overhead  # type: ignore[import-not-found]
    except ImportError:
        return None
    return measure_plugin_overhead(repeat=repeat)


def machine() -> dict[str, Any]:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import starlette
    import uvicorn

    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "uvicorn": uvicorn.__version__, "starlette": starlette.__version__, "uvicorn_options": UVICORN_OPTIONS,
            "http": _optional("httptools"), "loop": _optional("uvloop")}


def _optional(module: str) -> str:
    try:
        __import__(module)
        return module
    except ImportError:
        return "h11" if module == "httptools" else "asyncio"


def compile_bytecode() -> None:
    """Both sides start from compiled bytecode, as an installed package does (pip compiles at
    install; Python writes __pycache__ on first import) and as the baseline's libraries already
    do. The project runs from its source tree, and where PYTHONDONTWRITEBYTECODE is set (it is on
    these machines) every start would compile the emulator's modules anew: not a user's start-up."""
    import compileall

    for package in ("emulator", "pytest_plugin"):
        compileall.compile_dir(ROOT / package, quiet=1)


def run(budget: Budget) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine(), "budget": budget.__dict__}
    compile_bytecode()
    results["plugin_overhead"] = plugin_overhead(budget.plugin_repeat)
    gen = LoadGenerator()
    servers: dict[str, Server] = {}
    try:
        results["startup_s"] = {}
        for side, command in (("emulator", emulator_command()), ("baseline", baseline_command())):
            servers[side], results["startup_s"][side] = start_measured(side, command, budget.startup_repeat)
        results["idle_rss_mb"] = {side: s.rss_mb() for side, s in servers.items()}
        status, _, answer = post(servers["emulator"], "/__emulator__/fixtures", json.dumps(FIXTURES), AUTH)
        if status != 201:
            raise RuntimeError(f"could not add the benchmark fixtures: {status} {answer[:200]!r}")
        results["loadgen_ceiling_rps"] = loadgen_ceiling(gen, budget)
        results["scenarios"] = {s.key: measure_scenario(gen, servers, s, budget) for s in SCENARIOS}
        results["memory_requests"] = budget.memory_requests
        results["loaded_rss_mb"] = {side: measure_memory(gen, s, budget) for side, s in servers.items()}
    finally:
        gen.close()
        for server in servers.values():
            server.stop()
    return results


# --- reporting ----------------------------------------------------------------------------------
def _num(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _ratio(emulator: float | None, baseline: float | None) -> float | None:
    return None if not emulator or not baseline else emulator / baseline


def _target(ok: bool | None, text: str) -> str:
    return text if ok is None else f"{text} {'met' if ok else 'NOT met'}"


def rows(results: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(figure, emulator, baseline, ratio, target) for every figure."""
    out = []
    start_e, start_b = results["startup_s"]["emulator"], results["startup_s"]["baseline"]
    out.append(("Start-up to first answered chat completion (s)", _num(start_e), _num(start_b), _num(_ratio(start_e, start_b)),
                _target(start_e < 0.4, "< 0.4 s")))
    overhead = results.get("plugin_overhead") or {}
    label = "pytest session of one trivial test, with the plugin / without (s)"
    if "overhead_s" in overhead:
        with_plugin, without = overhead.get("with_plugin_s"), overhead.get("without_plugin_s")
        out.append((label, _num(with_plugin), _num(without), _num(_ratio(with_plugin, without)),
                    _target(overhead["overhead_s"] < 0.3, f"adds {overhead['overhead_s']:.2f} s; < 0.3 s")))
    else:
        out.append((label, "n/a", "n/a", "-", "adds < 0.3 s"))
    ceiling = results["loadgen_ceiling_rps"]
    fastest = max(s["baseline"]["c32"]["rps"] for s in results["scenarios"].values())
    out.append(("Load generator ceiling, raw asyncio server (req/s; ratio to fastest baseline)", _num(ceiling, 0), _num(fastest, 0),
                _num(_ratio(ceiling, fastest)), _target(ceiling > fastest * 1.5, "> 1.5 (not the bottleneck)")))
    targets = {"cache_hit": 0.65, "synth": 0.50, "fixture": 0.50}
    for key, scenario in results["scenarios"].items():
        title = scenario["title"]
        e, b = scenario["emulator"], scenario["baseline"]
        if scenario["unavailable"]:
            for label in ("req/s, 32 connections", "p50 / p99 ms, 32 connections", "p50 / p99 ms, 1 connection"):
                out.append((f"{title}: {label}", scenario["unavailable"], "-", "-", "-"))
            continue
        ratio = _ratio(e["c32"]["rps"], b["c32"]["rps"])
        want = targets.get(key)
        out.append((f"{title}: req/s, 32 connections", _num(e["c32"]["rps"], 0), _num(b["c32"]["rps"], 0), _num(ratio),
                    _target(None if want is None or ratio is None else ratio >= want, f">= {want}" if want else "-")))
        cpu_e, cpu_b = e["c32"].get("server_cpu_us"), b["c32"].get("server_cpu_us")
        out.append((f"{title}: server CPU per answer (us, user + system), 32 connections", _num(cpu_e, 0), _num(cpu_b, 0),
                    _num(_ratio(cpu_e, cpu_b)), "-"))
        out.append((f"{title}: p50 / p99 ms, 32 connections", _pair(e["c32"]), _pair(b["c32"]),
                    _num(_ratio(e["c32"]["p50_ms"], b["c32"]["p50_ms"])), "-"))
        p50_ratio = _ratio(e["c1"]["p50_ms"], b["c1"]["p50_ms"])
        if key != "stream":
            ok = None if p50_ratio is None else p50_ratio <= 2 and e["c1"]["p99_ms"] < 5
            out.append((f"{title}: p50 / p99 ms, 1 connection", _pair(e["c1"]), _pair(b["c1"]), _num(p50_ratio),
                        _target(ok, "p50 <= 2x, p99 < 5 ms")))
            continue
        first_ratio = _ratio(e["c1"]["first_chunk_p50_ms"], b["c1"]["first_chunk_p50_ms"])
        out.append((f"{title}: first chunk p50 / p99 ms, 1 connection", _pair(e["c1"], "first_chunk_"),
                    _pair(b["c1"], "first_chunk_"), _num(first_ratio), _target(None if first_ratio is None else first_ratio <= 1.5, "<= 1.5x")))
        out.append((f"{title}: last chunk p50 / p99 ms, 1 connection", _pair(e["c1"]), _pair(b["c1"]), _num(p50_ratio),
                    _target(None if p50_ratio is None else p50_ratio <= 1.5, "<= 1.5x")))
        out.append((f"{title}: events per answer", str(e["c1"].get("first", {}).get("events")),
                    str(b["c1"].get("first", {}).get("events")), "-", "-"))
    idle_e, idle_b = results["idle_rss_mb"]["emulator"], results["idle_rss_mb"]["baseline"]
    out.append(("Resident memory idle (MB)", _num(idle_e, 1), _num(idle_b, 1), _num(_ratio(idle_e, idle_b)), _target(idle_e < 60, "< 60 MB")))
    load_e, load_b = results["loaded_rss_mb"]["emulator"], results["loaded_rss_mb"]["baseline"]
    out.append((f"Resident memory after {results['memory_requests']:,} distinct cached requests (MB)", _num(load_e, 1), _num(load_b, 1),
                _num(_ratio(load_e, load_b)), "bounded"))
    return out


def _pair(result: dict[str, Any], prefix: str = "") -> str:
    return f"{_num(result[prefix + 'p50_ms'])} / {_num(result[prefix + 'p99_ms'])}"


def markdown(results: dict[str, Any], command: str) -> str:
    m = results["machine"]
    lines = [
        "| Figure | Emulator | Baseline | Ratio | Target |",
        "|---|---:|---:|---:|---|",
        *(f"| {' | '.join(row)} |" for row in rows(results)),
        "",
        f"Command: `{command}`. Ratio = emulator / baseline (higher is better for req/s, lower for times and memory). "
        "Each side's figures are its median of alternating rounds.",
        f"Baseline: a bare Starlette app returning a fixed chat completion (and a `StreamingResponse` of 200 events) "
        f"on the same uvicorn settings ({m['uvicorn_options']}, http {m['http']}, loop {m['loop']}).",
        f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, uvicorn {m['uvicorn']}, starlette {m['starlette']}, "
        f"{m['platform']}; servers and load generator share the machine, on loopback.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="bounded run: a few hundred requests per figure, under 20 s")
    p.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results.json", help="where to write the JSON results")
    args = p.parse_args(argv)
    results = run(QUICK if args.quick else FULL)
    results["rows"] = rows(results)
    args.json.write_text(json.dumps(results, indent=2, default=str))
    command = "python3 dev.py bench" + (" --quick" if args.quick else "")
    print(markdown(results, command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
