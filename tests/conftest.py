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
