"""The benchmark runs in its bounded mode and reports every figure (it times nothing here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FIGURES = [
    "Start-up to first answered chat completion",
    "pytest session of one trivial test",
    "Load generator ceiling",
    "Chat completion, synthesized (cache miss)",
    "Chat completion, fixture-answered",
    "Chat completion, cache hit",
    "ai/run embedding",
    "Chat completion streamed",
    "Resident memory idle",
    "Resident memory after",
]


def test_quick_benchmark_reports_every_figure_for_emulator_and_baseline(tmp_path):
    out = tmp_path / "results.json"
    run = subprocess.run([sys.executable, "benchmarks/bench.py", "--quick", "--json", str(out)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    table = [line for line in run.stdout.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| Figure | Emulator | Baseline | Ratio |")
    for figure in FIGURES:
        assert any(line.startswith(f"| {figure}") for line in table), f"no row for {figure!r}"
    results = json.loads(out.read_text())
    assert len(results["rows"]) == len(table) - 1
    for side in ("emulator", "baseline"):
        assert results["startup_s"][side] > 0
        assert results["idle_rss_mb"][side] > 0
    measured = results["scenarios"]["synth"]
    assert measured["unavailable"] is None
    assert measured["emulator"]["c32"]["statuses"] == {"200": measured["emulator"]["c32"]["requests"]}
    assert measured["baseline"]["c1"]["requests"] > 0
    # The server's CPU per answer comes from /proc (Linux, as in CI); a quick run's few clock
    # ticks make it coarse, so only its presence is checked.
    if Path("/proc/self/stat").exists():
        for side in ("emulator", "baseline"):
            assert measured[side]["c32"]["server_cpu_us"] >= 0


def test_the_instruction_counter_drives_every_scenario_it_counts_to_200s():
    """benchmarks/instructions.py counts under valgrind (not run here); what it counts is each
    scenario's requests, which must be answered, or it would count an error path."""
    for key in ("synth", "fixture", "cache_hit", "embedding"):
        run = subprocess.run([sys.executable, "benchmarks/instructions.py", "--drive", key, "5"], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, (key, run.stderr[-2000:])
