"""Identifiers in each provider's format, drawn from a seeded generator."""

from __future__ import annotations

import random
import string

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BASE62 = string.digits + string.ascii_letters
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ULID_SHIFTS = tuple(range(125, -1, -5))


class IdSource:
    """Every id the emulator hands out. Seeded, so a run's ids repeat on every machine."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self.reset()

    def reset(self) -> None:
        self._rng = random.Random(self._seed)
        self._ulid_ms = -1
        self._ulid_random = 0

    def _pick(self, alphabet: str, n: int) -> str:
        """`n` characters of `alphabet`, uniform: the digits, in base len(alphabet), of one draw
        with 64 spare bits (bias under 2**-64). One draw instead of one per character: this
        runs several times per request."""
        size = len(alphabet)
        value = self._rng.getrandbits(n * size.bit_length() + 64)
        out = []
        for _ in range(n):
            value, digit = divmod(value, size)
            out.append(alphabet[digit])
        return "".join(out)

    def _hex(self, n: int) -> str:
        return format(self._rng.getrandbits(4 * n), f"0{n}x")

    def ulid(self, now: float) -> str:
        """26 Crockford base32 characters: 48-bit millisecond time, 80 random bits. Monotonic, as
        the ULID spec allows: within one millisecond the random part counts up, so log ids sort
        in the order the requests came (the virtual clock often stands still between them)."""
        ms = int(now * 1000) & ((1 << 48) - 1)
        if ms == self._ulid_ms and self._ulid_random < (1 << 80) - 1:
            self._ulid_random += 1
        else:
            self._ulid_ms, self._ulid_random = ms, self._rng.getrandbits(80)
        value = (ms << 80) | self._ulid_random
        return "".join(_CROCKFORD[(value >> shift) & 31] for shift in _ULID_SHIFTS)

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
