"""Seeded answers for requests no fixture matches.

Every value is drawn from a generator seeded by the emulator's `--seed` and the request's
content, so the same request gets the same answer on every run and machine, and another
seed gives another answer. (Faker's word lists are part of that: a faker release that changes
its en_US lorem words changes the synthesized text.)
"""

from __future__ import annotations

import _random
import base64
import hashlib
import json
import math
import re
import random
import struct
import zlib
from datetime import datetime, timedelta, timezone
from functools import cached_property, lru_cache
from json.encoder import encode_basestring_ascii
from math import floor
from operator import itemgetter
from typing import Any, Callable, Sequence

from emulator.clock import VIRTUAL_EPOCH
from emulator.regex_strings import string_matching

_FAKER: Any = None


def _faker() -> Any:
    """The one Faker, built when an answer first needs one of its formats (a date, an email, a
    URL...): importing faker and building it costs ~0.2 s, most of it faker scanning its locales."""
    global _FAKER
    if _FAKER is None:
        from faker import Faker

        _FAKER = Faker("en_US")
    return _FAKER


_WORDS: tuple[str, ...] = ()


def _lorem_words() -> tuple[str, ...]:
    """Faker's en_US lorem word list, read once (faker copies it three times per sentence)."""
    global _WORDS
    if not _WORDS:
        _WORDS = _read_lorem_words() or tuple(_faker().get_words_list())
    return _WORDS


def _read_lorem_words() -> tuple[str, ...] | None:
    """The word list as data, read from faker's en_US lorem provider source without importing
    faker (plain text answers need only the words). None if that file no longer holds a literal
    `word_list` of strings; the caller then asks a Faker for it."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("faker")  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations)), "providers", "lorem", "en_US", "__init__.py")
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None
    words = _literal_word_list(source)
    if isinstance(words, (tuple, list)) and words and all(isinstance(w, str) for w in words):
        return tuple(words)
    return None


# The word list's text as faker writes it: double-quoted words without escapes, comma-separated.
_PLAIN_WORDS = re.compile(r'\(((?:\s*"[^"\\\n]*"\s*,)*(?:\s*"[^"\\\n]*")?\s*)\)')
_PLAIN_WORD = re.compile(r'"([^"\\\n]*)"')


def _literal_word_list(source: str) -> Any:
    """`word_list = (...)`'s value: read as plain words when it is written as such (the module
    parsed whole takes ~15 ms, on the start-up path of the first synthesized answer), else
    from the module parsed whole."""
    start = source.find("word_list = (")
    if start >= 0:
        plain = _PLAIN_WORDS.match(source, start + len("word_list = "))
        if plain is not None:
            return _PLAIN_WORD.findall(plain.group(1))
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "word_list" for t in node.targets):
            try:
                return ast.literal_eval(node.value)
            except ValueError:
                return None
    return None


# Canonical JSON: what json.dumps(part, sort_keys=True, separators=(",", ":"), default=str)
# writes, with one encoder for every part instead of a new one per call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


# What one synthesized value may hold. A request whose schema demands more is answered with an
# error naming the keyword, rather than tying up the server (one event loop serves everyone).
MAX_ITEMS = 1_000
MAX_PROPERTIES = 1_000
MAX_STRING_LENGTH = 100_000
MAX_VALUES = 100_000  # every value generated for one answer, nested ones included


@lru_cache(maxsize=1)
def _normal_quantiles() -> tuple[float, ...]:
    """The standard normal's quantiles at the midpoints of 4096 equal-probability bins."""
    from statistics import NormalDist  # ~15 ms to import: only when an embedding is first made

    normal = NormalDist()
    return tuple(normal.inv_cdf((i + 0.5) / 4096) for i in range(4096))


# Adding then taking away 1.5 * 2**52 rounds a float of magnitude below 2**51 to a whole
# number, halves to even (the float of round(y), without making an int: half round()'s cost).
_ROUND_TO_WHOLE = 6755399441055744.0


def unit_vector(values: Sequence[float]) -> list[float]:
    """`values` scaled to length 1, each component to 6 decimals (how embeddings are written)."""
    norm = math.hypot(*values) or 1.0
    scale = 1e6 / norm
    if scale == math.inf:  # a length below ~1e-302 (a fixture's vector): scaled to length 1 first
        return unit_vector([x / norm for x in values])
    # round(x * scale) / 1e6 is the float nearest the 6-decimal value (as round(x, 6), cheaper);
    # |x * scale| is at most 1e6, well within the rounding trick's range.
    return [(x * scale + _ROUND_TO_WHOLE - _ROUND_TO_WHOLE) / 1e6 for x in values]


