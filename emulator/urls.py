"""The base URLs an app or SDK points at, for one account on one host (emulator or Cloudflare)."""

from __future__ import annotations


class AccountUrls:
    """Mixin: needs `base_url` (no trailing slash) and `account_id`."""

    base_url: str
    account_id: str

    @property
    def account_url(self) -> str:
        return f"{self.base_url}/client/v4/accounts/{self.account_id}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.account_url}/ai/v1"

    @property
    def anthropic_base_url(self) -> str:
        """The Anthropic SDK appends `/v1/messages`."""
        return f"{self.account_url}/ai"

    @property
    def cloudflare_base_url(self) -> str:
        return f"{self.base_url}/client/v4"
