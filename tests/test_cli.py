"""The command line: help, banner, environment variables, `python -m emulator`, `check`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.server import ROOT

FLAGS = ["--host", "--port", "--fixtures", "--no-builtin-fixtures", "--seed", "--config", "--workers-ai-gateway", "--clock", "--strict-headers", "--log-level"]


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AI_GATEWAY_EMULATOR_")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "emulator", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, env=environment)


def test_serve_help_lists_every_flag_with_its_environment_variable():
    result = cli("serve", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for flag in FLAGS:
        section = text.split(flag, 2)[-1].split(" --", 1)[0]
        assert re.search(r"env AI_GATEWAY_EMULATOR_[A-Z_]+", section), f"{flag} has no env var: {section}"


def test_top_level_help_names_the_commands():
    result = cli("--help")
    assert result.returncode == 0
    assert "serve" in result.stdout and "check" in result.stdout


def test_banner_prints_the_three_base_urls_that_work(start):
    running = start()
    banner = running.banner
    account = f"{running.base_url}/client/v4/accounts/"
    assert re.search(rf"OpenAI base URL:\s+{re.escape(account)}\w+/ai/v1\n", banner)
    assert re.search(rf"Anthropic base URL:\s+{re.escape(account)}\w+/ai\n", banner)
    assert f"Cloudflare base URL:  {running.base_url}/client/v4" in banner
    assert "account id:" in banner and "api token:" in banner


def test_environment_variables_configure_the_server(start, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("api_tokens: [only-this]\n")
    running = start(env={"AI_GATEWAY_EMULATOR_SEED": "11", "AI_GATEWAY_EMULATOR_CONFIG": str(config), "AI_GATEWAY_EMULATOR_WORKERS_AI_GATEWAY": "lenient"})
    assert httpx.get(running.base_url + "/__emulator__/health").json()["seed"] == 11
    body = {"model": "@cf/meta/llama-3.1-8b-instruct", "input": {"prompt": "hi"}}
    assert httpx.post(running.account_url + "/ai/run", json=body, headers={"Authorization": "Bearer only-this"}).status_code == 200
    assert httpx.post(running.account_url + "/ai/run", json=body, headers={"Authorization": "Bearer other"}).status_code == 401


def test_flag_beats_environment_variable():
    result = cli("check", "--workers-ai-gateway", "lenient", env={"AI_GATEWAY_EMULATOR_WORKERS_AI_GATEWAY": "bogus"})
    assert result.returncode == 0, result.stderr


def test_bad_environment_value_is_reported():
    result = cli("check", env={"AI_GATEWAY_EMULATOR_SEED": "abc"})
    assert result.returncode == 2
    assert "AI_GATEWAY_EMULATOR_SEED" in result.stderr


def test_check_validates_files_and_reports_counts(tmp_path):
    ok = cli("check")
    assert ok.returncode == 0
    assert re.match(r"ok: \d+ files, \d+ fixtures, \d+ models", ok.stdout)
    (tmp_path / "bad.yaml").write_text("fixtures: 3\n")
    bad = cli("check", "--fixtures", str(tmp_path))
    assert bad.returncode == 2 and "$.fixtures" in bad.stderr


def test_invalid_config_file_names_the_field(tmp_path):
    config = tmp_path / "c.json"
    config.write_text('{"gateways": [{"id": "has space"}]}')
    result = cli("check", "--config", str(config))
    assert result.returncode == 2
    assert "$.gateways[0].id" in result.stderr


@pytest.mark.skipif(shutil.which("ai-gateway-emulator", path=str(Path(sys.executable).parent)) is None, reason="console script not installed")
def test_console_script_is_the_same_command():
    script = shutil.which("ai-gateway-emulator", path=str(Path(sys.executable).parent))
    result = subprocess.run([script, "check"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stdout.startswith("ok:")


def test_ipv6_banner_brackets_the_address_and_loopback_gives_no_warning(start):
    running = start("--host", "::1")
    assert running.base_url.startswith("http://[::1]:")
    assert httpx.get(running.base_url + "/__emulator__/health").status_code == 200
    assert "warning" not in running.stderr()


def test_binding_beyond_loopback_warns_that_the_control_api_is_unauthenticated(start):
    running = start(env={"AI_GATEWAY_EMULATOR_HOST": "0.0.0.0"})
    port = running.base_url.rsplit(":", 1)[1]
    assert httpx.get(f"http://127.0.0.1:{port}/__emulator__/health").status_code == 200
    assert "warning: listening on 0.0.0.0, not only on loopback: the control API" in running.stderr()
    assert "is unauthenticated" in running.stderr()