@lru_cache(maxsize=8)
def _low_12_bits(dimensions: int) -> int:
    """An integer whose every 16-bit group is 0x0FFF: one AND keeps 12 bits of each draw."""
    return int.from_bytes(b"\xff\x0f" * dimensions, "little")


# Dates come from the three years before the virtual clock's epoch, not before today: relative
# to the real date ("-3y"), the same request got another date on every run.
_DATES_TO = datetime.fromtimestamp(VIRTUAL_EPOCH, timezone.utc).replace(tzinfo=None) - timedelta(days=1)
_DATES_FROM = _DATES_TO.replace(year=_DATES_TO.year - 3)


class SchemaTooLarge(Exception):
    """The schema asks for more than the emulator generates; the message names the keyword."""


def _at_most(schema: dict[str, Any], keyword: str, limit: int) -> int:
    value = schema.get(keyword, 0)
    if not isinstance(value, int) or isinstance(value, bool):
        return 0
    if value > limit:
        raise SchemaTooLarge(f"{keyword} {value} is above the emulator's limit of {limit}")
    return value


def request_seed(seed: int, *parts: Any) -> int:
    """A 64-bit seed from the emulator seed and the request's content: the BLAKE2b of the seed
    and each part's canonical JSON, NUL-separated (ASCII: the JSON is written escaped)."""
    return seed_of_canonical(seed, [encode_basestring_ascii(part) if type(part) is str else canonical_json(part) for part in parts])


def seed_of_canonical(seed: int, canonical_parts: list[str]) -> int:
    """`request_seed` of the parts whose canonical JSON these are."""
    text = "\x00".join([str(seed), *canonical_parts])
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


# What the canonical encoder writes for the values a request's seed is made of. json sets up a
# new C encoder for every value it is given, so the scalars, strings, and lists and objects of
# them (the messages: [[role, text], ...]; a Workers AI input: {"text": [...]}) skip it; the
# bytes are the same.
_SCALARS: dict[Any, str] = {None: "null", True: "true", False: "false"}


def canonical_json(part: Any) -> str:
    """The canonical JSON `request_seed` writes for a part. Strings in a list are written in
    place: most of what a seed holds is strings in lists (a Python call costs more than writing
    a short string)."""
    kind = type(part)
    if kind is str:
        return encode_basestring_ascii(part)
    if part is None or part is True or part is False:
        return _SCALARS[part]
    if kind is list or kind is tuple:
        return "[" + ",".join([encode_basestring_ascii(item) if type(item) is str else canonical_json(item) for item in part]) + "]"
    if kind is int:
        return int.__repr__(part)
    if kind is float and math.isfinite(part):
        return float.__repr__(part)
    if kind is dict and all(type(key) is str for key in part):
        return "{" + ",".join([encode_basestring_ascii(key) + ":" + canonical_json(part[key]) for key in sorted(part)]) + "}"
    return _CANONICAL.encode(part)


_SEED_GENERATOR = _random.Random.seed  # the C generator's seed(), which Random.seed(int) calls


class SeededRandom(random.Random):
    """`random.Random(seed)` for an integer seed, the same state, seeded straight through the
    C generator's seed() without Random.seed's Python-level type checks (~0.4 us of a seeding
    that costs ~3.5 us, most of it the Mersenne Twister's own initialisation)."""

    def __init__(self, seed: int) -> None:
        _SEED_GENERATOR(self, seed)
        self.gauss_next = None


def randint(getrandbits: Callable[[int], int], low: int, high: int) -> int:
    """`Random.randint(low, high)` of the generator whose `getrandbits` this is, drawn as it
    draws it (k-bit draws until one is below the width), without its two Python-level wrappers."""
    width = high - low + 1
    bits = width.bit_length()
    drawn = getrandbits(bits)
    while drawn >= width:
        drawn = getrandbits(bits)
    return low + drawn


def random_of(first: int, second: int) -> float:
    """`Random.random()` as the C generator makes it from its next two 32-bit outputs: 27 bits of
    the first and 26 of the second, as a multiple of 2**-53."""
    return ((first >> 5) * 67108864.0 + (second >> 6)) * (1.0 / 9007199254740992.0)


