from __future__ import annotations

import faulthandler
import os
import sys
from pathlib import Path

import pytest

from tests.server import RunningEmulator, start_emulator

TEST_FIXTURES = Path(__file__).parent / "fixtures"
# No test takes more than a few seconds; one that hangs (a stuck server, a client waiting on a
# socket with the SDKs' ten-minute default timeout) ends the run with every thread's traceback
# instead of holding CI until its own limit.
TEST_DEADLINE_S = float(os.environ.get("EMULATOR_TEST_DEADLINE_S", "180"))


@pytest.fixture(autouse=True)
def hung_test_watchdog():
    faulthandler.dump_traceback_later(TEST_DEADLINE_S, exit=True, file=sys.__stderr__)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="session")
def emulator() -> RunningEmulator:
    """One emulator for the session: built-in fixtures plus tests/fixtures."""
    running = start_emulator("--fixtures", str(TEST_FIXTURES))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def guarded_emulator() -> RunningEmulator:
    """An emulator whose config has guardrail and DLP gateways (tests/guardrails/)."""
    here = Path(__file__).parent / "guardrails"
    running = start_emulator("--config", str(here / "config.yaml"), "--fixtures", str(here / "fixtures"))
    yield running
    assert "Traceback" not in running.stop()


@pytest.fixture(autouse=True)
def no_server_error_in_the_session_emulator(request):
    """A test that made the shared emulator log a traceback (a 500) fails, naming it."""
    if "emulator" not in request.fixturenames:
        yield
        return
    running: RunningEmulator = request.getfixturevalue("emulator")
    before = len(running.stderr())
    yield
    written = running.stderr()[before:]
    assert "Traceback" not in written, f"the emulator logged an error during this test:\n{written[-4000:]}"


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


@pytest.fixture
def http(emulator):
    """httpx client on the session emulator's account URL, authenticated, after a reset."""
    import httpx

    httpx.post(emulator.base_url + "/__emulator__/reset").raise_for_status()
    with httpx.Client(base_url=emulator.account_url, headers=emulator.auth(), timeout=10) as client:
        yield client


@pytest.fixture
def add_fixture(emulator):
    """Add a runtime fixture to the session emulator (forgotten at the next reset)."""
    import httpx

    def _add(spec: dict) -> dict:
        response = httpx.post(emulator.base_url + "/__emulator__/fixtures", json=spec)
        assert response.status_code == 201, response.text
        return response.json()

    return _add


@pytest.fixture
def openai_client(emulator):
    import openai

    return openai.OpenAI(base_url=emulator.openai_base_url, api_key=emulator.api_token, max_retries=0)


@pytest.fixture
def anthropic_client(emulator):
    import anthropic

    return anthropic.Anthropic(base_url=emulator.anthropic_base_url, api_key=emulator.api_token, max_retries=0)


@pytest.fixture
def cloudflare_client(emulator):
    import cloudflare

    return cloudflare.Cloudflare(base_url=emulator.cloudflare_base_url, api_token=emulator.api_token, max_retries=0)
