"""Run the emulator as a child process on a free loopback port, for one test session.

A child process rather than a server thread: both start in about 0.6 s, but a child keeps the
emulator's imports, its event loop and its share of the GIL out of the test process, and
nothing a test patches (time, environment, logging) can reach it.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest_plugin

_LISTENING = re.compile(r"listening on (http://\S+)")
_ACCOUNT = re.compile(r"account id:\s*(\S+)")
_TOKEN = re.compile(r"api token:\s*(\S+)")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass
class EmulatorProcess:
    process: subprocess.Popen
    base_url: str
    account_id: str
    api_token: str

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_emulator(args: list[str], command_name: str = "serve") -> EmulatorProcess:
    """Start `ai-gateway-emulator serve` (or `record`) with `args`, return once it accepts connections."""
    # cwd = the directory holding this package and `emulator`, so `-m emulator` can never pick up
    # a downstream project's own module of that name.
    home = Path(pytest_plugin.__file__).resolve().parent.parent
    command = [sys.executable, "-m", "emulator", command_name, "--host", "127.0.0.1", "--port", "0", *args]
    errors = tempfile.TemporaryFile(mode="w+")
    # A test session starts from nothing: a state directory set for local development is not read.
    environment = {k: v for k, v in os.environ.items() if k != "AI_GATEWAY_EMULATOR_STATE_DIR"}
    process = subprocess.Popen(command, cwd=home, stdout=subprocess.PIPE, stderr=errors, text=True, env=environment)
    deadline = time.monotonic() + START_TIMEOUT
    try:
        banner = _read_banner(process)
        started = EmulatorProcess(process, banner["url"], banner["account"], banner["token"])
        _wait_until_listening(started, deadline)
    except RuntimeError as exc:
        process.kill()
        process.wait()
        errors.seek(0)
        raise RuntimeError(f"{exc}\ncommand: {' '.join(command)}\n{errors.read()[-4000:]}") from None
    finally:
        errors.close()
    threading.Thread(target=drain, args=(process.stdout,), daemon=True).start()
    return started


def _read_banner(process: subprocess.Popen) -> dict[str, str]:
    found: dict[str, str] = {}
    assert process.stdout is not None
    for line in process.stdout:
        for key, pattern in (("url", _LISTENING), ("account", _ACCOUNT), ("token", _TOKEN)):
            match = pattern.search(line)
            if match:
                found[key] = match.group(1)
        if len(found) == 3:
            return found
    raise RuntimeError(f"the emulator exited with status {process.wait()} before it listened")


def _wait_until_listening(started: EmulatorProcess, deadline: float) -> None:
    # The banner is printed once the port is bound; it accepts connections a moment later.
    host, port = started.base_url.removeprefix("http://").rsplit(":", 1)
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, int(port)), timeout=1.0).close()
            return
        except OSError:
            if started.process.poll() is not None:
                raise RuntimeError(f"the emulator exited with status {started.process.returncode}") from None
            time.sleep(0.005)
    raise RuntimeError(f"the emulator did not accept connections within {START_TIMEOUT:.0f} s")


def drain(stream) -> None:
    """Keep reading what the server prints so a full pipe can never block it."""
    for _ in stream:
        pass
