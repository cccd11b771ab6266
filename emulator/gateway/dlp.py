"""Data Loss Prevention: a gateway's DLP policies scan prompts and answers with detection profiles.

The gateway's `dlp` setting has the cloudflare SDK's two shapes: policies
`{"enabled": true, "policies": [{"id", "action": FLAG|BLOCK, "check": [REQUEST, RESPONSE],
"enabled", "profiles": [profile ids]}]}`, or one policy `{"enabled", "action", "profiles"}`
(which checks both, as policy `default`). Profiles are the shipped ones below (fixed ids,
listed in the README) and the config file's `dlp_profiles` (Custom profiles of regexes).

Any match adds `cf-aig-dlp` to the answer: `{"findings": [{"profile": {"context": {},
"entry_ids": [...], "profile_id": ...}, "policy_ids": [...], "check": REQUEST|RESPONSE}],
"action": BLOCK|FLAG}`; a BLOCK policy's match answers 2029 (request) or 2030 (response), 400.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from emulator.errors import GatewayError

REQUEST, RESPONSE = "REQUEST", "RESPONSE"
FLAG, BLOCK = "FLAG", "BLOCK"
HEADER = b"cf-aig-dlp"


def request_blocked() -> GatewayError:
    return GatewayError(400, 2029, "Request content blocked due to DLP policy violations", ai_gateway_error=True)


def response_blocked() -> GatewayError:
    return GatewayError(400, 2030, "Response content blocked due to DLP policy violations", ai_gateway_error=True)


# --- detection entries -----------------------------------------------------------------------
def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


# A card number as written: 13 to 19 digits, in groups split by single spaces or dashes.
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")


def card_detector(prefix: str, lengths: tuple[int, ...]) -> Callable[[str], bool]:
    """Card numbers of one brand (IIN prefix regex, lengths) that pass Luhn's check."""
    brand = re.compile(prefix)

    def detect(text: str) -> bool:
        for found in _CARD.finditer(text):
            digits = re.sub(r"[ -]", "", found.group())
            if len(digits) in lengths and brand.match(digits) and luhn_valid(digits):
                return True
        return False

    return detect


def regex_detector(regex: str, flags: int = 0) -> Callable[[str], bool]:
    pattern = re.compile(regex, flags)
    return lambda text: pattern.search(text) is not None


@dataclass(frozen=True)
class Entry:
    id: str
    name: str
    detect: Callable[[str], bool]


@dataclass(frozen=True)
class Profile:
    id: str
    name: str
    entries: tuple[Entry, ...]

    def matched_entries(self, text: str) -> list[str]:
        return [entry.id for entry in self.entries if entry.detect(text)]


def _id(name: str) -> str:
    """The emulator's fixed ids: UUIDv5 of the name, the same on every run and machine."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ai-gateway-emulator/dlp/{name}"))


def _entry(profile: str, name: str, detect: Callable[[str], bool]) -> Entry:
    return Entry(_id(f"{profile}/{name}"), name, detect)


SHIPPED_PROFILES = (
    Profile(_id("financial"), "Financial Information", (
        _entry("financial", "Visa Card Number", card_detector(r"4", (13, 16, 19))),
        _entry("financial", "Mastercard Card Number", card_detector(r"5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)", (16,))),
        _entry("financial", "American Express Card Number", card_detector(r"3[47]", (15,))),
        _entry("financial", "Diners Club Card Number", card_detector(r"3(?:0[0-5]|[68])", (14,))),
        _entry("financial", "Union Pay Card Number", card_detector(r"62", (16, 17, 18, 19))),
    )),
    Profile(_id("pii"), "Personally Identifiable Information (PII)", (
        _entry("pii", "Email Address", regex_detector(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")),
        _entry("pii", "US Phone Number", regex_detector(r"(?<!\d)(?:\+?1[ .-]?)?(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}(?!\d)")),
    )),
    Profile(_id("credentials"), "Credentials and Secrets", (
        _entry("credentials", "Amazon AWS Access Key ID", regex_detector(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
        _entry("credentials", "Google Cloud API Key", regex_detector(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])")),
        _entry("credentials", "GitHub Token", regex_detector(r"\bgh[pousr]_[A-Za-z0-9]{36}\b")),
        _entry("credentials", "OpenAI API Key", regex_detector(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}")),
        _entry("credentials", "Cloudflare API Token", regex_detector(r"\bcf(?:k|ut|at)_[A-Za-z0-9]{40}[0-9a-f]{8}\b")),
    )),
)


def custom_profile(spec: dict[str, Any]) -> Profile:
    """A config file's `dlp_profiles` entry: {id, name?, entries: [{id?, name, regex}]}."""
    profile_id = spec["id"]
    entries = tuple(
        Entry(e.get("id") or _id(f"{profile_id}/{e['name']}"), e["name"], regex_detector(e["regex"]))
        for e in spec["entries"]
    )
    return Profile(profile_id, spec.get("name", profile_id), entries)


