"""CPU instructions per request, in-process: a figure that does not move with the machine.

    .venv/bin/python benchmarks/instructions.py [scenario ...]    # synth fixture cache_hit embedding

The request rates of bench.py move by 15% and more between runs on a shared machine, more
than most single changes to the hot path. This counts, under valgrind's callgrind, the CPU
instructions the emulator's ASGI app spends on one request of each of bench.py's scenarios
(without the HTTP server and the kernel): the same count on every run of the same code, so
two versions can be compared change by change. It runs each scenario twice, with two request
counts, and reports the difference per request, so start-up and warm-up cancel out.

Needs valgrind (`apt-get install valgrind`); a request takes a few milliseconds under it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import bench  # noqa: E402

WARM_UP = 300
COUNTS = (50, 450)
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def drive(key: str, count: int) -> int:
    """Send `count` requests of scenario `key` (after a warm-up) to a fresh app; the statuses
    seen, all 200 when it works."""
    from emulator.app import build_app
    from emulator.cli import tune_garbage_collector
    from emulator.settings import build_settings
    from emulator.state import EmulatorState

    settings = build_settings({})
    app = build_app(settings, EmulatorState(settings))
    scenario = next(s for s in bench.SCENARIOS if s.key == key)
    headers = [(k.lower().encode(), v.encode()) for k, v in {**bench.AUTH, **scenario.headers, "host": "127.0.0.1"}.items()]
    statuses: set[int] = set()

    async def post(path: str, body: bytes) -> None:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http", "path": path,
                 "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
                 "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}

        async def receive() -> dict:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                statuses.add(message["status"])

        await app(scope, receive, send)

    async def run() -> None:
        await post("/__emulator__/fixtures", json.dumps(bench.FIXTURES).encode())
        tune_garbage_collector()
        if scenario.prime:
            await post(scenario.path, scenario.body.encode())
        statuses.clear()
        for n in range(WARM_UP + count):
            await post(scenario.path, scenario.body.replace("{n}", str(n)).encode())

    asyncio.run(run())
    return len(statuses - {200})


def instructions_per_request(key: str) -> float:
    """The two runs of `key` side by side (one per core), their difference per request."""
    runs = [
        subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__, "--drive", key, str(n)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        for n in COUNTS
    ]
    totals = []
    for run in runs:
        _, stderr = run.communicate()
        found = _COLLECTED.search(stderr)
        if run.returncode != 0 or found is None:
            raise RuntimeError(f"{key}: valgrind run failed ({run.returncode}): {stderr[-500:]}")
        totals.append(int(found.group(1)))
    return (totals[1] - totals[0]) / (COUNTS[1] - COUNTS[0])


def main(argv: list[str]) -> int:
    if argv[:1] == ["--drive"]:
        return 1 if drive(argv[1], int(argv[2])) else 0
    if shutil.which("valgrind") is None:
        print("instructions.py needs valgrind: apt-get install valgrind", file=sys.stderr)
        return 2
    keys = argv or ["synth", "fixture", "cache_hit", "embedding"]
    unknown = set(keys) - {s.key for s in bench.SCENARIOS if not s.streamed}
    if unknown:
        print(f"unknown scenario(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    bench.compile_bytecode()
    print("| Scenario | CPU instructions per request (in-process) |\n|---|---:|")
    for key in keys:
        print(f"| {key} | {instructions_per_request(key):,.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
