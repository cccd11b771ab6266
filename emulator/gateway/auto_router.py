"""The Auto Router (`model: "cloudflare/auto"`): which model serves a request, and why.

Cloudflare ranks the eligible models by a classifier's estimate of the task against each model's
cost; the emulator has no classifier, so its rule is the cost half, by the price table
(emulator.gateway.costs, the same prices and formula as a log entry's cost): the pool is the
default models (or those `cf-aig-allowed-models` / `cf-aig-allowed-providers` allow, from the
default and additional models), and the pool's model whose price makes the request's expected
cost lowest serves: its estimated input tokens (the prompt's token count) at the input rate plus
its `max_tokens` (DEFAULT_OUTPUT_ESTIMATE without one) at the output rate. A model the table does
not price has an unknown cost and ranks after every priced one; ties keep POOL order. With a
session (`cf-aig-session-id`) the model chosen at a turn's first request serves the rest of that
turn (`pinned_by_turn`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from emulator.completion import Usage
from emulator.gateway.costs import Price, request_cost

AUTO_ROUTER_MODEL = "cloudflare/auto"

# Cloudflare's default and additional models (features/auto-router), as (model, provider). POOL
# is the order ties (and models the price table does not price) keep: Workers AI's hosted models
# first, then the providers' small tiers, then the large ones. Only the seven default models are
# in the pool without a header.
DEFAULT_MODELS = (
    ("openai/gpt-5.6-luna", "openai"),
    ("xai/grok-4.5", "xai"),
    ("anthropic/claude-sonnet-5", "anthropic"),
    ("openai/gpt-5.6-terra", "openai"),
    ("anthropic/claude-fable-5", "anthropic"),
    ("openai/gpt-5.6-sol", "openai"),
    ("anthropic/claude-opus-5", "anthropic"),
)
ADDITIONAL_MODELS = (
    ("@cf/openai/gpt-oss-20b", "workers-ai"),
    ("@cf/google/gemma-4-26b-a4b-it", "workers-ai"),
    ("@cf/qwen/qwen3.8-27b", "workers-ai"),
    ("@cf/deepseek-ai/deepseek-v4-flash-0731", "workers-ai"),
    ("@cf/zai-org/glm-5.2", "workers-ai"),
    ("@cf/moonshotai/kimi-k2.7-code", "workers-ai"),
    ("@cf/deepseek-ai/deepseek-v4-pro-0813", "workers-ai"),
    ("fireworks/glm-5.3-flash", "fireworks"),
    ("fireworks/glm-5.3", "fireworks"),
    ("minimax/m3", "minimax"),
    ("alibaba/qwen3.8-max", "alibaba"),
    ("openai/gpt-5.5", "openai"),
    ("openai/gpt-6-luna", "openai"),
    ("xai/grok-4.6", "xai"),
    ("anthropic/claude-sonnet-4.6", "anthropic"),
    ("anthropic/claude-fable-5.1", "anthropic"),
    ("openai/gpt-6-astra", "openai"),
    ("openai/gpt-6-sol", "openai"),
    ("anthropic/claude-opus-4.8", "anthropic"),
    ("anthropic/claude-opus-5.5", "anthropic"),
)
POOL = ADDITIONAL_MODELS[:7] + DEFAULT_MODELS + ADDITIONAL_MODELS[7:]


class NoAllowedModel(ValueError):
    """An allowed-models or allowed-providers entry that matches no model (the gateway's 400)."""


def _pattern(entry: str) -> re.Pattern[str]:
    """`anthropic/*`: `*` matches any characters except `/`."""
    return re.compile("[^/]*".join(re.escape(part) for part in entry.split("*")))


def _entries(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [e.strip() for e in value.split(",") if e.strip()]


def candidate_pool(allowed_models: str | None, allowed_providers: str | None) -> list[tuple[str, str]]:
    models = _entries(allowed_models)
    providers = _entries(allowed_providers)
    if models is None and providers is None:
        return list(DEFAULT_MODELS)
    pool = list(POOL)
    if models is not None:
        patterns = [_pattern(e) for e in models]
        for entry, pattern in zip(models, patterns):
            if not any(pattern.fullmatch(name) for name, _ in POOL):
                raise NoAllowedModel(f"cf-aig-allowed-models: {entry!r} matches no Auto Router model")
        pool = [(name, p) for name, p in pool if any(pattern.fullmatch(name) for pattern in patterns)]
    if providers is not None:
        for entry in providers:
            if not any(p == entry for _, p in POOL):
                raise NoAllowedModel(f"cf-aig-allowed-providers: {entry!r} matches no Auto Router provider")
        pool = [(name, p) for name, p in pool if p in providers]
    if not pool:
        raise NoAllowedModel("cf-aig-allowed-models and cf-aig-allowed-providers together match no model")
    return pool


# The output a request without `max_tokens` is expected to cost (the emulator's choice).
DEFAULT_OUTPUT_ESTIMATE = 1024


def cheapest_first(pool: list[tuple[str, str]], price: Callable[[str], Price | None], input_tokens: int,
                   max_tokens: int | None) -> list[tuple[str, str]]:
    """The pool by the request's expected cost under each model's price, cheapest first; models
    without a price after the priced ones; ties in pool order (sorted() is stable)."""
    expected = Usage(input_tokens, DEFAULT_OUTPUT_ESTIMATE if max_tokens is None else max_tokens)

    def rank(entry: tuple[str, str]) -> tuple[bool, float]:
        model_price = price(entry[0])
        return (True, 0.0) if model_price is None else (False, request_cost(expected, model_price, None, True))

    return sorted(pool, key=rank)


@dataclass(frozen=True)
class RoutingDecision:
    model: str
    provider: str
    reason: str


class SessionPins:
    """The model each session's turn was routed to, per gateway scope."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._pins: dict[tuple[str, str, str], tuple[str, str]] = {}

    def decide(self, scope: str, pool: list[tuple[str, str]], headers: dict[str, str], user_turns: int, has_text: bool) -> RoutingDecision:
        session = headers.get("cf-aig-session-id")
        affinity = session is not None and headers.get("cf-aig-no-session-affinity", "").lower() != "true"
        turn = headers.get("cf-aig-turn-id") or str(user_turns)
        key = (scope, session or "", turn)
        if affinity and key in self._pins and self._pins[key] in pool:
            model, provider = self._pins[key]
            return RoutingDecision(model, provider, "pinned_by_turn")
        model, provider = pool[0]
        if not has_text:
            reason = "fallback_unsupported_input"
        elif len(pool) == 1:
            reason = "forced_by_candidate_pool"
        else:
            reason = "cost_optimal_within_pool"
        if affinity:
            self._pins[key] = (model, provider)
        return RoutingDecision(model, provider, reason)


def user_turns(messages: list[Any]) -> int:
    """Turns as the message history shows them: one per user message."""
    return sum(1 for m in messages if m.role == "user")