class ProfileCatalog:
    """The account's DLP profiles: the shipped ones and the config's custom ones, by id."""

    def __init__(self, custom: Iterable[dict[str, Any]] = ()) -> None:
        self._by_id = {p.id: p for p in SHIPPED_PROFILES}
        self._by_id.update({p.id: p for p in map(custom_profile, custom)})

    def get(self, profile_id: str) -> Profile | None:
        return self._by_id.get(profile_id)

    def __contains__(self, profile_id: str) -> bool:
        return profile_id in self._by_id

    def __iter__(self):
        return iter(self._by_id.values())


@dataclass(frozen=True)
class Policy:
    id: str
    action: str
    checks: frozenset[str]
    profiles: tuple[str, ...]


def policies_of(settings: dict[str, Any]) -> tuple[Policy, ...]:
    """The gateway's enabled policies; () when DLP is off or not configured."""
    dlp = settings.get("dlp")
    if not dlp or not dlp.get("enabled"):
        return ()
    if "policies" in dlp:
        return tuple(
            Policy(p["id"], p["action"], frozenset(p["check"]), tuple(p["profiles"]))
            for p in dlp["policies"] if p.get("enabled", True)
        )
    return (Policy("default", dlp["action"], frozenset((REQUEST, RESPONSE)), tuple(dlp["profiles"])),)


@dataclass(frozen=True)
class Finding:
    profile_id: str
    entry_ids: tuple[str, ...]
    policy_ids: tuple[str, ...]
    check: str
    action: str  # the strongest action of its policies

    def view(self) -> dict[str, Any]:
        return {
            "profile": {"context": {}, "entry_ids": list(self.entry_ids), "profile_id": self.profile_id},
            "policy_ids": list(self.policy_ids),
            "check": self.check,
        }


def scan(policies: tuple[Policy, ...], check: str, text: str, catalog: ProfileCatalog) -> list[Finding]:
    """Every profile of a policy with this check that finds something in `text`, once per profile."""
    by_profile: dict[str, tuple[list[str], list[str], str]] = {}
    for policy in policies:
        if check not in policy.checks:
            continue
        for profile_id in policy.profiles:
            profile = catalog.get(profile_id)
            if profile is None:
                continue
            known = by_profile.get(profile_id)
            if known is None:
                entries = profile.matched_entries(text)
                if not entries:
                    continue
                known = by_profile[profile_id] = (entries, [], FLAG)
            entries, policy_ids, action = known
            if policy.id not in policy_ids:
                policy_ids.append(policy.id)
            if policy.action == BLOCK:
                by_profile[profile_id] = (entries, policy_ids, BLOCK)
    return [Finding(pid, tuple(e), tuple(p), check, a) for pid, (e, p, a) in by_profile.items()]


def header_value(findings: list[Finding]) -> str:
    """The cf-aig-dlp header: every finding of the request, and BLOCK if any blocked."""
    action = BLOCK if any(f.action == BLOCK for f in findings) else FLAG
    return json.dumps({"findings": [f.view() for f in findings], "action": action}, separators=(",", ":"))


def log_fields(findings: list[Finding]) -> dict[str, Any]:
    """What the log entry says of DLP (the dashboard's DLP Action / Policies / Profiles / Entries / Check)."""
    return {
        "dlp_action": BLOCK if any(f.action == BLOCK for f in findings) else FLAG,
        "dlp_policy_ids": sorted({p for f in findings for p in f.policy_ids}),
        "dlp_profile_ids": list(dict.fromkeys(f.profile_id for f in findings)),
        "dlp_entry_ids": list(dict.fromkeys(e for f in findings for e in f.entry_ids)),
        "dlp_check": list(dict.fromkeys(f.check for f in findings)),
        "dlp_findings": [f.view() for f in findings],
    }
