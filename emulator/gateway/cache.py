"""The gateway's response cache: per gateway, keyed on what the docs name, expiring on the clock.

Default key: SHA-256 over provider, endpoint, model, the provider auth header and the full
request body. `cf-aig-cache-key` replaces it. Bounded: the least recently used entry goes first.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

from emulator.clock import Clock
from emulator.gateway.headers import GatewayOptions

# With a cf-aig-cache-key but caching off on the gateway, the docs say: cached for 5 minutes.
CUSTOM_KEY_DEFAULT_TTL = 300
DEFAULT_CACHE_ENTRIES = 10_000


@dataclass(frozen=True)
class CachedResponse:
    status: int
    body: bytes
    raw_headers: tuple[tuple[bytes, bytes], ...]  # as the answer was sent (content type and length included), less cf-aig-*
    log: dict[str, Any]  # what the log entry of a hit reuses (tokens out, response body...)
    media_type: str | None  # the content type among those headers, for the hit's log entry


@dataclass(frozen=True)
class CacheDecision:
    """Whether this request uses the cache, and how. `ttl` None: caching does not apply."""

    ttl: int | None
    key: str | None
    lookup: bool

    @property
    def applies(self) -> bool:
        return self.ttl is not None


def cache_ttl(options: GatewayOptions, gateway_ttl: int | None, streaming: bool) -> int | None:
    if streaming:
        return None
    if options.cache_ttl is not None:
        return options.cache_ttl
    if gateway_ttl:
        return gateway_ttl
    if options.cache_key is not None:
        return CUSTOM_KEY_DEFAULT_TTL
    return None


def default_key(provider: str, endpoint: str, model: str, auth: str, body: bytes) -> str:
    """SHA-256 of each text part followed by a NUL byte, then the body."""
    head = f"{provider}\x00{endpoint}\x00{model}\x00{auth}\x00".encode("utf-8")
    return hashlib.sha256(head + body).hexdigest()


NO_CACHE = CacheDecision(None, None, False)


def decide(options: GatewayOptions, gateway_ttl: int | None, streaming: bool, default: Callable[[], str]) -> CacheDecision:
    """`default` computes the default key, only when caching applies and no custom key is set."""
    ttl = cache_ttl(options, gateway_ttl, streaming)
    if ttl is None:
        return NO_CACHE
    return CacheDecision(ttl, options.cache_key or default(), lookup=not options.skip_cache)


class ResponseCache:
    def __init__(self, clock: Clock, max_entries: int = DEFAULT_CACHE_ENTRIES) -> None:
        self._clock = clock
        self._max = max_entries
        self._entries: OrderedDict[tuple[str, str], tuple[float, CachedResponse]] = OrderedDict()

    def get(self, scope: str, key: str) -> CachedResponse | None:
        found = self._entries.get((scope, key))
        if found is None:
            return None
        expires, response = found
        if self._clock.now() >= expires:
            del self._entries[(scope, key)]
            return None
        self._entries.move_to_end((scope, key))
        return response

    def put(self, scope: str, key: str, response: CachedResponse, ttl: int) -> None:
        self._entries[(scope, key)] = (self._clock.now() + ttl, response)
        self._entries.move_to_end((scope, key))
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def drop_scope(self, scope: str) -> None:
        """Forget one gateway's entries (a settings update with cache_invalidate_on_update)."""
        for key in [k for k in self._entries if k[0] == scope]:
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)

    def reset(self) -> None:
        self._entries.clear()
