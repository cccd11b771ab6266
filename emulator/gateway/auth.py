"""Cloudflare's front door: who is calling, and for which account."""

from __future__ import annotations

from typing import Mapping

from emulator.errors import bad_auth, missing_auth, no_route
from emulator.settings import Settings


def authenticate(headers: Mapping[str, str], settings: Settings, accept_x_api_key: bool = False) -> str:
    """The caller's token (`headers` with lower-case names). Missing: 400 9106. Malformed, empty or not accepted: 401 10000."""
    authorization = headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise bad_auth()
    elif accept_x_api_key and headers.get("x-api-key") is not None:
        token = headers["x-api-key"].strip()
        if not token:
            raise bad_auth()
    elif headers.get("x-auth-key") is not None or headers.get("x-auth-email") is not None:
        # Global API key auth (`api_key` + `api_email` in Cloudflare's SDKs): both are needed.
        token = (headers.get("x-auth-key") or "").strip()
        if not token or not (headers.get("x-auth-email") or "").strip():
            raise missing_auth()
    else:
        raise missing_auth()
    if settings.api_tokens is not None and token not in settings.api_tokens:
        raise bad_auth()
    return token


def check_account(account_id: str, path: str, settings: Settings) -> None:
    if settings.account_ids is not None and account_id not in settings.account_ids:
        raise no_route(path)


def management_account(request, settings: Settings) -> str:
    """A management API call's account id, once its caller and account are checked."""
    authenticate(request.headers, settings)
    account_id = request.path_params["account_id"]
    check_account(account_id, request.url.path, settings)
    return account_id
