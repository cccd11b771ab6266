"""What a request costs, as the gateway's logs show it: tokens times the model's price.

Prices are USD per token. The built-in table (fixtures/prices.json) gives them per million
tokens, for reading; a fixture file's `prices:` block or the config file's `prices:` replace a
model's entry. A model without a price costs 0 (the gateway only prices models it knows).

`cf-aig-custom-cost` replaces the price for one request (Cloudflare's custom-costs page):
`per_token_in`, `per_token_out`, and optionally `per_cache_read_token`, `per_cache_write_token`.
With neither cache rate the cache-token counts are ignored and the provider's own input count
is priced at `per_token_in`; with one, the other defaults to `per_token_in`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

PER_MILLION = 1_000_000
# Costs are kept to 12 decimal places: whole nano-cents, no float noise in a log or a total.
COST_DECIMALS = 12

CUSTOM_COST_FIELDS = ("per_token_in", "per_token_out", "per_cache_read_token", "per_cache_write_token")


class Price(NamedTuple):
    """USD per token."""

    input: float
    output: float
    cache_read: float
    cache_write: float

    @classmethod
    def per_million(cls, entry: dict[str, Any]) -> "Price":
        """A price table entry: `input`, `output` and optional `cache_read` / `cache_write`
        (each defaults to `input`), in USD per million tokens."""
        input_price = float(entry.get("input", 0))
        return cls(
            input_price / PER_MILLION,
            float(entry.get("output", 0)) / PER_MILLION,
            float(entry.get("cache_read", input_price)) / PER_MILLION,
            float(entry.get("cache_write", input_price)) / PER_MILLION,
        )


class CustomCost(NamedTuple):
    """A request's `cf-aig-custom-cost`. `cache_priced`: at least one cache rate was given."""

    price: Price
    cache_priced: bool


def parse_custom_cost(value: Any) -> CustomCost | str:
    """The parsed header value (JSON), or what is wrong with it, in words."""
    if not isinstance(value, dict):
        return "is not a JSON object"
    unknown = [k for k in value if k not in CUSTOM_COST_FIELDS]
    if unknown:
        return f"has an unknown field {unknown[0]!r} (known: {', '.join(CUSTOM_COST_FIELDS)})"
    for name in CUSTOM_COST_FIELDS:
        rate = value.get(name)
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate < 0):
            return f"has {name} that is not a non-negative number"
    if "per_token_in" not in value and "per_token_out" not in value:
        return "has neither per_token_in nor per_token_out"
    per_in = float(value.get("per_token_in", 0))
    read, write = value.get("per_cache_read_token"), value.get("per_cache_write_token")
    price = Price(
        per_in,
        float(value.get("per_token_out", 0)),
        per_in if read is None else float(read),
        per_in if write is None else float(write),
    )
    return CustomCost(price, read is not None or write is not None)


def request_cost(usage: Any, price: Price | None, custom: CustomCost | None, cache_inclusive: bool) -> float:
    """The cost of one answered request. `usage`: a completion.Usage (input_tokens are the fresh
    input, cache tokens apart). `cache_inclusive`: the provider counts cache tokens inside its
    input count (OpenAI's formats), as against beside it (Anthropic's)."""
    cache_read = getattr(usage, "cache_read_tokens", 0)
    cache_write = getattr(usage, "cache_write_tokens", 0)
    if custom is not None:
        price = custom.price
        if not custom.cache_priced:
            # The provider's own input count at the input rate; cache tokens are not priced apart.
            reported_in = usage.input_tokens + (cache_read + cache_write if cache_inclusive else 0)
            return round(reported_in * price.input + usage.output_tokens * price.output, COST_DECIMALS)
    if price is None:
        return 0.0
    cost = (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + cache_read * price.cache_read
        + cache_write * price.cache_write
    )
    return round(cost, COST_DECIMALS)
