from __future__ import annotations

from pathlib import Path

import pytest

from tests.server import RunningEmulator, start_emulator

TEST_FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def emulator() -> RunningEmulator:
    """One emulator for the session: built-in fixtures plus tests/fixtures."""
    running = start_emulator("--fixtures", str(TEST_FIXTURES))
    yield running
    running.stop()


@pytest.fixture
def start():
    """Start an emulator with its own options for one test; stopped afterwards."""
    started: list[RunningEmulator] = []

    def _start(*args: str, **kwargs) -> RunningEmulator:
        running = start_emulator(*args, **kwargs)
        started.append(running)
        return running

    yield _start
    for running in started:
        running.stop()
