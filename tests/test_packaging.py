"""The wheel carries fixtures, schemas and the dashboard's files, and the installed layout runs without the checkout."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.server import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    try:
        import hatchling  # noqa: F401
    except ImportError:
        pytest.skip("hatchling is not installed: no offline build possible")
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    (built,) = out.glob("ai_gateway_emulator-*.whl")
    return built


def test_wheel_contains_fixtures_schemas_and_the_console_script(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    data = "emulator/_data/"
    for checkout_file in [*(ROOT / "fixtures").rglob("*"), *(ROOT / "schemas").rglob("*")]:
        if checkout_file.is_file():
            relative = checkout_file.relative_to(ROOT).as_posix()
            assert data + relative in names, f"{relative} missing from the wheel"
    for page_file in (ROOT / "emulator" / "ui").iterdir():  # the dashboard: no build step, shipped as is
        assert f"emulator/ui/{page_file.name}" in names, f"the dashboard's {page_file.name} is missing from the wheel"
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "ai-gateway-emulator = emulator.cli:main" in text


def test_installed_layout_runs_outside_the_checkout(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    result = subprocess.run(
        [sys.executable, "-c", "import emulator.paths as p, runpy, sys; print(p.FIXTURES_DIR); sys.argv = ['x', 'check']; runpy.run_module('emulator', run_name='__main__')"],
        cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": ""}, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == str(site / "emulator" / "_data" / "fixtures")
    assert re.match(r"ok: \d+ files, \d+ fixtures, [1-9]\d* models", lines[1]), lines[1]
