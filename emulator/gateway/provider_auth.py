"""What the simulated providers accept as a key: OpenAI's start `sk-`, Anthropic's `sk-ant-`, any
other provider's any non-empty value. A key they reject gets their own 401 (never the whole key)."""

from __future__ import annotations

from emulator.completion import UpstreamFailure
from emulator.gateway.provider_keys import masked

KEY_PREFIXES = {"openai": "sk-", "anthropic": "sk-ant-"}


def bare_key(header_value: str) -> str:
    """The key of an Authorization header (`Bearer <key>`) or an x-api-key value."""
    value = header_value.strip()
    return value[7:].strip() if value[:7].lower() == "bearer " else value


def rejection(provider: str, key: str) -> UpstreamFailure | None:
    """None when the provider takes `key`; else its authentication error."""
    prefix = KEY_PREFIXES.get(provider, "")
    if key and key.startswith(prefix):
        return None
    if provider == "anthropic":
        body = {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
        return UpstreamFailure(401, "invalid x-api-key", body=body)
    message = (
        f"Incorrect API key provided: {masked(key)}. You can find your API key at https://platform.openai.com/account/api-keys."
        if key else "You didn't provide an API key."
    )
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}
    return UpstreamFailure(401, message, body=body)
