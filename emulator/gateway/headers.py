"""The cf-aig-* request headers, parsed in one place into `GatewayOptions`.

By default a malformed or out-of-range value behaves as the real gateway is believed to:
numbers are clamped into their range, anything unparsable is ignored (the gateway default
applies). With `--strict-headers` the same values are rejected with a 400 naming the header.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator import json_codec
from emulator.errors import GatewayError
from emulator.gateway.costs import CustomCost, parse_custom_cost

# Documented ranges.
MIN_CACHE_TTL = 60
MAX_CACHE_TTL = 30 * 24 * 3600  # "one month"
MAX_ATTEMPTS = 5
MAX_RETRY_DELAY_MS = 60_000
BACKOFFS = ("constant", "linear", "exponential")
MAX_METADATA_ENTRIES = 5

# No documented code for a rejected header (only --strict-headers rejects): an emulator choice.
INVALID_HEADER_CODE = 2019


@dataclass(frozen=True)
class GatewayOptions:
    cache_ttl: int | None = None
    skip_cache: bool = False
    cache_key: str | None = None
    request_timeout_ms: int | None = None
    max_attempts: int | None = None
    retry_delay_ms: int | None = None
    backoff: str | None = None
    collect_log: bool | None = None
    collect_log_payload: bool = True
    # None: no usable metadata (absent, unparsable, or a value of an unsupported type).
    metadata: dict[str, str | int | float | bool] | None = None
    event_id: str | None = None
    custom_cost: CustomCost | None = None  # cf-aig-custom-cost: this request's price
    no_wholesale: bool = False  # cf-aig-no-wholesale: true: no Unified Billing for this request
    byok_alias: str | None = None  # cf-aig-byok-alias: the stored key to use (provider-native paths)
    wants_credentials: bool = False  # either of the two above: the request has a say in whose key pays
    ignored: tuple[str, ...] = ()  # option headers clamped or ignored, in words (the journal's header_notes)


NO_OPTIONS = GatewayOptions()  # what a request without option headers gets (immutable, shared)


class _Reader:
    def __init__(self, headers: dict[str, str], strict: bool) -> None:
        self.headers = headers
        self.strict = strict
        self.ignored: list[str] = []

    def raw(self, name: str, *aliases: str) -> tuple[str, str] | None:
        for key in (name, *aliases):
            value = self.headers.get(key)
            if value is not None:
                return key, value.strip()
        return None

    def reject_or_note(self, name: str, value: str, problem: str) -> None:
        if self.strict:
            raise GatewayError(400, INVALID_HEADER_CODE, f"Invalid {name} header: {value!r} {problem}")
        self.ignored.append(f"{name}: {value!r} {problem}")

    def integer(self, name: str, low: int, high: int | None, *aliases: str) -> int | None:
        found = self.raw(name, *aliases)
        if found is None:
            return None
        key, value = found
        try:
            number = int(value)
        except ValueError:
            self.reject_or_note(key, value, "is not an integer (ignored)")
            return None
        if number < low or (high is not None and number > high):
            clamped = max(low, number if high is None else min(high, number))
            limits = f"{low}..{high}" if high is not None else f">= {low}"
            self.reject_or_note(key, value, f"is outside {limits} (clamped to {clamped})")
            return clamped
        return number

    def boolean(self, name: str, *aliases: str) -> bool | None:
        found = self.raw(name, *aliases)
        if found is None:
            return None
        key, value = found
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.reject_or_note(key, value, "is not true or false (ignored)")
        return None

    def choice(self, name: str, choices: tuple[str, ...]) -> str | None:
        found = self.raw(name)
        if found is None:
            return None
        key, value = found
        if value.lower() in choices:
            return value.lower()
        self.reject_or_note(key, value, f"is not one of {', '.join(choices)} (ignored)")
        return None

    def text(self, name: str) -> str | None:
        found = self.raw(name)
        if found is None or not found[1]:
            return None
        return found[1]

    def metadata(self, name: str) -> dict[str, Any] | None:
        found = self.raw(name)
        if found is None:
            return None
        key, value = found
        try:
            parsed = json_codec.loads(value)
        except ValueError:  # TooDeep included: a header's JSON is ignored or rejected whole
            self.reject_or_note(key, value, "is not JSON (ignored)")
            return None
        if not isinstance(parsed, dict):
            self.reject_or_note(key, value, "is not a JSON object (ignored)")
            return None
        entries = list(parsed.items())
        if len(entries) > MAX_METADATA_ENTRIES:
            self.reject_or_note(key, value, f"has more than {MAX_METADATA_ENTRIES} entries (the first {MAX_METADATA_ENTRIES} are kept)")
            entries = entries[:MAX_METADATA_ENTRIES]
        if any(v is None or not isinstance(v, (str, int, float, bool)) for _, v in entries):
            # Observed on the real gateway: one null/object/array value drops the whole metadata, silently.
            self.reject_or_note(key, value, "has a value that is not a string, number or boolean (metadata dropped)")
            return None
        return dict(entries)


    def custom_cost(self, name: str) -> CustomCost | None:
        found = self.raw(name)
        if found is None:
            return None
        key, value = found
        try:
            parsed = parse_custom_cost(json_codec.loads(value))
        except ValueError:
            parsed = "is not JSON"
        if isinstance(parsed, str):
            self.reject_or_note(key, value, f"{parsed} (ignored: the model's price applies)")
            return None
        return parsed


def parse_gateway_headers(headers: dict[str, str], strict: bool = False) -> GatewayOptions:
    """`headers` has lower-case names. Raises GatewayError only when `strict`.

    The options are a function of the option headers alone, and a session sends the same few
    sets again and again: each set is parsed once (the last `_MAX_PARSED` sets are kept)."""
    given = tuple([(name, value) for name, value in headers.items() if name.startswith("cf-") and name not in _NOT_OPTIONS])
    if not given:
        return NO_OPTIONS  # most requests set none of them
    key = (strict, given)
    options = _parsed.get(key)
    if options is None:
        options = _parse(dict(given), strict)
        if len(_parsed) >= _MAX_PARSED:
            _parsed.clear()
        _parsed[key] = options
    return options


_MAX_PARSED = 512
_parsed: dict[tuple[bool, tuple[tuple[str, str], ...]], GatewayOptions] = {}


def _parse(headers: dict[str, str], strict: bool) -> GatewayOptions:
    r = _Reader(headers, strict)
    no_wholesale, byok_alias = bool(r.boolean("cf-aig-no-wholesale")), r.text("cf-aig-byok-alias")
    return GatewayOptions(
        cache_ttl=r.integer("cf-aig-cache-ttl", MIN_CACHE_TTL, MAX_CACHE_TTL, "cf-cache-ttl"),
        skip_cache=bool(r.boolean("cf-aig-skip-cache", "cf-skip-cache")),
        cache_key=r.text("cf-aig-cache-key"),
        request_timeout_ms=r.integer("cf-aig-request-timeout", 1, None),
        max_attempts=r.integer("cf-aig-max-attempts", 1, MAX_ATTEMPTS),
        retry_delay_ms=r.integer("cf-aig-retry-delay", 0, MAX_RETRY_DELAY_MS),
        backoff=r.choice("cf-aig-backoff", BACKOFFS),
        collect_log=r.boolean("cf-aig-collect-log"),
        collect_log_payload=r.boolean("cf-aig-collect-log-payload") is not False,
        metadata=r.metadata("cf-aig-metadata"),
        event_id=r.text("cf-aig-event-id"),
        custom_cost=r.custom_cost("cf-aig-custom-cost"),
        no_wholesale=no_wholesale,
        byok_alias=byok_alias,
        wants_credentials=no_wholesale or byok_alias is not None,
        ignored=tuple(r.ignored),  # last: arguments are evaluated in order, so it has every note above
    )


# Every option header starts with "cf-" (deprecated spellings included), so a request without
# one skips the parse. These two start so but route and authenticate; they are not options.
_NOT_OPTIONS = frozenset({"cf-aig-gateway-id", "cf-aig-authorization"})


def lenient_metadata(headers: dict[str, str]) -> dict[str, Any]:
    """The request's metadata for fixture matching, never raising."""
    if "cf-aig-metadata" not in headers:
        return {}
    return parse_gateway_headers({k: v for k, v in headers.items() if k == "cf-aig-metadata"}).metadata or {}


