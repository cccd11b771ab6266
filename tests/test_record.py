"""Record mode: an emulator records against a second emulator (the "real" upstream) over the
openai, anthropic and cloudflare SDKs, streamed and not; the files validate, hold no credential,
and replaying them answers the same bodies byte for byte. Then --record-missing and the drift check."""

from __future__ import annotations

import json
from pathlib import Path

import anthropic
import cloudflare
import httpx
import openai
import pytest

from emulator.fixtures import check_fixture_document
from tests.server import ACCOUNT_ID, start_emulator

OPENAI_KEY = "sk-proj-recordedsecret0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-api03-recordedsecret0123456789"
CLOUDFLARE_TOKEN = "cf-token-recordedsecret-0123456789"
SECRETS = (OPENAI_KEY, ANTHROPIC_KEY, CLOUDFLARE_TOKEN, "Employee #4711")
WEATHER = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


def conversation(base_url: str) -> list[bytes]:
    """What an app sends through the three SDKs, and the bodies it gets back, in order."""
    account = f"{base_url}/client/v4/accounts/{ACCOUNT_ID}"
    oa = openai.OpenAI(base_url=f"{account}/ai/v1", api_key=OPENAI_KEY, max_retries=0)
    an = anthropic.Anthropic(base_url=f"{account}/ai", api_key=ANTHROPIC_KEY, max_retries=0)
    cf = cloudflare.Cloudflare(base_url=f"{base_url}/client/v4", api_token=CLOUDFLARE_TOKEN, max_retries=0)
    bodies = []

    def keep(raw) -> None:
        bodies.append(raw.http_response.read())

    chat = [{"role": "system", "content": "Answer for Employee #4711."}, {"role": "user", "content": "Tell me a story"}]
    keep(oa.chat.completions.with_raw_response.create(model="openai/gpt-4.1", messages=chat))
    keep(oa.chat.completions.with_raw_response.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "Stream a story"}],
                                                      stream=True, stream_options={"include_usage": True}))
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}}]
    agent = [{"role": "user", "content": "weather in Oslo?"}]
    keep(oa.chat.completions.with_raw_response.create(model="openai/gpt-4.1", messages=agent, tools=tools, tool_choice="required"))
    call = json.loads(bodies[-1])["choices"][0]["message"]["tool_calls"][0]
    agent += [{"role": "assistant", "content": None, "tool_calls": [call]}, {"role": "tool", "tool_call_id": call["id"], "content": "-3 C"}]
    keep(oa.chat.completions.with_raw_response.create(model="openai/gpt-4.1", messages=agent, tools=tools))
    keep(oa.responses.with_raw_response.create(model="openai/gpt-4.1", input="Summarize the news"))
    keep(oa.responses.with_raw_response.create(model="openai/gpt-4.1", input="Stream the news", stream=True))
    claude = [{"role": "user", "content": "A haiku, please"}]
    keep(an.messages.with_raw_response.create(model="anthropic/claude-sonnet-4.5", max_tokens=200, messages=claude))
    keep(an.messages.with_raw_response.create(model="anthropic/claude-sonnet-4.5", max_tokens=200, messages=claude, stream=True))
    llama = "@cf/meta/llama-3.1-8b-instruct"
    headers = {"cf-aig-gateway-id": "default"}
    keep(cf.ai.with_raw_response.run(llama, account_id=ACCOUNT_ID, prompt="Hello, Workers AI", extra_headers=headers))
    keep(cf.ai.with_raw_response.run(llama, account_id=ACCOUNT_ID, prompt="Stream, Workers AI", stream=True, extra_headers=headers))
    keep(cf.ai.with_raw_response.run("@cf/meta/m2m100-1.2b", account_id=ACCOUNT_ID, text="Hello", target_lang="fr", extra_headers=headers))
    keep(oa.embeddings.with_raw_response.create(model="@cf/baai/bge-small-en-v1.5", input=["cats", "dogs"], extra_headers=headers))
    return bodies


@pytest.fixture(scope="module")
def upstream():
    running = start_emulator("--no-builtin-fixtures")
    yield running
    running.stop()


def reset(emulator) -> None:
    httpx.post(emulator.base_url + "/__emulator__/reset").raise_for_status()


def recorded_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.json"))


