"""The README keeps its promises: the Quickstart runs as written, its banner is what the server
prints, the configuration table lists exactly the flags `serve --help` knows, and the limits
table states the bounds the code enforces."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.server import ROOT

README = (ROOT / "README.md").read_text()
DOCUMENTED_URL = "http://127.0.0.1:8787"


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def test_quickstart_code_runs_against_the_emulator_and_prints_the_hello_answer(emulator):
    quickstart = section("Quickstart")
    code = re.search(r"```python\n(.*?)```", quickstart, re.S).group(1)
    assert DOCUMENTED_URL in code
    done = subprocess.run(
        [sys.executable, "-c", code.replace(DOCUMENTED_URL, emulator.base_url)],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    printed = done.stdout.splitlines()
    assert printed[0].startswith("Hello! I am the AI Gateway emulator")
    assert len(printed) >= 3 and printed[-1].startswith("{'response': ") and "'usage': {" in printed[-1]


def test_quickstart_banner_is_what_the_server_prints(emulator):
    quickstart = section("Quickstart")
    block = re.search(r"^((?:    .*\n)+)", quickstart[quickstart.index("prints the URLs"):], re.M).group(1)
    documented = [line[4:] for line in block.splitlines()]
    printed = emulator.banner.replace(emulator.base_url, DOCUMENTED_URL).strip().splitlines()
    assert printed == documented


def test_configuration_table_lists_exactly_the_flags_of_serve_help():
    table = section("Configuration")
    documented = set(re.findall(r"^\| `(--[a-z-]+)", table, re.M))
    usage = subprocess.run(
        [sys.executable, "-m", "emulator", "serve", "--help"], capture_output=True, text=True, timeout=30, cwd=ROOT,
    ).stdout
    usage = usage[:usage.index("\noptions:")]  # the usage line names each option by its main spelling
    offered = set(re.findall(r"\[(--[a-z-]+)", usage)) - {"--help"}
    assert documented == offered


def test_fixture_examples_validate_and_cover_every_matcher():
    import json

    import yaml

    from emulator.fixtures import check_fixture_document

    blocks = re.findall(r"```yaml\n(.*?)```", section("Fixtures"), re.S)
    used: set[str] = set()
    for block in blocks:
        document = yaml.safe_load(block)
        check_fixture_document(document, "README")
        for fixture in document["fixtures"]:
            used |= set(fixture.get("match", {}))
    schema = json.loads((ROOT / "schemas" / "fixture.schema.json").read_text())
    assert used == set(schema["$defs"]["match"]["properties"])


def test_the_limits_table_states_the_bounds_the_code_enforces():
    from emulator.front_door import FrontDoorLimits
    from emulator.request_body import DEFAULT_MAX_BODY_BYTES, KEPT_BODY_BYTES, MAX_CACHEABLE_BYTES

    table = README[README.index("\nLimits on what a client sends"):]
    rows = {cells[0]: cells[1:] for cells in (
        [cell.strip() for cell in line.strip("|").split("|")] for line in table[:table.index("\n\n", table.index("| Limit |"))].splitlines() if line.startswith("| "))}

    def stated(row: str, value: int) -> str:
        limit = next(cells[0] for name, cells in rows.items() if name.startswith(row))
        assert f"{value:,} bytes" in limit, (row, limit)
        return limit

    stated("Request body", DEFAULT_MAX_BODY_BYTES)
    assert "transcript" in stated("Body kept", KEPT_BODY_BYTES)  # a stream's transcript is cut at the same bound
    stated("Cacheable request", MAX_CACHEABLE_BYTES)
    stated("Request head", FrontDoorLimits.max_header_bytes)
    assert f"default {FrontDoorLimits.max_header_count} " in rows["Header fields"][0]
    assert f"default {FrontDoorLimits.header_timeout_s:g} s" in rows["Time for a request's head"][0]
    assert f"default {FrontDoorLimits.body_timeout_s:g} s" in rows["Time for a request's body"][0]
