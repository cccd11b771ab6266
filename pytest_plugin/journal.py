"""What the emulator saw: journal entries read like the domain, and the failing-test report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from emulator.redaction import redacted_body

MAX_BODY_CHARS = 600
MAX_FIXTURE_LINES = 12


@dataclass(frozen=True)
class RecordedRequest:
    """One request the emulator received, as its journal recorded it."""

    entry: dict[str, Any]

    @property
    def endpoint(self) -> str:
        return self.entry.get("endpoint", "")

    @property
    def guardrails(self) -> list[dict[str, Any]]:
        """The gateway's guardrail evaluations: phase, categories, action, scanner, enforced."""
        return self.entry.get("guardrails") or []

    @property
    def dlp_action(self) -> str | None:
        """FLAG or BLOCK when the gateway's DLP policies found something, else None."""
        return self.entry.get("dlp_action")

    @property
    def path(self) -> str:
        return self.entry.get("path", "")

    @property
    def headers(self) -> dict[str, str]:
        """What the app sent, header names lower-cased; credentials masked (`Bearer ****AAAA`)."""
        return self.entry.get("headers") or {}

    @property
    def body(self) -> Any:
        """What the app sent, parsed from JSON (None when it was not JSON)."""
        return self.entry.get("body")

    @property
    def model(self) -> str | None:
        return self.entry.get("model")

    @property
    def gateway(self) -> str | None:
        return self.entry.get("gateway")

    @property
    def fixture(self) -> str | None:
        """Name of the fixture that answered, or None when the answer was synthesized."""
        return self.entry.get("fixture")

    @property
    def fixture_item(self) -> int | None:
        """Which answer of a sequence fixture answered (0 first); None for any other fixture."""
        return self.entry.get("fixture_item")

    @property
    def status(self) -> int:
        return self.entry.get("status", 0)

    @property
    def error(self) -> str | None:
        return self.entry.get("error")

    @property
    def log_id(self) -> str | None:
        return self.entry.get("log_id")

    @property
    def attempts(self) -> list[dict[str, Any]]:
        """Each try against the upstream (retries included); none for a cache hit or a refused request."""
        return self.entry.get("attempts") or []

    @property
    def attempt_count(self) -> int:
        return len(self.attempts)

    @property
    def cache_status(self) -> str | None:
        """HIT, MISS, or None when caching did not apply."""
        return self.entry.get("cache_status")

    @property
    def cache_hit(self) -> bool:
        return self.cache_status == "HIT"

    @property
    def last_user_message(self) -> Any:
        """Content of the last user message the app sent (chat, responses and messages bodies)."""
        body = self.body if isinstance(self.body, dict) else {}
        messages = body.get("messages")
        if messages is None and isinstance(body.get("input"), list):
            messages = body["input"]
        if messages is None:
            return body.get("input", body.get("prompt"))
        for message in reversed(messages or []):
            if isinstance(message, dict) and message.get("role") == "user":
                return message.get("content")
        return None

    def __repr__(self) -> str:
        return f"<RecordedRequest {self.entry.get('method', 'POST')} {self.path} -> {self.status}>"


def describe_journal(entries: list[dict[str, Any]], base_url: str) -> str:
    """The failing-test report: every request, the fixture that answered and why the others did not."""
    if not entries:
        return f"the emulator at {base_url} received no request during this test"
    lines = [f"{len(entries)} request(s) to the emulator at {base_url} during this test:"]
    for number, entry in enumerate(entries, 1):
        lines.extend(_describe_entry(number, entry))
    return "\n".join(lines)


def _describe_entry(number: int, entry: dict[str, Any]) -> list[str]:
    lines = [
        f"#{number} {entry.get('method', 'POST')} {entry.get('path')} -> {entry.get('status')}",
        f"   endpoint {entry.get('endpoint')}, model {entry.get('model')}, gateway {entry.get('gateway')}"
        + (f", cache {entry['cache_status']}" if entry.get("cache_status") else ""),
    ]
    attempts = entry.get("attempts")
    if isinstance(attempts, list) and len(attempts) > 1:
        lines.append("   attempts: " + "; ".join(f"#{a.get('attempt')} {a.get('outcome')} {a.get('status')}" for a in attempts))
    if entry.get("error"):
        lines.append(f"   error: {entry['error']}")
    for note in entry.get("header_notes") or []:
        lines.append(f"   header: {note}")
    for verdict in entry.get("guardrails") or []:
        lines.append("   " + _describe_verdict(verdict))
    if entry.get("dlp_action"):
        lines.append(
            f"   dlp: {entry['dlp_action']} (check {', '.join(entry.get('dlp_check') or [])}; policies {', '.join(entry.get('dlp_policy_ids') or [])}; "
            f"profiles {', '.join(entry.get('dlp_profile_ids') or [])})"
        )
    lines.append(f"   sent: {_short(redacted_body(entry.get('body')), MAX_BODY_CHARS)}")
    if entry.get("fixture"):
        lines.append(f"   answered by fixture {entry['fixture']!r}")
    elif entry.get("fixture_report"):
        lines.append("   no fixture matched: the answer was synthesized")
    report = entry.get("fixture_report") or []
    if report:
        lines.append("   fixtures considered:")
        for item in report[:MAX_FIXTURE_LINES]:
            lines.append(f"     {item.get('fixture')} ({item.get('source')}): {item.get('result')}")
        if len(report) > MAX_FIXTURE_LINES:
            lines.append(f"     ... and {len(report) - MAX_FIXTURE_LINES} more")
    return lines


def _describe_verdict(verdict: dict[str, Any]) -> str:
    """One guardrail evaluation: `guardrails prompt: BLOCK S1 (classified by 'weapons')`."""
    phase = verdict.get("phase")
    if verdict.get("scanner") != "available":
        return f"guardrails {phase}: scanner {verdict.get('scanner')}"
    if not verdict.get("action"):
        return f"guardrails {phase}: passed"
    text = f"guardrails {phase}: {verdict['action']} {', '.join(verdict.get('categories') or [])}"
    if verdict.get("classified_by"):
        text += " (classified by " + ", ".join(repr(n) for n in verdict["classified_by"]) + ")"
    if not verdict.get("enforced", True):
        text += ", logged only (streamed on the REST host)"
    return text


def _short(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."
