"""What the dashboard page reads, over HTTP (the browser test is tests/test_dashboard.py): the page
and its files are served from the package and fetch nothing from elsewhere; a log's detail
redacts credentials wherever a header names them."""

from __future__ import annotations

import re

import httpx

from emulator.dashboard import UI_DIR


def test_the_page_and_its_files_are_served_and_load_nothing_from_the_network(emulator):
    page = httpx.get(emulator.base_url + "/__emulator__/ui/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert httpx.get(emulator.base_url + "/__emulator__/ui", follow_redirects=False).headers["location"] == "/__emulator__/ui/"
    for name, media_type in (("dashboard.js", "text/javascript"), ("dashboard.css", "text/css")):
        served = httpx.get(f"{emulator.base_url}/__emulator__/ui/{name}")
        assert served.status_code == 200 and served.headers["content-type"].startswith(media_type)
    assert httpx.get(emulator.base_url + "/__emulator__/ui/..%2Fdashboard.py").status_code == 404
    for path in UI_DIR.iterdir():
        urls = set(re.findall(r"https?://[^\s\"'`)]+", path.read_text()))
        assert urls <= {"http://www.w3.org/2000/svg"}, f"{path.name} names {urls}"  # the SVG namespace is a name, not a fetch


def test_a_logs_detail_has_its_journal_entry_with_every_credential_redacted(emulator, http):
    gateway = f"/v1/{emulator.account_id}/default"
    sent = httpx.post(
        emulator.base_url + gateway + "/anthropic/v1/messages",
        headers={"x-api-key": "sk-ant-secret", "cf-aig-authorization": "Bearer gateway-secret"},
        json={"model": "claude-sonnet-4.5", "max_tokens": 50, "messages": [{"role": "user", "content": "Hello!"}]},
    )
    assert sent.status_code == 200, sent.text
    log_id = sent.headers["cf-aig-log-id"]
    data = f"{emulator.base_url}/__emulator__/dashboard/gateways/{emulator.account_id}/default"
    rows = httpx.get(data + "/logs", params={"provider": "anthropic"}).json()["result"]
    assert [r["id"] for r in rows] == [log_id]
    detail = httpx.get(f"{data}/logs/{log_id}")
    assert detail.status_code == 200
    assert "secret" not in detail.text
    body = detail.json()
    assert body["journal"]["headers"]["x-api-key"] == "****cret"
    assert body["journal"]["headers"]["cf-aig-authorization"] == "Bearer ****cret"
    assert body["journal"]["fixture"] == "hello"
    assert body["entry"]["request_body"]["messages"][0]["content"] == "Hello!"
    assert httpx.get(f"{data}/logs/nope").status_code == 404
