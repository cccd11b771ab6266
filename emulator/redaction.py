"""Credentials masked wherever the emulator shows a request: the journal, the gateway logs, the
pytest plugin's failure reports. One rule, `redact_secret`, applied to headers, to JSON bodies
(a universal request's step `headers` sit inside its body) and to a body kept as text.

A credential keeps its scheme and its last 4 characters, so a test can still tell which key was
sent: `Bearer sk-live-0123-AAAA` is shown as `Bearer ****AAAA`; a secret shorter than 8
characters keeps nothing (`Bearer ****`). Masking a masked value changes nothing. The dashboard
shows requests through these functions too; the recorder (emulator/recording.py), which writes
fixture files meant to be shared, replaces credentials whole, using the same header names.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

# Request headers that carry a credential (names lower-case), on every host and provider path.
CREDENTIAL_HEADERS = frozenset({
    "authorization", "proxy-authorization", "cf-aig-authorization", "x-api-key", "x-auth-key", "api-key",
    "x-goog-api-key", "cookie",
})
# An authorization scheme (Bearer, Basic, AWS4-HMAC-SHA256...): a token of letters, digits and dashes.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")

MASK = "****"
KEPT_CHARS = 4
# A secret shorter than this keeps no character: its last 4 would give most of it away.
SHORTEST_WITH_TAIL = 8


def redact_secret(value: str) -> str:
    """`Bearer <secret>` -> `Bearer ****<last 4>`; a value without a scheme -> `****<last 4>`."""
    scheme, space, secret = value.strip().partition(" ")
    if not space or not _SCHEME.fullmatch(scheme):  # no scheme (a key, a cookie): all of it is secret
        scheme, secret = "", value.strip()
    secret = secret.strip()
    masked = MASK + (secret[-KEPT_CHARS:] if len(secret) >= SHORTEST_WITH_TAIL else "")
    return f"{scheme} {masked}" if scheme else masked


def is_credential(name: str) -> bool:
    return name.lower() in CREDENTIAL_HEADERS


def redacted_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers with every credential masked (a copy; names as given)."""
    return {name: redact_secret(value) if is_credential(name) else value for name, value in headers.items()}


def redacted_body(value: Any) -> Any:
    """A JSON value with every string under a credential header's name masked, at any depth
    (the universal endpoint's `[{"headers": {"authorization": ...}}]`). Unchanged parts are
    shared, not copied; a body without credentials is returned as it is."""
    if isinstance(value, dict):
        changed = None
        for key, item in value.items():
            new = redact_secret(item) if isinstance(item, str) and isinstance(key, str) and is_credential(key) else redacted_body(item)
            if new is not item:
                changed = changed if changed is not None else dict(value)
                changed[key] = new
        return value if changed is None else changed
    if isinstance(value, list):
        items = [redacted_body(item) for item in value]
        return value if all(new is old for new, old in zip(items, value)) else items
    return value


# `"<credential header>": "<value>"` in JSON text: the value is masked in place.
_CREDENTIAL_MEMBER = re.compile(
    r'("(?:' + "|".join(re.escape(name) for name in sorted(CREDENTIAL_HEADERS)) + r')"\s*:\s*")((?:[^"\\]|\\.)*)(")',
    re.IGNORECASE,
)


def redacted_text(text: str) -> str:
    """A body kept as text (the logs' `request_head`), with each credential member's value masked."""
    return _CREDENTIAL_MEMBER.sub(_masked_member, text)


def _masked_member(match: re.Match[str]) -> str:
    try:
        value = json.loads(f'"{match.group(2)}"')
    except ValueError:
        value = match.group(2)
    return match.group(1) + json.dumps(redact_secret(value))[1:-1] + match.group(3)
