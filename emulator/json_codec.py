"""JSON on the wire: request bodies in, answers out.

orjson does both several times faster than the standard library (384 full-precision floats:
~17 us against ~290 us; a chat completion ~1 us against ~9), which is most of what a JSON answer
costs. It is used where it is installed (CPython). A body it refuses is handed to `json`, which
decides (it accepts what orjson does not, e.g. a lone surrogate escape), and a value it cannot
write (an integer beyond 64 bits) is written by `json`. One difference in reading, on purpose: an
integer beyond 64 bits in a request reads as a float, as JSON.parse reads it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.responses import JSONResponse as _StarletteJSONResponse

try:
    import orjson
except ImportError:  # not on this interpreter: the standard library does it all
    orjson = None  # type: ignore[assignment]

# What starlette's JSONResponse writes: compact, UTF-8 as is, no NaN.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def loads(raw: bytes | str) -> Any:
    """Raises ValueError (json.JSONDecodeError) or UnicodeDecodeError for a body that is not JSON."""
    if orjson is not None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # json has the last word, and words the error
    return json.loads(raw)


def _encoded(value: Any) -> bytes:
    """Compact UTF-8 JSON: orjson's, or json's for what orjson cannot write (an integer beyond
    64 bits, a lone surrogate read from a request and echoed back). A lone surrogate has no UTF-8
    form: it is written as its \\u escape, as JSON.stringify writes it."""
    if orjson is not None:
        try:
            return orjson.dumps(value)
        except TypeError:  # orjson.JSONEncodeError
            pass
    return _LONE_SURROGATE.sub(_escaped, _ENCODER.encode(value)).encode("utf-8")


# In json's output a surrogate code point can only be one inside a string (a pair read from
# JSON is already one astral character).
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _escaped(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def dumps_text(value: Any) -> str:
    """Compact JSON as text (SSE frames, tool-call arguments)."""
    return _encoded(value).decode("utf-8")


def dumps(value: Any) -> bytes:
    """Compact JSON as UTF-8 bytes (a response body). A copy: orjson's bytes keep the whole
    buffer it wrote into (4 KB for a chat completion, 64 KB for an embedding), and answers stay
    in the logs and the cache."""
    return bytes(memoryview(_encoded(value)))


class JSONResponse(_StarletteJSONResponse):
    """Starlette's JSONResponse, rendered by `dumps`."""

    def render(self, content: Any) -> bytes:
        return dumps(content)
