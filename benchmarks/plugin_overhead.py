"""How much time the pytest plugin adds to a session that never uses it.

Runs a one-test session in a fresh interpreter with the plugin loaded and without it
(`-p no:ai_gateway_emulator` when installed), `repeat` times each, and compares the medians.
Other installed plugins are switched off so the figure is ours alone. Target: under 0.3 s.

    python benchmarks/plugin_overhead.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import entry_points
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 0.3
TRIVIAL_TEST = "def test_trivial():\n    assert True\n"


def _session_seconds(project: Path, plugin_args: list[str]) -> float:
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin_args, "test_trivial.py"]
    started = time.perf_counter()
    subprocess.run(command, cwd=project, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def measure_plugin_overhead(repeat: int = 5) -> dict:
    """Median wall time of a one-test session with and without the plugin, and the difference."""
    installed = entry_points(group="pytest11").select(name="ai_gateway_emulator")
    plugin = ["-p", "ai_gateway_emulator" if installed else "pytest_plugin.plugin"]
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "test_trivial.py").write_text(TRIVIAL_TEST)
        with_plugin, without = [], []
        for _ in range(repeat):  # interleaved, so machine load hits both alike
            with_plugin.append(_session_seconds(project, plugin))
            without.append(_session_seconds(project, []))
    result = {
        "with_plugin_s": round(statistics.median(with_plugin), 3),
        "without_plugin_s": round(statistics.median(without), 3),
        "repeat": repeat,
        "target_s": TARGET_SECONDS,
    }
    result["overhead_s"] = round(result["with_plugin_s"] - result["without_plugin_s"], 3)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    result = measure_plugin_overhead(parser.parse_args().repeat)
    print(json.dumps(result, indent=2))
    return 0 if result["overhead_s"] < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
