"""Start the real emulator as a subprocess on a free loopback port, for tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from emulator.urls import AccountUrls
from pytest_plugin.server import drain

ROOT = Path(__file__).resolve().parent.parent
_LISTENING = re.compile(r"listening on (http://[^\s]+)")
ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
TOKEN = "test-token"


@dataclass
class RunningEmulator(AccountUrls):
    process: subprocess.Popen
    base_url: str
    account_id: str = ACCOUNT_ID
    api_token: str = TOKEN
    banner: str = ""  # what the server printed on start
    errors: object = None  # the file the server's stderr goes to (a pipe nobody drains would block it)
    _final_stderr: str = ""

    def stderr(self) -> str:
        """What the server has written to stderr so far."""
        self.errors.flush()
        with open(self.errors.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def auth(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_token}", **extra}

    def stop(self) -> str:
        """Stop the server (again is harmless); returns what it wrote to stderr."""
        if self.errors.closed:
            return self._final_stderr
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._final_stderr = self.stderr()
        self.errors.close()
        return self._final_stderr


def start_emulator(*args: str, env: dict[str, str] | None = None, timeout: float = 20.0, command: str = "serve") -> RunningEmulator:
    cmd = [sys.executable, "-m", "emulator", command, "--port", "0", *args]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AI_GATEWAY_EMULATOR_")}
    environment.update(env or {})
    errors = tempfile.NamedTemporaryFile(mode="w+", prefix="emulator-stderr-", suffix=".log", delete=True)
    process = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=errors, text=True, env=environment)
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            code = process.wait()
            errors.seek(0)
            raise RuntimeError(f"emulator exited ({code}): {errors.read()}")
        match = _LISTENING.search(line)
        if match:
            banner = line
            while line.strip():  # the banner ends with a blank line
                line = process.stdout.readline()
                banner += line
            running = RunningEmulator(process, match.group(1), banner=banner, errors=errors)
            # Keep reading stdout so the server can never block on a full pipe.
            threading.Thread(target=drain, args=(process.stdout,), daemon=True).start()
            _wait_ready(running, deadline)
            return running
    process.kill()
    raise RuntimeError("emulator did not start in time")


def _wait_ready(emu: RunningEmulator, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            httpx.get(emu.base_url + "/", timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.02)
    raise RuntimeError("emulator did not answer in time")
