"""Identifiers in each provider's format, drawn from a seeded generator."""

from __future__ import annotations

import random
import string

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BASE62 = string.digits + string.ascii_letters
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_HEX = "0123456789abcdef"


class IdSource:
    """Every id the emulator hands out. Seeded, so a run's ids repeat on every machine."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._rng = random.Random(seed)

    def reset(self) -> None:
        self._rng = random.Random(self._seed)

    def _pick(self, alphabet: str, n: int) -> str:
        """`n` characters of `alphabet`, each drawn exactly as `random.choice` draws it (the same
        ids as before, at a third of the cost: this runs several times per request)."""
        getrandbits = self._rng.getrandbits
        size = len(alphabet)
        bits = size.bit_length()
        out = []
        for _ in range(n):
            r = getrandbits(bits)
            while r >= size:
                r = getrandbits(bits)
            out.append(alphabet[r])
        return "".join(out)

    def ulid(self, now: float) -> str:
        """26 Crockford base32 characters: 48-bit millisecond time, 80 random bits."""
        ms = int(now * 1000) & ((1 << 48) - 1)
        value = (ms << 80) | self._rng.getrandbits(80)
        return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))

    def uuid(self) -> str:
        h = self._pick(_HEX, 32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def chat_completion(self) -> str:
        return "chatcmpl-" + self._pick(_BASE62, 29)

    def openai_call(self) -> str:
        return "call_" + self._pick(_BASE62, 24)

    def openai_request(self) -> str:
        return "req_" + self._pick(_HEX, 32)

    def response(self) -> str:
        return "resp_" + self._pick(_HEX, 48)

    def response_message(self) -> str:
        return "msg_" + self._pick(_HEX, 48)

    def response_function_call(self) -> str:
        return "fc_" + self._pick(_HEX, 48)

    def anthropic_message(self) -> str:
        return "msg_01" + self._pick(_BASE58, 22)

    def anthropic_tool_use(self) -> str:
        return "toolu_01" + self._pick(_BASE58, 22)

    def anthropic_request(self) -> str:
        return "req_011C" + self._pick(_BASE58, 20)
