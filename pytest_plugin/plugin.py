"""The pytest plugin, registered through the `pytest11` entry point.

Loading it costs nothing but option and marker registration: the emulator starts (as a child
process) only when a test asks for `ai_gateway` or a client fixture, and the SDKs are imported
only inside their fixtures.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import pytest

if TYPE_CHECKING:
    from pytest_plugin.ai_gateway import AiGateway

FIXTURE = "ai_gateway"
KEEP_STATE = "ai_gateway_keep_state"
FIXTURE_FILES = "ai_gateway_fixtures"
EMULATOR_ONLY = "ai_gateway_emulator_only"
CLASSIFY = "ai_gateway_classify"

_gateway_key = pytest.StashKey["AiGateway"]()
_last_scope_key = pytest.StashKey["str | None"]()
_journal_offset_key = pytest.StashKey[int]()
_reported_key = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ai-gateway", "AI Gateway emulator")

    def option(name: str, help: str, ini_type: str = "string", **kwargs) -> None:
        dest = name.replace("-", "_")
        group.addoption(f"--{name}", dest=dest, help=help, **kwargs)
        parser.addini(dest, help=help, type=ini_type)

    option("ai-gateway-fixtures", "extra fixture directory for the emulator (repeatable; ini: one per line)",
           ini_type="paths", action="append", metavar="DIR")
    option("ai-gateway-seed", "seed of the emulator's synthesized answers and ids (default 0)", type=int, metavar="N")
    option("ai-gateway-clock", "virtual (default: nothing sleeps) or real", choices=["virtual", "real"])
    option("ai-gateway-url", "contract mode: run against this server (a running emulator or "
           "https://api.cloudflare.com) instead of starting an emulator", metavar="URL")
    option("ai-gateway-token", "API token for --ai-gateway-url (default: $CLOUDFLARE_API_TOKEN)", metavar="TOKEN")
    option("ai-gateway-account-id", "account id for --ai-gateway-url (default: $CLOUDFLARE_ACCOUNT_ID)", metavar="ID")
    option("ai-gateway-gateway-id", "gateway id for gateway_base_url and logs (default: default)", metavar="ID")
    option("ai-gateway-record", "record mode: the emulator forwards every request to this upstream (the real service, "
           "or another emulator) and writes each exchange as a fixture file", metavar="URL")
    option("ai-gateway-record-missing", "with --ai-gateway-record: answer from fixtures, forward and record only what "
           "no fixture matches", ini_type="bool", action="store_true", default=None)
    option("ai-gateway-record-dir", "where --ai-gateway-record writes fixture files (default: recorded)", metavar="DIR")
    option("ai-gateway-drift", "contract mode: after the session, send the requests recorded in DIR to --ai-gateway-url "
           "and report where the answers' shape drifted from the recording", metavar="DIR")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{KEEP_STATE}: share emulator state across the tests of this class or module "
                                       "(on one test: start from the state the previous test left)")
    config.addinivalue_line("markers", f"{FIXTURE_FILES}(*paths): load these fixture files or directories "
                                       "(relative to the test file) into the emulator for this test")
    config.addinivalue_line("markers", f"{EMULATOR_ONLY}: skip this test in contract mode against a server "
                                       "without the emulator's control API")
    config.addinivalue_line("markers", f"{CLASSIFY}(content, categories, applies_to='both', name=None): put content "
                                       "in guardrail hazard categories for this test (ai_gateway.classify)")


# --- fixtures --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def ai_gateway(pytestconfig: pytest.Config) -> Iterator[AiGateway]:
    """The emulator for this session (one per xdist worker), reset before each test that uses it."""
    from pytest_plugin.ai_gateway import open_gateway

    gateway = open_gateway(pytestconfig)
    pytestconfig.stash[_gateway_key] = gateway
    try:
        yield gateway
    finally:
        del pytestconfig.stash[_gateway_key]
        gateway.close()


@pytest.fixture
def openai_client(ai_gateway: AiGateway):
    """`openai.OpenAI` pointed at the emulator (retries off: pass max_retries via with_options)."""
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=ai_gateway.openai_base_url, api_key=ai_gateway.api_token, max_retries=0)
    yield client
    client.close()


@pytest.fixture
def async_openai_client(ai_gateway: AiGateway):
    openai = pytest.importorskip("openai")
    return openai.AsyncOpenAI(base_url=ai_gateway.openai_base_url, api_key=ai_gateway.api_token, max_retries=0)


@pytest.fixture
def anthropic_client(ai_gateway: AiGateway):
    """`anthropic.Anthropic` pointed at the emulator's `.../ai` (the SDK adds `/v1/messages`)."""
    anthropic = pytest.importorskip("anthropic")
    client = anthropic.Anthropic(base_url=ai_gateway.anthropic_base_url, api_key=ai_gateway.api_token, max_retries=0)
    yield client
    client.close()


