#!/usr/bin/env python3
"""Set-up and entry point for a fresh machine that has only Python.

    python3 dev.py serve [serve options]   start the emulator on its built-in fixtures
    python3 dev.py test  [pytest options]  run the whole test suite
    python3 dev.py test --latest [...]     the same against the newest releases of every
                                           dependency (SDKs included), in .venv-latest
    python3 dev.py test --lowest [...]     the same against the lower bounds pyproject.toml
                                           states, in .venv-lowest
    python3 dev.py bench [bench options]   run the benchmark

`test` also installs Debian's chromium and chromium-driver (apt-get, once) where they are missing
and it runs as root with apt-get, for the dashboard's browser test (DEV_NO_BROWSER_INSTALL=1: not).

Each command first makes `.venv` and installs the project with its test extra into it, at
the versions constraints.txt pins (the ones the suite last passed with), once (again only
when pyproject.toml or constraints.txt changes). `--latest` ignores constraints.txt and
upgrades .venv-latest to the newest releases on every run: that is how drift in the SDKs is
found on purpose. Refresh the pins with `.venv-latest/bin/pip freeze --exclude-editable`
once the suite passes there.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
CONSTRAINTS = ROOT / "constraints.txt"


def python_of(venv_dir: Path) -> Path:
    return venv_dir / ("Scripts" if os.name == "nt" else "bin") / ("python.exe" if os.name == "nt" else "python")


# The three test environments: the pinned one (.venv, what CI runs), the newest releases, and
# the lowest versions pyproject.toml admits (its lower bounds, tested).
FLAVOURS = {"pinned": ".venv", "latest": ".venv-latest", "lowest": ".venv-lowest"}


def lower_bounds(pyproject: str) -> list[str]:
    """`name==X` for every `name>=X` requirement of pyproject.toml (markers kept)."""
    pins = []
    for match in re.finditer(r'"([A-Za-z0-9_.\[\]-]+)>=([0-9][^",;\s]*)([^"]*)"', pyproject):
        name, version, rest = match.groups()
        marker = rest[rest.index(";"):] if ";" in rest else ""
        pins.append(f"{name}=={version}{marker}")
    return pins


def ensure_venv(flavour: str = "pinned") -> Path:
    """The virtual environment's python, made and installed first where needed."""
    venv_dir = ROOT / FLAVOURS[flavour]
    python = python_of(venv_dir)
    stamp = venv_dir / ".installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + CONSTRAINTS.read_bytes()).hexdigest()
    if flavour != "latest" and stamp.exists() and stamp.read_text() == wanted and python.exists():
        return python
    if not python.exists():
        print(f"dev.py: creating {venv_dir.name}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(venv_dir)
    quiet = ["-q"] if os.environ.get("CI") else []
    pip = [str(python), "-m", "pip", "install", *quiet]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    if flavour == "latest":
        print(f"dev.py: installing the newest ai-gateway-emulator[test] dependencies into {venv_dir.name}", file=sys.stderr)
        subprocess.run([*pip, "--upgrade", "--upgrade-strategy", "eager", "-e", f"{ROOT}[test]"], check=True)
    else:
        constraints = CONSTRAINTS
        if flavour == "lowest":
            constraints = venv_dir / "lower-bounds.txt"
            constraints.write_text("\n".join(lower_bounds((ROOT / "pyproject.toml").read_text())) + "\n")
        print(f"dev.py: installing ai-gateway-emulator[test] into {venv_dir.name} (pinned by {constraints.name})", file=sys.stderr)
        subprocess.run([*pip, "-c", str(constraints), "-e", f"{ROOT}[test]"], check=True)
        stamp.write_text(wanted)
    if flavour != "pinned":
        subprocess.run([str(python), "-m", "pip", "list", "--format", "freeze"], check=True)
    return python


CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def ensure_browser() -> None:
    """The dashboard's browser test needs Chromium and its driver from the system's packages.
    Where they are missing and this runs as root with apt-get (Debian, Ubuntu, CI), install them
    (once); elsewhere the test is skipped and says why. DEV_NO_BROWSER_INSTALL=1 opts out."""
    if any(Path(p).exists() for p in CHROMIUM) or os.environ.get("DEV_NO_BROWSER_INSTALL"):
        return
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return
    print("dev.py: installing chromium and chromium-driver (apt-get) for the dashboard's browser test", file=sys.stderr)
    quiet = ["-qq"] if os.environ.get("CI") else []
    apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(["apt-get", *quiet, "update"], env=apt_env).returncode == 0:
        subprocess.run(["apt-get", *quiet, "install", "-y", "--no-install-recommends", "chromium", "chromium-driver"], env=apt_env)
    if not any(Path(p).exists() for p in CHROMIUM):
        print("dev.py: chromium could not be installed: the browser test will be skipped", file=sys.stderr)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("serve", "test", "bench"):
        print(__doc__)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    flavour = "pinned"
    if command == "test":
        for name in ("latest", "lowest"):
            if f"--{name}" in rest:
                flavour, rest = name, [arg for arg in rest if arg != f"--{name}"]
    python = ensure_venv(flavour)
    if command == "test":
        ensure_browser()
    os.chdir(ROOT)
    if command == "serve":
        args = [str(python), "-m", "emulator", "serve", *rest]
    elif command == "test":
        args = [str(python), "-m", "pytest", *rest]
    else:
        args = [str(python), str(ROOT / "benchmarks" / "bench.py"), *rest]
    if os.name == "nt":
        return subprocess.call(args)
    os.execv(args[0], args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