def test_a_recorded_conversation_replays_byte_for_byte_from_fixture_files(upstream, start, tmp_path):
    out = tmp_path / "recorded"
    recorder = start("--upstream", upstream.base_url, "--out", str(out), "--redact", r"Employee #\d+", command="record")
    reset(upstream)
    recorded = conversation(recorder.base_url)
    files = recorded_files(out)
    assert len(files) == len(recorded) - 1  # the haiku, asked again streamed, adds its chunks to its fixture
    for file in files:
        text = file.read_text()
        check_fixture_document(json.loads(text), str(file))
        assert not any(secret in text for secret in SECRETS), file.name
    streamed = json.loads(files[1].read_text())["fixtures"][0]
    assert streamed["match"] == {"endpoint": "chat_completions", "model": "openai/gpt-4.1", "content": "Stream a story", "turn": 0, "last_role": "user"}
    assert "".join(streamed["respond"]["stream"]["chunks"]) == streamed["respond"]["text"]
    follow_up = json.loads(files[3].read_text())["fixtures"][0]["match"]
    assert (follow_up["turn"], follow_up["last_role"], follow_up["tool_result"]) == (1, "tool", {"tool": "get_weather", "content": "-3 C"})

    replay = start("--no-builtin-fixtures", "--fixtures", str(out))
    replayed = conversation(replay.base_url)
    journal = httpx.get(replay.base_url + "/__emulator__/journal").json()["entries"]
    assert [e["fixture"] for e in journal if not (e["fixture"] or "").startswith("recorded-")] == [], [(e["path"], [r for r in e["fixture_report"]][:3]) for e in journal if not e["fixture"]]
    for number, (sent, again) in enumerate(zip(recorded, replayed)):
        assert again == sent, f"request {number}"


def test_record_missing_answers_from_fixtures_and_records_the_rest(upstream, start, tmp_path):
    out = tmp_path / "recorded"
    recorder = start("--upstream", upstream.base_url, "--out", str(out), "--record-missing", "--no-builtin-fixtures", command="record")
    httpx.post(recorder.base_url + "/__emulator__/fixtures", json={"match": {"content": "known"}, "respond": {"text": "from a fixture"}}).raise_for_status()
    client = openai.OpenAI(base_url=recorder.openai_base_url, api_key=OPENAI_KEY, max_retries=0)

    def ask(text: str) -> str:
        return client.chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": text}]).choices[0].message.content

    assert ask("known") == "from a fixture"
    assert recorded_files(out) == []
    first = ask("unknown")
    assert len(recorded_files(out)) == 1
    upstream_requests = len(httpx.get(upstream.base_url + "/__emulator__/journal").json()["entries"])
    assert ask("unknown") == first  # now answered by the fixture just recorded
    assert len(httpx.get(upstream.base_url + "/__emulator__/journal").json()["entries"]) == upstream_requests
    assert len(recorded_files(out)) == 1


def test_drift_check_reports_where_the_answer_shape_changed(upstream, start, tmp_path):
    out = tmp_path / "recorded"
    recorder = start("--upstream", upstream.base_url, "--out", str(out), command="record")
    client = openai.OpenAI(base_url=recorder.openai_base_url, api_key=OPENAI_KEY, max_retries=0)
    client.chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "drift?"}])
    from emulator.drift import check

    assert [d.differences for d in check(upstream.base_url, "t", [out])] == [[]]
    file = recorded_files(out)[0]
    document = json.loads(file.read_text())
    shape = document["fixtures"][0]["recorded"]["response"]
    shape["body"]["$.choices[*].message.legacy"] = "string"  # as if the recording had a key the live answer lost
    shape["body"]["$.usage.total_tokens"] = "string"
    shape["headers"].append("x-gone")
    file.write_text(json.dumps(document))
    [drift] = check(upstream.base_url, "t", [out])
    assert drift.differences == [
        "header x-gone is gone",
        "$.choices[*].message.legacy is gone (was string)",
        "$.usage.total_tokens was string, is number",
    ]


def test_record_needs_an_upstream_and_valid_redact_patterns():
    import subprocess
    import sys

    missing = subprocess.run([sys.executable, "-m", "emulator", "record"], capture_output=True, text=True, timeout=30)
    assert missing.returncode == 2 and "--upstream" in missing.stderr
    bad = subprocess.run([sys.executable, "-m", "emulator", "record", "--upstream", "http://127.0.0.1:9", "--redact", "("],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "--redact: invalid regular expression" in bad.stderr


def test_an_upstream_that_does_not_answer_is_a_502_naming_it(start, tmp_path):
    recorder = start("--upstream", "http://127.0.0.1:9", "--out", str(tmp_path), command="record")
    response = httpx.post(recorder.openai_base_url + "/chat/completions", headers=recorder.auth(),
                          json={"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 502
    assert "the upstream http://127.0.0.1:9 did not answer" in response.json()["errors"][0]["message"]
    assert list(tmp_path.iterdir()) == []