@pytest.fixture
def async_anthropic_client(ai_gateway: AiGateway):
    anthropic = pytest.importorskip("anthropic")
    return anthropic.AsyncAnthropic(base_url=ai_gateway.anthropic_base_url, api_key=ai_gateway.api_token, max_retries=0)


@pytest.fixture
def cloudflare_client(ai_gateway: AiGateway):
    """`cloudflare.Cloudflare` pointed at the emulator's `/client/v4`."""
    cloudflare = pytest.importorskip("cloudflare")
    client = cloudflare.Cloudflare(api_token=ai_gateway.api_token, base_url=ai_gateway.cloudflare_base_url, max_retries=0)
    yield client
    client.close()


@pytest.fixture
def async_cloudflare_client(ai_gateway: AiGateway):
    cloudflare = pytest.importorskip("cloudflare")
    return cloudflare.AsyncCloudflare(api_token=ai_gateway.api_token, base_url=ai_gateway.cloudflare_base_url, max_retries=0)


# --- per-test isolation and failure reports ----------------------------------------------------
def _uses_gateway(item: pytest.Item) -> bool:
    return FIXTURE in getattr(item, "fixturenames", ())


def _keep_state_scope(item: pytest.Item) -> str | None:
    """Node id of the closest node marked keep-state, or None for a test with fresh state."""
    for node, _mark in item.iter_markers_with_node(KEEP_STATE):
        return node.nodeid
    return None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item):
    if not _uses_gateway(item):
        return (yield)
    config = item.config
    scope, previous = _keep_state_scope(item), config.stash.get(_last_scope_key, None)
    config.stash[_last_scope_key] = scope
    gateway = config.stash.get(_gateway_key, None)
    item.stash[_journal_offset_key] = 0
    if gateway is not None and gateway.has_control:  # not yet started: it starts fresh
        if scope is None or (scope != previous and scope != item.nodeid):
            gateway.reset()
        else:
            item.stash[_journal_offset_key] = len(gateway.journal())
    result = yield
    gateway = config.stash[_gateway_key]
    if item.get_closest_marker(EMULATOR_ONLY) and not gateway.has_control:
        pytest.skip(f"needs the emulator; {gateway.base_url} has no control API (contract mode)")
    base = Path(str(item.path)).parent
    for mark in item.iter_markers(FIXTURE_FILES):
        gateway.load_fixtures(*(base / os.fspath(p) for p in mark.args))
    for mark in item.iter_markers(CLASSIFY):
        gateway.classify(*mark.args, **mark.kwargs)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.failed and _uses_gateway(item) and not item.stash.get(_reported_key, False):
        gateway = item.config.stash.get(_gateway_key, None)
        if gateway is not None and gateway.has_control:
            item.stash[_reported_key] = True
            report.sections.append(("ai gateway journal", _journal_report(gateway, item.stash.get(_journal_offset_key, 0))))
    return report


def _journal_report(gateway: AiGateway, offset: int) -> str:
    from pytest_plugin.journal import describe_journal

    try:
        entries = gateway.journal()[offset:]
    except Exception as exc:  # the report must never hide the test's own failure
        return f"could not read the emulator journal: {exc}"
    return describe_journal(entries, gateway.base_url)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    from pytest_plugin.ai_gateway import drift_report

    report = drift_report(config)
    if report is not None:
        terminalreporter.section("ai gateway drift")
        for line in report:
            terminalreporter.line(line)
