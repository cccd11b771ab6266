"""Identifiers in each provider's format, drawn from a seeded generator."""

from __future__ import annotations

import random
import string

# A UUIDv7's 74 random bits (12 of rand_a, 62 of rand_b), counted up within a millisecond.
_V7_RANDOM_BITS = 74
_V7_RANDOM_MAX = (1 << _V7_RANDOM_BITS) - 1
_V7_VERSION_AND_VARIANT = (0x7 << 76) | (0b10 << 62)
_48_BITS = (1 << 48) - 1  # the millisecond time; also the last 12 hex digits, all a count changes without a carry


class _Alphabet:
    """The characters of an id, as a bytes.translate table: a byte below the largest multiple of
    the alphabet's size maps to a character, the bytes above are dropped (so each is uniform)."""

    def __init__(self, characters: str) -> None:
        usable = 256 - 256 % len(characters)
        self.table = bytes(ord(characters[b % len(characters)]) if b < usable else 0 for b in range(256))
        self.rejected = bytes(range(usable, 256))


_BASE62 = _Alphabet(string.digits + string.ascii_letters)
_BASE58 = _Alphabet("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")


class IdSource:
    """Every id the emulator hands out. Seeded, so a run's ids repeat on every machine."""

    def __init__(self, seed: int | str) -> None:
        self._seed = seed
        self.reset()

    def reset(self) -> None:
        self._rng = random.Random(self._seed)
        self._log_id_ms = -1
        self._log_id_random = 0
        self._log_id = ""

    def _pick(self, alphabet: _Alphabet, n: int) -> str:
        """`n` characters of `alphabet`, uniform: random bytes, those beyond the largest multiple
        of the alphabet's size dropped, the rest mapped to characters (one bytes.translate)."""
        out = b""
        while len(out) < n:
            out += self._rng.randbytes(n + 16).translate(alphabet.table, alphabet.rejected)
        return out[:n].decode("ascii")

    def _hex(self, n: int) -> str:
        """`n` (even) hex digits: what format(getrandbits(4 * n), f"0{n}x") writes."""
        return self._rng.getrandbits(4 * n).to_bytes(n // 2, "big").hex()

    def log_id(self, now: float) -> str:
        """A lowercase UUIDv7 (RFC 9562), the gateway's log and request ids: 48-bit Unix
        milliseconds, version 7, variant 10 and 74 random bits. Monotonic (the RFC's "monotonic
        random" method): within one millisecond the random bits count up, so log ids sort in
        the order the requests came (the virtual clock often stands still between them). A clock
        that went back keeps the last millisecond; random bits that ran out take the next one."""
        ms = int(now * 1000) & _48_BITS
        if ms <= self._log_id_ms:
            if self._log_id_random < _V7_RANDOM_MAX:
                self._log_id_random += 1
                low = self._log_id_random & _48_BITS
                if low:  # counting up changed only the last 12 hex digits (no carry out of them)
                    self._log_id = self._log_id[:24] + format(low, "012x")
                    return self._log_id
                ms = self._log_id_ms
            else:
                ms = self._log_id_ms + 1
                self._log_id_ms, self._log_id_random = ms, self._rng.getrandbits(_V7_RANDOM_BITS)
        else:
            self._log_id_ms, self._log_id_random = ms, self._rng.getrandbits(_V7_RANDOM_BITS)
        r = self._log_id_random
        h = format((ms << 80) | _V7_VERSION_AND_VARIANT | ((r >> 62) << 64) | (r & ((1 << 62) - 1)), "032x")
        self._log_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        return self._log_id

    def uuid(self) -> str:
        h = self._hex(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def chat_completion(self) -> str:
        return "chatcmpl-" + self._pick(_BASE62, 29)

    def openai_call(self) -> str:
        return "call_" + self._pick(_BASE62, 24)

    def openai_request(self) -> str:
        return "req_" + self._hex(32)

    def response(self) -> str:
        return "resp_" + self._hex(48)

    def response_message(self) -> str:
        return "msg_" + self._hex(48)

    def response_reasoning(self) -> str:
        return "rs_" + self._hex(48)

    def response_function_call(self) -> str:
        return "fc_" + self._hex(48)

    def anthropic_message(self) -> str:
        return "msg_01" + self._pick(_BASE58, 22)

    def anthropic_tool_use(self) -> str:
        return "toolu_01" + self._pick(_BASE58, 22)

    def anthropic_request(self) -> str:
        return "req_011C" + self._pick(_BASE58, 20)

    def gemini_response(self) -> str:
        """A Gemini answer's `responseId`."""
        return self._pick(_BASE62, 23)
