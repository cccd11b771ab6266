"""JSON on the wire: request bodies in, answers out.

orjson does both several times faster than the standard library (384 full-precision floats:
~17 us against ~290 us; a chat completion ~1 us against ~9), which is most of what a JSON answer
costs. It is used where it is installed (CPython). A body it refuses is handed to `json`, which
decides (it accepts what orjson does not, e.g. a lone surrogate escape), and a value it cannot
write (an integer beyond 64 bits) is written by `json`. Both read JSON as JSON.parse reads it: an
integer beyond 64 bits reads as a float, a number too large for a float reads as infinity, and
NaN and Infinity, which are not JSON, are refused. What JSON cannot hold (infinity, NaN) is
written as null, as JSON.stringify writes it.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Mapping

from starlette.background import BackgroundTask
from starlette.responses import JSONResponse as _StarletteJSONResponse

try:
    import orjson
except ImportError:  # not on this interpreter: the standard library does it all
    orjson = None  # type: ignore[assignment]

# What starlette's JSONResponse writes: compact, UTF-8 as is, no NaN.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


# Deepest nesting of arrays and objects a body may have. Deeper values would exhaust Python's
# recursion in the code that walks them (schema checks, synthesis), and no API body needs it.
MAX_DEPTH = 100


class TooDeep(ValueError):
    """JSON nested deeper than MAX_DEPTH; `path` names where (`messages[0].content[0]...`)."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"{path or '(root)'}: nested more than {MAX_DEPTH} levels deep")


def loads(raw: bytes | str) -> Any:
    """Raises ValueError (json.JSONDecodeError; TooDeep beyond MAX_DEPTH) or UnicodeDecodeError
    for a body that is not JSON."""
    if orjson is not None:
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:  # json has the last word, and words the error
            value = _read_by_json(raw)
    else:
        value = _read_by_json(raw)
    if len(raw) > _SHORTEST_TOO_DEEP:  # a shorter text cannot nest too deep (check_depth)
        check_depth(raw)
    return value


# MAX_DEPTH + 1 opening brackets and as many closing ones.
_SHORTEST_TOO_DEEP = 2 * MAX_DEPTH + 1


def check_depth(raw: bytes | bytearray | str) -> None:
    """Raises TooDeep when JSON text nests deeper than MAX_DEPTH."""
    # That needs more than MAX_DEPTH opening brackets and as many closing ones: a text of at most
    # 2 * MAX_DEPTH characters cannot; a longer one is ruled out by counting its opening brackets
    # at C speed (one translate: bytes.count's argument parsing costs more than the count), before
    # any Python-level walk.
    if len(raw) <= 2 * MAX_DEPTH:
        return
    if type(raw) is bytes and len(raw) - len(raw.translate(None, b"[{")) <= MAX_DEPTH:
        return
    text = raw.decode("utf-8", "replace") if isinstance(raw, (bytes, bytearray)) else raw
    path = too_deep_at(text) if text.count("[") + text.count("{") > MAX_DEPTH else None
    if path is not None:
        raise TooDeep(path)


def _read_by_json(raw: bytes | str) -> Any:
    try:
        return json.loads(raw, parse_constant=_not_json, parse_int=_integer)
    except RecursionError:  # deeper than json reads (orjson stops at 1024 levels): TooDeep, from loads
        return None


# The tokens that decide nesting and member names: strings (skipped whole), brackets, commas, colons.
_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]')
# How many members of the path an error names before it says "...".
_PATH_SHOWN = 8


def too_deep_at(text: str) -> str | None:
    """Where JSON text first nests deeper than MAX_DEPTH (as a parameter path), or None."""
    # One frame per open container: [member key or index, whether an object key comes next].
    frames: list[list[Any]] = []
    for match in _STRUCTURE.finditer(text):
        token = match.group()
        if token in ("{", "["):
            if len(frames) == MAX_DEPTH:
                return _path(frames)
            frames.append([None, True] if token == "{" else [0, False])
        elif token in ("}", "]"):
            if frames:
                frames.pop()
        elif token == ",":
            if frames:
                top = frames[-1]
                if isinstance(top[0], int):
                    top[0] += 1
                else:
                    top[1] = True
        elif token == ":":
            if frames:
                frames[-1][1] = False
        elif frames and frames[-1][1]:  # an object's key
            try:
                frames[-1][0] = json.loads(token)
            except ValueError:
                frames[-1][0] = token[1:-1]
    return None


def _path(frames: list[list[Any]]) -> str:
    out = ""
    for key, _ in frames[:_PATH_SHOWN]:
        out += f"[{key}]" if isinstance(key, int) else ("." if out else "") + str(key)
    return out + ("..." if len(frames) > _PATH_SHOWN else "")


def _not_json(literal: str) -> Any:
    raise ValueError(f"{literal} is not a JSON value")


def _integer(digits: str) -> int | float:
    """An integer literal as the fast reader reads it: beyond 64 bits, a float."""
    value = int(digits)
    return value if -(2**63) <= value < 2**64 else float(digits)


def _encoded(value: Any) -> bytes:
    """Compact UTF-8 JSON: orjson's, or json's for what orjson cannot write (an integer beyond
    64 bits, a lone surrogate read from a request and echoed back). A lone surrogate has no UTF-8
    form: it is written as its \\u escape, as JSON.stringify writes it."""
    if orjson is not None:
        try:
            return orjson.dumps(value)
        except TypeError:  # orjson.JSONEncodeError
            pass
    try:
        text = _ENCODER.encode(value)
    except ValueError:  # infinity or NaN somewhere in it
        text = _ENCODER.encode(_finite(value))
    return _LONE_SURROGATE.sub(_escaped, text).encode("utf-8")


def _finite(value: Any) -> Any:
    """`value` with each infinity and NaN replaced by None (what orjson writes for them)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


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


# What Starlette writes for a JSON body: its length, then its type.
_JSON_TYPE = (b"content-type", b"application/json")
_SET_BY_THE_BODY = frozenset(("content-length", "content-type"))


class JSONResponse(_StarletteJSONResponse):
    """Starlette's JSONResponse, rendered by `dumps`. Its headers are the ones Starlette's
    init_headers writes (the given ones, lower-cased, then content-length and content-type),
    written straight when the given headers set neither (every answer of the emulator's own):
    init_headers' general case is a tenth of a small answer's cost."""

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        if media_type is not None or (headers and not _SET_BY_THE_BODY.isdisjoint(map(str.lower, headers))):
            super().__init__(content, status_code, headers, media_type, background)
            return
        self.status_code = status_code
        self.background = background
        self.body = body = dumps(content)
        raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()] if headers else []
        if status_code >= 200 and status_code != 204 and status_code != 304:
            raw.append((b"content-length", str(len(body)).encode("latin-1")))
        raw.append(_JSON_TYPE)
        self.raw_headers = raw

    def render(self, content: Any) -> bytes:
        return dumps(content)
