"""Identifiers in each provider's format, drawn from a seeded generator."""

from __future__ import annotations

import random
import string

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# A ULID's 26 characters, two at a time: 10 bits each, the first pair padded to 130 bits.
_CROCKFORD_PAIRS = tuple(a + b for a in _CROCKFORD for b in _CROCKFORD)
_ULID_PAIR_SHIFTS = tuple(range(120, -1, -10))


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
        self._ulid_ms = -1
        self._ulid_random = 0
        self._ulid = ""

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

    def ulid(self, now: float) -> str:
        """26 Crockford base32 characters: 48-bit millisecond time, 80 random bits. Monotonic, as
        the ULID spec allows: within one millisecond the random part counts up, so log ids sort
        in the order the requests came (the virtual clock often stands still between them)."""
        ms = int(now * 1000) & ((1 << 48) - 1)
        if ms == self._ulid_ms and self._ulid_random < (1 << 80) - 1:
            self._ulid_random += 1
            low = self._ulid_random & 1023
            if low:  # counting up changed only the last two characters (no carry out of them)
                self._ulid = self._ulid[:-2] + _CROCKFORD_PAIRS[low]
                return self._ulid
        else:
            self._ulid_ms, self._ulid_random = ms, self._rng.getrandbits(80)
        value = (ms << 80) | self._ulid_random
        self._ulid = "".join([_CROCKFORD_PAIRS[(value >> shift) & 1023] for shift in _ULID_PAIR_SHIFTS])
        return self._ulid

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
