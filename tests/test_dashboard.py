"""The dashboard at /__emulator__/ui/, in a real headless Chromium (Debian's, driven by Playwright):
requests sent with the openai SDK appear, filters narrow the table, a log's detail shows its
bodies, redacted headers, the fixture that answered and a stream's chunks, the clock advances.

With EMULATOR_SCREENSHOTS=docs the screenshots go to docs/ (the README shows them)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import openai
import pytest

from tests.server import ROOT

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "", shutil.which("chromium-browser") or "") if p and os.path.exists(p)), None)
# This machine's network is closed, and the test must not depend on it: no background fetches.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright (the test extra) is not installed")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium installed (Debian: apt-get install chromium; python3 dev.py test does it when run as root)",
)


@pytest.fixture
def browser_page(tmp_path):
    with playwright_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1500, "height": 900},
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()


def _screenshot(page, name: str, tmp_path: Path) -> None:
    folder = ROOT / "docs" if os.environ.get("EMULATOR_SCREENSHOTS") == "docs" else tmp_path
    page.screenshot(path=str(folder / name))
    assert (folder / name).stat().st_size > 10_000


def test_the_dashboard_shows_requests_as_they_arrive_filters_them_and_opens_their_detail(start, browser_page, tmp_path):
    emu = start()
    page = browser_page
    expect = playwright_api.expect
    page.goto(emu.base_url + "/__emulator__/ui/")
    expect(page.locator("#gateway-list")).to_contain_text("No gateway yet")
    httpx.post(emu.base_url + "/__emulator__/fixtures", json={
        "name": "slow-stream", "match": {"content": "stream a story"},
        "respond": {"text": "Once upon a time", "stream": {"first_chunk_delay_ms": 40, "chunk_delay_ms": 15}},
    }).raise_for_status()

    client = openai.OpenAI(base_url=emu.openai_base_url, api_key=emu.api_token, max_retries=0)

    def ask(text: str, **headers: str):
        return client.chat.completions.create(
            model="openai/gpt-4.1", messages=[{"role": "user", "content": text}], extra_headers=headers,
        )

    def advance(seconds: float) -> None:
        httpx.post(emu.base_url + "/__emulator__/clock", json={"advance": seconds}).raise_for_status()

    ask("Hello!")
    expect(page.locator("#log-rows tr")).to_have_count(1)  # it appears without reloading the page
    advance(20)
    ask("Hello!", **{"cf-aig-cache-ttl": "3600"})
    ask("Hello!", **{"cf-aig-cache-ttl": "3600"})
    advance(45)
    ask("Write a haiku about caches", **{"cf-aig-metadata": '{"user": "ada"}'})
    advance(30)
    with pytest.raises(openai.InternalServerError):
        ask("simulate an outage")
    stream = client.chat.completions.create(
        model="openai/gpt-4.1", messages=[{"role": "user", "content": "stream a story"}], stream=True,
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "Once upon a time"

    rows = page.locator("#log-rows tr")
    expect(rows).to_have_count(6)
    expect(page.locator("#gateway-list li[data-gateway=default]")).to_contain_text("6")
    expect(page.locator("#total-requests")).to_contain_text("6")
    expect(page.locator("#total-errors")).to_contain_text("1")
    expect(page.locator("#total-cache-hit-rate")).to_contain_text("16.7%")
    expect(rows.nth(0).locator("td").nth(1)).to_have_text("200")  # newest first: the stream
    expect(page.locator("#log-rows td.status.err")).to_have_text("503")
    expect(page.locator("#log-rows td.cache-HIT")).to_have_count(1)
    expect(page.locator("#log-rows td.cache-MISS")).to_have_count(1)
    expect(page.locator("#log-rows td.meta")).to_contain_text(['{"user":"ada"}'])
    # Four buckets with requests: one answered; answered + a cache hit; answered; an error + answered.
    expect(page.locator("#chart rect")).to_have_count(6)
    _screenshot(page, "dashboard.png", tmp_path)

    # Filters, as the logs API takes them.
    page.select_option("select[name=success]", "false")
    page.click("#filters button[type=submit]")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("503")
    page.click("#clear-filters")
    expect(rows).to_have_count(6)
    page.fill("input[name=metadata]", "user=ada")
    page.click("#filters button[type=submit]")
    expect(rows).to_have_count(1)
    page.click("#clear-filters")
    expect(rows).to_have_count(6)

    # A fixture-answered request's detail: bodies, the fixture and why the others did not match,
    # its headers with the credential redacted.
    page.locator("#log-rows tr", has_text="—").last.click()  # the first request: no caching applied
    detail = page.locator("#detail")
    expect(detail).to_be_visible()
    expect(page.locator("#fixture-name")).to_have_text("hello")
    expect(detail.locator("table.report")).to_contain_text("provider-outage")
    expect(page.locator("#request-body")).to_contain_text('"content": "Hello!"')
    expect(page.locator("#response-body")).to_contain_text("I am the AI Gateway emulator")
    expect(page.locator("#request-headers")).to_contain_text('"authorization": "Bearer ****')
    assert emu.api_token not in page.inner_text("#detail")
    expect(page.locator("#detail dd[data-field=tokens_out]")).to_have_text("16")  # every field of the entry
    _screenshot(page, "dashboard-detail.png", tmp_path)

    # The stream's detail: its events with when each left on the emulator's clock.
    rows.nth(0).click()
    expect(page.locator("#fixture-name")).to_have_text("slow-stream")
    chunks = page.locator("#detail table.chunks tbody tr")
    expect(chunks.nth(0)).to_contain_text("40 ms")
    expect(chunks.nth(1)).to_contain_text("55 ms")
    expect(chunks.last).to_contain_text("[DONE]")
    page.locator("#detail table.chunks").scroll_into_view_if_needed()
    _screenshot(page, "dashboard-stream.png", tmp_path)

    # What a guardrail said: a column of its own, on the gateway that has guardrails.
    made = httpx.post(f"{emu.account_url}/ai-gateway/gateways", headers=emu.auth(), json={
        "id": "guarded", "cache_ttl": 0, "cache_invalidate_on_update": False, "collect_logs": True,
        "rate_limiting_interval": 0, "rate_limiting_limit": 0, "guardrails": {"prompt": {"S9": "BLOCK"}},
    })
    assert made.status_code == 200, made.text
    httpx.post(emu.base_url + "/__emulator__/classifications", json={"content": {"contains": "build a bomb"}, "categories": ["S9"]}).raise_for_status()
    with pytest.raises(openai.APIStatusError) as blocked:
        ask("how do I build a bomb", **{"cf-aig-gateway-id": "guarded"})
    assert blocked.value.status_code == 424  # "Prompt blocked due to security configurations"
    page.click("#gateway-list li[data-gateway=guarded]")
    expect(rows).to_have_count(1)
    expect(page.locator("#log-columns th[data-field=guardrails]")).to_have_text("guardrails")
    expect(rows.nth(0).locator("td[data-field=guardrails]")).to_have_text("prompt: BLOCK S9")
    page.click("#gateway-list li[data-gateway=default]")
    expect(rows).to_have_count(6)

    # The virtual clock, advanced from the page.
    expect(page.locator("#clock-now")).to_contain_text("2026-01-01 00:01:35")
    page.fill("#advance-seconds", "3600")
    page.click("#advance")
    expect(page.locator("#clock-now")).to_contain_text("2026-01-01 01:01:35")
    assert httpx.get(emu.base_url + "/__emulator__/clock").json()["iso"].startswith("2026-01-01T01:01:35")
