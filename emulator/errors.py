"""The two kinds of error a request can meet, each rendered in one place.

`GatewayError` comes from Cloudflare's front door or the gateway (auth, routing,
models, gateways, rate limits): it carries a Cloudflare error code and is rendered
as a v4 envelope on the REST host.

`InvalidRequest` is a bad request body: it names the field and is rendered in the
endpoint's own dialect (OpenAI, Anthropic, or Workers AI's v4 5006).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class GatewayError(Exception):
    status: int
    code: int
    message: str
    extra: list[tuple[int, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    # Guardrail and DLP answers carry the AiGatewayError fields on every host, the REST host's v4
    # envelope included (the docs: "All structured error responses use name: AiGatewayError").
    ai_gateway_error: bool = False
    body: dict | None = None  # an error with a body of its own (the policies'), instead of the door's

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


@dataclass
class InvalidRequest(Exception):
    message: str
    param: str | None = None
    status: int = 400
    code: str | None = None  # OpenAI `code` (e.g. "missing_required_parameter")

    def __str__(self) -> str:
        return self.message


# A client that closes the connection before its body is all sent gets no answer; its request is
# journaled with the status Cloudflare's logs give a request the client abandoned (499, which
# has no error code and no body: nothing here is ever sent).
CLIENT_CLOSED_REQUEST = 499


def client_gone() -> GatewayError:
    return GatewayError(CLIENT_CLOSED_REQUEST, 0, "the client closed the connection before sending the whole body")


# The Cloudflare front door's own errors, by the codes the real API uses.
def missing_auth() -> GatewayError:
    return GatewayError(400, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers")


def bad_auth() -> GatewayError:
    return GatewayError(401, 10000, "Authentication error")


def no_route(path: str) -> GatewayError:
    return GatewayError(
        404,
        7003,
        f"Could not route to {path}, perhaps your object identifier is invalid?",
        extra=[(7000, "No route for that URI")],
    )


def method_not_allowed(method: str) -> GatewayError:
    return GatewayError(405, 7001, f"{method} not supported for requested URI.")


class NoFixture(Exception):
    """Record mode's --record-missing: no fixture matched, so the upstream answers instead of
    the synthesizer. Raised before anything is sent; answered with UNANSWERED_HEADER, which the
    recorder (emulator.recorder) takes as its cue and never passes on."""


UNANSWERED_HEADER = b"x-ai-gateway-emulator-unanswered"