class Synth:
    """One seeded draw: create per request, then take what the answer needs."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._values_left = MAX_VALUES
        self._words = _lorem_words()
        self._text_generator: random.Random | None = None
        self._faker: Any = None
        # Outputs of the seed's stream that `rng` drew before it was made (see _first_paragraph).
        self._rng_drawn = 0

    @cached_property
    def rng(self) -> random.Random:
        """The generator of the answer's structure and numbers (a Random seeded with `seed`),
        made when first drawn from: a first paragraph draws its structure without it."""
        rng = SeededRandom(self._seed)
        if self._rng_drawn:
            rng.getrandbits(32 * self._rng_drawn)  # a draw of 32k bits takes exactly k outputs
        return rng

    @property
    def _fake_rng(self) -> random.Random:
        """Faker's own generator, as Faker.seed_instance(seed) sets it up (a Random seeded with
        `seed`); text is drawn from it here, and the Faker, once needed, draws from it too.
        Made when first drawn from: an embedding or a number never needs it."""
        if self._text_generator is None:
            self._text_generator = SeededRandom(self._seed)
        return self._text_generator

    @property
    def _fake(self) -> Any:
        """The Faker, drawing from this answer's generator where the text left it."""
        if self._faker is None:
            fake = _faker()
            fake.seed_instance(0)  # gives the Faker a generator of its own
            fake.random.setstate(self._fake_rng.getstate())
            self._text_generator = fake.random
            self._faker = fake
        return self._faker

    # --- text -------------------------------------------------------------------------
    def paragraph(self) -> str:
        if self._text_generator is None and "rng" not in self.__dict__:  # neither generator made yet
            return self._first_paragraph()
        draw = self.rng.getrandbits
        return " ".join([self._sentence(randint(draw, 6, 14)) for _ in range(randint(draw, 1, 3))])

    def _first_paragraph(self) -> str:
        """`paragraph()` before anything was drawn: the same text, from one seeded generator
        instead of two (seeding one costs about a quarter of a synthesized chat's text).

        `rng` and faker's generator are both seeded with `seed`, so they draw the same stream of
        32-bit outputs. The structure takes its few draws first, from the stream's first outputs,
        which are kept in `head`; the text then draws each sentence as `_sentence` does, replaying
        `head` for its own first draws (as Random makes them from outputs) and drawing the rest
        from the stream itself."""
        stream = SeededRandom(self._seed)
        output = stream.getrandbits  # output(32): the stream's next output
        head: list[int] = []

        def below(width: int, bits: int) -> int:
            """`randint`'s draw below `width`: `bits`-bit draws (an output's top bits) until one is."""
            while True:
                head.append(output(32))
                if (drawn := head[-1] >> (32 - bits)) < width:
                    return drawn

        lengths = [6 + below(9, 4) for _ in range(1 + below(3, 2))]  # randint(1, 3) sentences of randint(6, 14)
        replayed = len(head)
        position = 0  # outputs the text has drawn; past `replayed`, the stream's own position
        words = self._words
        count = float(len(words))
        draw = stream.random
        sentences = []
        for length in lengths:
            while True:  # randint(60, 140): 7-bit draws below 81
                drawn = (head[position] if position < replayed else output(32)) >> 25
                position += 1
                if drawn < 81:
                    break
            nb = max(int(length * (60 + drawn) / 100), 1)  # at least 3: never the one-word choice()
            chosen = []
            while position < replayed and len(chosen) < nb:
                drawn_float = random_of(head[position], head[position + 1] if position + 1 < replayed else output(32))
                position += 2
                chosen.append(words[floor(drawn_float * count)])
            rest = nb - len(chosen)
            chosen += [words[floor(draw() * count)] for _ in range(rest)]
            position += 2 * rest
            chosen[0] = chosen[0].title()
            sentences.append(" ".join(chosen) + ".")
        self._rng_drawn = replayed
        if position < replayed:  # the text drew less than the structure: its generator starts where it stopped
            stream = SeededRandom(self._seed)
            stream.getrandbits(32 * position)
        self._text_generator = stream
        return " ".join(sentences)

    def sentence(self) -> str:
        return self._sentence(randint(self.rng.getrandbits, 4, 10))

    def words(self, n: int) -> str:
        return " ".join(self._draw_words(n))

    # Faker's lorem `sentence(nb_words)` and `words(nb)`, drawing from its seeded generator exactly
    # as faker does (same numbers, same order: the same text), without its per-call list copies.
    def _sentence(self, nb_words: int) -> str:
        nb = max(int(nb_words * randint(self._fake_rng.getrandbits, 60, 140) / 100), 1)  # randomize_nb_elements(min=1)
        words = self._draw_words(nb)
        words[0] = words[0].title()
        return " ".join(words) + "."

    def _draw_words(self, n: int) -> list[str]:
        """`choice(words)` for one word, else `choices(words, k=n)`, drawn as Random draws them."""
        words = self._words
        generator = self._fake_rng
        if n == 1:
            return [words[randint(generator.getrandbits, 0, len(words) - 1)]]
        draw = generator.random
        count = float(len(words))
        return [words[floor(draw() * count)] for _ in range(n)]

    def language_sentence(self, lang: str) -> str:
        return f"[{lang}] " + self.sentence()

    # --- values from a JSON schema --------------------------------------------------------
    def value_for_schema(self, schema: Any, root: Any = None, depth: int = 0) -> Any:
        root = schema if root is None else root
        self._values_left -= 1
        if self._values_left < 0:
            raise SchemaTooLarge(f"the schema asks for more than {MAX_VALUES} values in one answer")
        if not isinstance(schema, dict) or depth > 12:
            return self.sentence() if depth <= 12 else None
        if "$ref" in schema:
            return self.value_for_schema(_resolve(root, schema["$ref"]), root, depth + 1)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            if not schema["enum"]:
                raise SchemaTooLarge("enum is empty: no value satisfies it")
            return self.rng.choice(schema["enum"])
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [o for o in schema[key] if not (isinstance(o, dict) and o.get("type") == "null")]
                return self.value_for_schema((options or schema[key])[0], root, depth + 1)
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                part = _resolve(root, part["$ref"]) if isinstance(part, dict) and "$ref" in part else part
                for k, v in part.items():
                    if k in ("properties",) and k in merged:
                        merged[k] = {**merged[k], **v}
                    elif k == "required" and k in merged:
                        merged[k] = list(merged[k]) + list(v)
                    else:
                        merged[k] = v
            rest = {k: v for k, v in schema.items() if k != "allOf"}
            return self.value_for_schema({**merged, **rest}, root, depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            non_null = [t for t in kind if t != "null"]
            kind = non_null[0] if non_null else "null"
        if kind is None:
            kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
        return getattr(self, f"_gen_{kind}", self._gen_string)(schema, root, depth)

    def _gen_object(self, schema: dict[str, Any], root: Any, depth: int) -> dict[str, Any]:
        properties = schema.get("properties", {})
        required = [name for name in schema.get("required", []) if isinstance(name, str)]
        limit = schema.get("maxProperties")
        names = list(dict.fromkeys(required + list(properties)))
        if isinstance(limit, int):
            names = names[: max(limit, len(required))]
        extra = schema.get("additionalProperties", True)
        extra_schema = extra if isinstance(extra, dict) else {"type": "string"}
        out: dict[str, Any] = {}
        for name in names:
            sub = properties.get(name) or _pattern_property(schema, name) or extra_schema
            out[name] = self.value_for_schema(sub, root, depth + 1)
        want = _at_most(schema, "minProperties", MAX_PROPERTIES)
        if extra is not False:
            while len(out) < want:
                name = self._fake.word()
                if name in out:  # the word list is finite: number the repeats
                    name = f"{name}_{len(out)}"
                out[name] = self.value_for_schema(extra_schema, root, depth + 1)
        return out

    def _gen_array(self, schema: dict[str, Any], root: Any, depth: int) -> list[Any]:
        low = _at_most(schema, "minItems", MAX_ITEMS) if "minItems" in schema else 1
        high = schema.get("maxItems", max(low, 3))
        count = self.rng.randint(low, max(low, min(high, low + 2)))
        items = schema.get("items", {"type": "string"})
        prefix = schema.get("prefixItems", [])
        out = [self.value_for_schema(sub, root, depth + 1) for sub in prefix[:max(count, len(prefix))]]
        if items is False:
            return out
        seen = {json.dumps(v, sort_keys=True) for v in out}
        for _ in range(count * 4 + 8):
            if len(out) >= count:
                break
            value = self.value_for_schema(items, root, depth + 1)
            key = json.dumps(value, sort_keys=True)
            if schema.get("uniqueItems") and key in seen:
                continue
            seen.add(key)
            out.append(value)
        return out

    def _gen_string(self, schema: dict[str, Any], root: Any, depth: int) -> str:
        fmt = schema.get("format")
        if fmt == "date-time":
            value = self._fake.date_time_between(start_date=_DATES_FROM, end_date=_DATES_TO).strftime("%Y-%m-%dT%H:%M:%SZ")
        elif fmt == "date":
            value = self._fake.date_between(start_date=_DATES_FROM.date(), end_date=_DATES_TO.date()).isoformat()
        elif fmt == "time":
            value = self._fake.time()
        elif fmt == "email":
            value = self._fake.email()
        elif fmt in ("uri", "url"):
            value = self._fake.url()
        elif fmt == "uuid":
            value = str(self._fake.uuid4())
        elif fmt in ("ipv4",):
            value = self._fake.ipv4()
        elif isinstance(schema.get("pattern"), str) and (matching := string_matching(schema["pattern"], self.rng)) is not None:
            return matching
        else:
            value = self._fake.word() if schema.get("maxLength", 99) < 12 else self.sentence()
        low = _at_most(schema, "minLength", MAX_STRING_LENGTH)
        high = schema.get("maxLength")
        if len(value) < low:
            pieces = [value]
            length = len(value)
            while length < low:
                word = self._fake.word()
                pieces.append(word)
                length += len(word) + 1
            value = " ".join(pieces)
        if high is not None:
            value = value[:high]
        return value

    def _gen_integer(self, schema: dict[str, Any], root: Any, depth: int) -> int:
        low, high = _bounds(schema, integer=True)
        value = self.rng.randint(low, high)
        step = schema.get("multipleOf")
        if isinstance(step, int) and step > 0:
            value = max(low, (value // step) * step)
            if value % step:
                value += step - value % step
        return value

    def _gen_number(self, schema: dict[str, Any], root: Any, depth: int) -> float:
        low, high = _bounds(schema, integer=False)
        return round(self.rng.uniform(low, high), 2) if high - low > 0.02 else float(low)

    def _gen_boolean(self, schema: dict[str, Any], root: Any, depth: int) -> bool:
        return self.rng.random() < 0.5

    def _gen_null(self, schema: dict[str, Any], root: Any, depth: int) -> None:
        return None

    # --- Workers AI task outputs ----------------------------------------------------------
    def embedding(self, dimensions: int) -> list[float]:
        """A unit vector of normally distributed components, 6 decimals each. The components are
        12-bit normal quantiles from one draw (a fifth of the cost of `gauss` per component)."""
        quantiles = _normal_quantiles()
        drawn = self.rng.getrandbits(16 * dimensions) & _low_12_bits(dimensions)
        indices = memoryview(drawn.to_bytes(2 * dimensions, "little")).cast("H").tolist()
        if len(indices) < 2:  # itemgetter of one index gives the item, not a tuple
            return unit_vector([quantiles[i] for i in indices])
        return unit_vector(itemgetter(*indices)(quantiles))

    def png(self, size: int = 8) -> bytes:
        """A small, valid PNG with seeded colours."""
        rows = b"".join(b"\x00" + bytes(self.rng.randrange(256) for _ in range(size * 3)) for _ in range(size))

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

        header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")

    def mp3(self, frames: int = 8) -> bytes:
        """A short, valid MPEG-1 Layer III stream of silent frames (128 kbit/s, 44.1 kHz)."""
        header = b"\xff\xfb\x90\x64"
        frame = header + bytes(417 - len(header))
        return frame * frames

    def b64(self, data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")


def _bounds(schema: dict[str, Any], integer: bool) -> tuple[Any, Any]:
    if "minimum" not in schema and "exclusiveMinimum" not in schema and "maximum" in schema:
        low = min(0, schema["maximum"] - 100)
    else:
        low = schema.get("minimum", 0 if integer else 0.0)
    high = schema.get("maximum", max(low, schema.get("exclusiveMinimum", low)) + 100)
    if "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + (1 if integer else 0.01)
    if "exclusiveMaximum" in schema:
        high = schema["exclusiveMaximum"] - (1 if integer else 0.01)
    if integer:
        low, high = math.ceil(low), math.floor(high)
    return low, max(low, high)


def _pattern_property(schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    for pattern, sub in (schema.get("patternProperties") or {}).items():
        if re.search(pattern, name):
            return sub
    return None


def _resolve(root: Any, ref: str) -> Any:
    if not ref.startswith("#/"):
        return {}
    node = root
    for part in ref[2:].split("/"):
        node = node.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(node, dict) else {}
    return node
