"""The Cloudflare v4 API envelope: {result, success, errors, messages}."""

from __future__ import annotations

from typing import Any

from emulator.errors import GatewayError


def success(result: Any, result_info: dict[str, Any] | None = None) -> dict[str, Any]:
    body = {"result": result, "success": True, "errors": [], "messages": []}
    if result_info is not None:
        body["result_info"] = result_info
    return body


def failure(errors: list[tuple[int, str]], result: Any = None) -> dict[str, Any]:
    return {
        "result": result,
        "success": False,
        "errors": [{"code": code, "message": message} for code, message in errors],
        "messages": [],
    }


def gateway_error(err: GatewayError) -> dict[str, Any]:
    body = failure([(err.code, err.message), *err.extra])
    if err.ai_gateway_error:
        # The v4 envelope a client of the REST host reads, with the AiGatewayError fields beside it.
        body.update({
            "error": [{"code": err.code, "message": err.message}], "name": "AiGatewayError",
            "httpCode": err.status, "internalCode": err.code, "message": err.message, "description": err.message,
        })
    return body


def page_info(count: int, page: int, per_page: int, total: int) -> dict[str, Any]:
    return {"count": count, "page": page, "per_page": per_page, "total_count": total}
