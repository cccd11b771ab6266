"""The drift check: send each recorded request to the upstream again and report, per fixture,
where the live answer's shape (status, header names, body keys and types) is no longer the
recording's. Values are not compared: a model answers other words every time."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from emulator.fixtures import FIXTURE_SUFFIXES
from emulator.recording import answer_shape
from emulator.schema_check import ConfigError, read_data_file


# The account in a REST path (/client/v4/accounts/{id}/) or a gateway path (/v1/{id}/).
_ACCOUNT_SEGMENT = re.compile(r"^(/client/v4/accounts/|/v1/)[^/]+/")


@dataclass
class Drift:
    fixture: str  # file#index name
    differences: list[str]


def shape_differences(recorded: dict[str, Any], live: dict[str, Any]) -> list[str]:
    """What changed from the recorded answer's shape to the live one's, in words."""
    differences = []
    if recorded.get("status") != live.get("status"):
        differences.append(f"status {recorded.get('status')} -> {live.get('status')}")
    before, after = set(recorded.get("headers") or ()), set(live.get("headers") or ())
    differences += [f"header {name} is gone" for name in sorted(before - after)]
    differences += [f"header {name} is new" for name in sorted(after - before)]
    old, new = recorded.get("body") or {}, live.get("body") or {}
    for path in sorted(old.keys() | new.keys()):
        if path not in new:
            differences.append(f"{path} is gone (was {old[path]})")
        elif path not in old:
            differences.append(f"{path} is new ({new[path]})")
        elif old[path] != new[path]:
            differences.append(f"{path} was {old[path]}, is {new[path]}")
    return differences


def recorded_fixtures(paths: Iterable[Path]) -> Iterable[tuple[str, dict[str, Any]]]:
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.suffix in FIXTURE_SUFFIXES) if path.is_dir() else [path]
        for file in files:
            document = read_data_file(file, "fixture file") or {}
            for index, fixture in enumerate(document.get("fixtures", [])):
                if "recorded" in fixture:
                    yield f"{file}#{index} {fixture.get('name', '')}".rstrip(), fixture


def check(upstream: str, token: str | None, paths: Iterable[Path], client: Any = None, account_id: str | None = None) -> list[Drift]:
    """Each recorded fixture's differences (empty: the shape is the recording's). `account_id`:
    sent in place of the recorded one (recordings made on another account)."""
    import httpx

    client = client or httpx.Client(timeout=120.0)
    results = []
    for where, fixture in recorded_fixtures(paths):
        request = fixture["recorded"]["request"]
        headers = {"content-type": "application/json", **(request.get("headers") or {})}
        if token:
            headers["authorization"] = f"Bearer {token}"
        try:
            path = request["path"]
            if account_id:
                path = _ACCOUNT_SEGMENT.sub(lambda m: m.group(1) + account_id + "/", path, count=1)
            response = client.request(request["method"], upstream.rstrip("/") + path, json=request.get("body"), headers=headers)
        except httpx.HTTPError as exc:
            results.append(Drift(where, [f"the upstream did not answer: {exc}"]))
            continue
        live = answer_shape(response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.content)
        results.append(Drift(where, shape_differences(fixture["recorded"]["response"], live)))
    return results


def main(upstream: str, token: str | None, paths: list[Path]) -> int:
    """Prints one line per fixture (and one per difference); exit status 1 when any drifted."""
    try:
        results = check(upstream, token or os.environ.get("CLOUDFLARE_API_TOKEN"), paths)
    except ConfigError as exc:
        print(f"ai-gateway-emulator: {exc}", file=sys.stderr)
        return 2
    for result in results:
        print(f"{'DRIFT' if result.differences else 'ok   '} {result.fixture}")
        for difference in result.differences:
            print(f"        {difference}")
    drifted = sum(1 for r in results if r.differences)
    print(f"{len(results)} recorded fixtures, {drifted} drifted")
    return 1 if drifted else 0
