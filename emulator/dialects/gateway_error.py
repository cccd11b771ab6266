"""The gateway host's own error body (`gateway.ai.cloudflare.com/v1/...`): `AiGatewayError`.

Singular `error` (an array), `result: []`, and the code and message repeated at the top level,
as captured from the real gateway. Only errors the gateway itself makes use it; a provider's
errors pass through in the provider's own format.
"""

from __future__ import annotations

from typing import Any

from emulator.errors import GatewayError


def body(err: GatewayError) -> dict[str, Any]:
    return {
        "success": False,
        "result": [],
        "messages": [],
        "error": [{"code": err.code, "message": err.message}],
        "name": "AiGatewayError",
        "httpCode": err.status,
        "internalCode": err.code,
        "message": err.message,
        "description": err.message,
    }
