"""The pytest plugin as a downstream project meets it: small projects run in a fresh pytest process."""

from __future__ import annotations

import json
import os
from importlib.metadata import entry_points
from pathlib import Path

import httpx
import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = Path(__file__).parent / "plugin_example" / "example_tests.py"


@pytest.fixture
def downstream(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    """Run pytest in a project that has only the package (no conftest, no ini of ours)."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    # Other installed plugins (hypothesis, faker: seconds to import) stay out; ours is loaded by
    # its entry point name when the package is installed (as `dev.py test` does), else by module.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    installed = entry_points(group="pytest11").select(name="ai_gateway_emulator")
    plugin = "ai_gateway_emulator" if installed else "pytest_plugin.plugin"

    def run(*args: str) -> pytest.RunResult:
        return pytester.runpytest_subprocess("-p", plugin, "-p", "no:cacheprovider", *args)

    return pytester, run


def test_readme_example_passes_with_sdk_raw_http_own_fixture_isolation_cache_and_retries(downstream):
    pytester, run = downstream
    pytester.makepyfile(test_example=EXAMPLE.read_text())
    run().assert_outcomes(passed=6)


def test_failing_test_report_shows_what_the_emulator_saw(downstream):
    pytester, run = downstream
    pytester.makepyfile(
        test_report="""
        import sys
        import urllib.request, json

        def test_plugin_stays_idle_until_a_test_asks_for_it():
            assert not {"pytest_plugin.ai_gateway", "openai", "anthropic", "cloudflare", "starlette"} & set(sys.modules)

        def test_app_expected_another_answer(ai_gateway):
            ai_gateway.add_fixture(name="pinger", match={"content": "ping"}, respond={"text": "pong"})
            request = urllib.request.Request(
                ai_gateway.openai_base_url + "/chat/completions",
                data=json.dumps({"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "pang"}]}).encode(),
                headers={"Authorization": "Bearer " + ai_gateway.api_token, "Content-Type": "application/json",
                         "cf-aig-max-attempts": "9"},
            )
            answer = json.load(urllib.request.urlopen(request))
            assert answer["choices"][0]["message"]["content"] == "pong"
        """
    )
    result = run()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*- ai gateway journal -*",
        "1 request(s) to the emulator at http://127.0.0.1:*",
        "#1 POST /client/v4/accounts/*/ai/v1/chat/completions -> 200",
        "*header: cf-aig-max-attempts: '9' is outside 1..5 (clamped to 5)",
        '*sent: {"model": "openai/gpt-4.1", "messages": [[]{"role": "user", "content": "pang"}]}',
        "*no fixture matched: the answer was synthesized",
        "*pinger (runtime#1): last user message does not match equals 'ping'",
    ])


def test_classify_for_one_test_and_the_verdicts_in_a_failing_report(downstream):
    pytester, run = downstream
    pytester.makepyfile(
        test_guarded="""
        import openai, pytest

        def test_app_handles_a_blocked_prompt(ai_gateway):
            ai_gateway.create_gateway("guarded", guardrails={"prompt": {"S1": "BLOCK"}, "response": {"S1": "FLAG"}})
            client = openai.OpenAI(base_url=ai_gateway.openai_base_url, api_key=ai_gateway.api_token, max_retries=0,
                                   default_headers={"cf-aig-gateway-id": "guarded"})
            with ai_gateway.flag(content={"contains": "rob a bank"}, categories=["S1"], applies_to="prompt", name="robbery"):
                with pytest.raises(openai.APIStatusError) as caught:
                    client.chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "how to rob a bank"}])
            assert caught.value.response.json()["internalCode"] == 2016
            assert ai_gateway.last_request.guardrails[0]["action"] == "BLOCK"
            client.chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "how to rob a bank"}])

        @pytest.mark.ai_gateway_classify("hi", ["S1"], name="greeting")
        def test_failing_report_shows_the_verdict(ai_gateway):
            ai_gateway.create_gateway("guarded", guardrails={"prompt": {"S1": "BLOCK"}, "response": {}})
            client = openai.OpenAI(base_url=ai_gateway.openai_base_url, api_key=ai_gateway.api_token, max_retries=0,
                                   default_headers={"cf-aig-gateway-id": "guarded"})
            client.chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "hi"}])
        """
    )
    result = run()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*- ai gateway journal -*",
        "#1 POST /client/v4/accounts/*/ai/v1/chat/completions -> 424",
        "*error: 424 2016: Prompt blocked due to security configurations",
        "*guardrails prompt: BLOCK S1 (classified by 'greeting')",
    ])


def test_markers_for_fixture_files_and_shared_state_and_ini_fixture_directories(downstream):
    pytester, run = downstream
    pytester.makefile(".yaml", answers="fixtures:\n  - name: canned\n    match: {content: ping}\n    respond: {text: pong}\n")
    pytester.mkdir("more")
    (pytester.path / "more" / "extra.yaml").write_text("fixtures:\n  - match: {content: extra}\n    respond: {text: from ini}\n")
    pytester.makeini("[pytest]\nai_gateway_fixtures = more\n")
    pytester.makepyfile(
        test_state="""
        import httpx
        import pytest

        def ask(ai_gateway, text):
            body = {"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": text}]}
            answer = httpx.post(ai_gateway.openai_base_url + "/chat/completions", json=body, headers=ai_gateway.auth_headers())
            return answer.json()["choices"][0]["message"]["content"]

        @pytest.mark.ai_gateway_fixtures("answers.yaml")
        def test_marker_loads_fixture_file(ai_gateway):
            assert ask(ai_gateway, "ping") == "pong"

        def test_fixture_files_are_gone_in_the_next_test(ai_gateway):
            assert ask(ai_gateway, "ping") != "pong"
            assert len(ai_gateway.journal()) == 1

        def test_ini_fixture_directory_loads_at_start(ai_gateway):
            assert ask(ai_gateway, "extra") == "from ini"

        @pytest.mark.ai_gateway_keep_state
        class TestConversation:
            def test_first_starts_fresh(self, ai_gateway):
                assert ai_gateway.journal() == []
                ai_gateway.add_fixture(match={"content": "again"}, respond={"text": "kept"})
                type(self).moved_to = ai_gateway.advance_clock(60)

            def test_second_sees_the_first(self, ai_gateway):
                assert ask(ai_gateway, "again") == "kept"
                assert ai_gateway.now >= self.moved_to
        """
    )
    run("-v").assert_outcomes(passed=5)


def test_contract_mode_skips_tests_that_need_the_control_api(downstream):
    pytester, run = downstream
    pytester.makepyfile(
        test_contract="""
        import pytest

        def test_urls_follow_the_given_server(ai_gateway):
            assert ai_gateway.contract_mode
            assert ai_gateway.openai_base_url == "http://127.0.0.1:9/client/v4/accounts/acct/ai/v1"

        def test_adding_a_fixture_needs_the_emulator(ai_gateway):
            ai_gateway.add_fixture(match={"content": "x"}, respond={"text": "y"})

        @pytest.mark.ai_gateway_emulator_only
        def test_marked_emulator_only(ai_gateway):
            raise AssertionError("must not run in contract mode")
        """
    )
    result = run("--ai-gateway-url", "http://127.0.0.1:9", "--ai-gateway-account-id", "acct", "-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*add_fixture() needs the emulator's control API*"])


def test_each_xdist_worker_gets_its_own_emulator(downstream):
    pytester, run = downstream
    pytester.makepyfile(
        test_workers="""
        import os
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_records_worker_and_server(n, ai_gateway, request):
            line = f"{os.environ['PYTEST_XDIST_WORKER']} {ai_gateway.base_url}\\n"
            with open(request.config.rootpath / "servers.txt", "a") as out:
                out.write(line)
        """
    )
    run("-p", "xdist", "-n", "2").assert_outcomes(passed=4)
    servers = dict(line.split() for line in (pytester.path / "servers.txt").read_text().splitlines())
    assert sorted(servers) == ["gw0", "gw1"]
    assert len(set(servers.values())) == 2


def test_docs_show_the_example_the_suite_runs():
    example = EXAMPLE.read_text()
    code = example[example.index("import httpx"):]
    for document in ("docs/pytest-plugin.md", "README.md"):
        assert f"```python\n{code}```" in (ROOT / document).read_text(), document


def test_seed_and_clock_options_reach_the_emulator_from_the_command_line_and_the_ini(downstream, emulator):
    pytester, run = downstream
    pytester.makepyfile(
        test_seeded="""
        import json
        import httpx

        def test_record_answer_and_health(ai_gateway, request):
            body = {"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "Describe a seeded answer"}]}
            answer = httpx.post(ai_gateway.openai_base_url + "/chat/completions", json=body, headers=ai_gateway.auth_headers())
            assert ai_gateway.last_request.fixture is None  # synthesized, not a fixture's answer
            health = httpx.get(ai_gateway.base_url + "/__emulator__/health").json()
            record = {"text": answer.json()["choices"][0]["message"]["content"], "health": health}
            with open(request.config.rootpath / "seeded.jsonl", "a") as out:
                out.write(json.dumps(record) + "\\n")
        """
    )
    run("--ai-gateway-seed", "7", "--ai-gateway-clock", "real").assert_outcomes(passed=1)
    pytester.makeini("[pytest]\nai_gateway_seed = 7\nai_gateway_clock = real\n")
    run().assert_outcomes(passed=1)
    from_cli, from_ini = (json.loads(line) for line in (pytester.path / "seeded.jsonl").read_text().splitlines())

    assert from_cli["text"] == from_ini["text"]  # same seed, two sessions: same answer
    for record in (from_cli, from_ini):
        assert (record["health"]["seed"], record["health"]["clock"]) == (7, "real")
    # The same request at the default seed 0 (this suite's own emulator) gets another answer.
    assert httpx.get(emulator.base_url + "/__emulator__/health").json()["seed"] == 0
    body = {"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "Describe a seeded answer"}]}
    at_seed_0 = httpx.post(emulator.openai_base_url + "/chat/completions", json=body, headers=emulator.auth()).json()
    assert at_seed_0["choices"][0]["message"]["content"] != from_cli["text"]


def test_record_option_records_the_session_and_drift_reports_in_contract_mode(downstream, emulator, tmp_path):
    pytester, run = downstream
    pytester.makepyfile(test_recorded="""
        def test_asks(openai_client):
            answer = openai_client.chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "record me"}])
            assert answer.choices[0].message.content
    """)
    out = tmp_path / "recorded"
    run("--ai-gateway-record", emulator.base_url, "--ai-gateway-record-dir", str(out)).assert_outcomes(passed=1)
    [file] = out.glob("*.json")
    assert json.loads(file.read_text())["fixtures"][0]["match"]["content"] == "record me"
    drift = run("--ai-gateway-url", emulator.base_url, "--ai-gateway-drift", str(out), "--ai-gateway-account-id", emulator.account_id)
    drift.stdout.fnmatch_lines(["*ai gateway drift*", f"ok {file}#0 recorded-00001", "1 recorded fixtures, 0 drifted"])


def test_record_missing_option_records_only_what_no_fixture_answers(downstream, emulator, tmp_path):
    pytester, run = downstream
    pytester.makepyfile(test_missing="""
        def test_asks(openai_client, ai_gateway):
            ai_gateway.add_fixture(match={"content": "scripted"}, respond={"text": "from the test"})
            ask = lambda text: openai_client.chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": text}]).choices[0].message.content
            assert ask("scripted") == "from the test"
            assert ask("not scripted")
    """)
    out = tmp_path / "recorded"
    run("--ai-gateway-record", emulator.base_url, "--ai-gateway-record-missing", "--ai-gateway-record-dir", str(out)).assert_outcomes(passed=1)
    assert [json.loads(f.read_text())["fixtures"][0]["match"]["content"] for f in out.glob("*.json")] == ["not scripted"]


def test_a_state_dir_set_for_local_development_is_not_read_by_a_test_session(downstream, monkeypatch, tmp_path):
    pytester, run = downstream
    state = tmp_path / "state"
    monkeypatch.setenv("AI_GATEWAY_EMULATOR_STATE_DIR", str(state))
    pytester.makepyfile(
        test_fresh="""
        def test_starts_empty(openai_client, ai_gateway):
            openai_client.chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "Hello!"}])
            assert len(ai_gateway.journal()) == 1
        """
    )
    run().assert_outcomes(passed=1)
    assert not state.exists()


def test_plugin_sets_credits_adds_a_spend_limit_for_one_test_and_reads_its_total_cost(downstream):
    pytester, run = downstream
    pytester.makepyfile(
        test_costs="""
        import openai
        import pytest

        def ask(client):
            return client.chat.completions.create(model="openai/gpt-4.1", messages=[{"role": "user", "content": "priced"}])

        @pytest.fixture(autouse=True)
        def priced(ai_gateway):  # gpt-4.1: 1000 * $2/1M + 125 * $8/1M = $0.003 an answer
            ai_gateway.add_fixture(match={"content": "priced"}, respond={"text": "ok", "usage": {"input_tokens": 1000, "output_tokens": 125}})

        def test_total_cost(ai_gateway, openai_client):
            ask(openai_client)
            ask(openai_client)
            assert ai_gateway.total_cost() == 0.006

        def test_credits_run_out(ai_gateway, openai_client):
            ai_gateway.set_credits(0.004)
            ask(openai_client)
            assert ai_gateway.credits == pytest.approx(0.001)
            ask(openai_client)
            with pytest.raises(openai.APIStatusError) as raised:
                ask(openai_client)
            assert raised.value.status_code == 402

        def test_spend_limit_for_this_test(ai_gateway, openai_client):
            with ai_gateway.add_spend_limit({"limit": 0.003, "window": 3600}):
                ask(openai_client)
                with pytest.raises(openai.RateLimitError):
                    ask(openai_client)
            ask(openai_client)  # the rule is gone

        def test_the_next_test_starts_unmetered_and_unlimited(ai_gateway, openai_client):
            assert ai_gateway.credits is None
            for _ in range(3):
                ask(openai_client)
        """
    )
    run().assert_outcomes(passed=4)
