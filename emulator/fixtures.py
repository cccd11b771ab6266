"""Fixture files: load and validate them, and match a request to the most specific fixture.

Matching rule (documented in the README):
- a fixture matches when every criterion in its `match` holds (no `match`: it matches everything);
- among matching fixtures the most specific wins: more criteria first, then the more exact
  kinds (exact 3, regex 2, contains/pattern 1; an endpoint list or model pattern counts 1);
- ties go to the first loaded: fixtures added at runtime come before files, files load in
  path order (built-in fixtures first, then each --fixtures directory), fixtures within a
  file in their order.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, NamedTuple

from emulator.schema_check import ConfigError, load_schema_validator, read_data_file

FIXTURE_SUFFIXES = (".json", ".yaml", ".yml")


class MatchContext(NamedTuple):
    """What a fixture can match on, taken from one request."""

    endpoint: str
    model: str
    content: str  # the last user message's text
    headers: dict[str, str]  # lower-case names
    metadata: dict[str, Any]


@dataclass(frozen=True)
class TextMatcher:
    kind: str  # "equals" | "contains" | "regex" | "pattern"
    value: str
    _regex: re.Pattern[str] | None = None
    # "contains" with an ASCII value: the value lower-cased. In ASCII text the case-blind
    # whole-word search is a search of this in the text lower-cased (see _has_whole_word); the
    # regex searches any other text.
    _ascii_lower: str | None = None

    @property
    def precision(self) -> int:
        return {"equals": 3, "regex": 2, "contains": 1, "pattern": 1}[self.kind]

    def matches(self, text: str) -> bool:
        if self.kind == "equals":
            return text == self.value
        if self.kind == "pattern":
            return fnmatch.fnmatchcase(text, self.value)
        assert self._regex is not None
        if self._ascii_lower is not None and text.isascii():
            lowered = text.lower()
            return self._ascii_lower in lowered and _has_whole_word(lowered, self._ascii_lower)
        return self._regex.search(text) is not None

    def describe(self) -> str:
        return f"{self.kind} {self.value!r}"


# What \w matches in ASCII text.
_ASCII_WORD_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _has_whole_word(text: str, value: str) -> bool:
    """The whole-word search of `value` in `text`, both ASCII and lower-cased: an occurrence with
    no word character just before or after it (what (?<!\\w)value(?!\\w) finds), at a third of
    the regex's cost. The case-blind search can fold only non-ASCII characters besides ASCII
    case (the Kelvin sign to k, the long s to s), and ASCII text has none."""
    at = text.find(value)
    while at >= 0:
        end = at + len(value)
        if (at == 0 or text[at - 1] not in _ASCII_WORD_CHARACTERS) and (end == len(text) or text[end] not in _ASCII_WORD_CHARACTERS):
            return True
        at = text.find(value, at + 1)
    return False


def text_matcher(spec: Any) -> TextMatcher:
    if isinstance(spec, str):
        return TextMatcher("equals", spec)
    (kind, value), = spec.items()
    if kind == "regex":
        return TextMatcher(kind, value, re.compile(value))
    if kind == "contains":
        whole_word = r"(?<!\w)" + re.escape(value) + r"(?!\w)"
        return TextMatcher(kind, value, re.compile(whole_word, re.IGNORECASE), value.lower() if value.isascii() else None)
    return TextMatcher(kind, value)


# A failed criterion, as (criterion, subject): endpoint | model | content | header | metadata, and
# the request's endpoint, model, last user text, header name or metadata key. A plain tuple of
# strings: the garbage collector stops tracking it, so the journal's many reports cost it nothing.
# What the fixture expected is the fixture's own; `miss_text` words both when a report is read.
Miss = tuple[str, str]


@dataclass
class Fixture:
    name: str
    source: str  # "file.yaml#3" or "runtime#1"
    spec: dict[str, Any]
    endpoints: frozenset[str] | None = None
    model: TextMatcher | None = None
    content: TextMatcher | None = None
    headers: dict[str, TextMatcher] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    # (criteria, precision): the larger wins among matching fixtures; worked out once.
    specificity: tuple[int, int] = field(init=False, repr=False, compare=False)

    @property
    def respond(self) -> dict[str, Any]:
        return self.spec["respond"]

    def __post_init__(self) -> None:
        self.specificity = self._specificity()

    def _specificity(self) -> tuple[int, int]:
        criteria = 0
        precision = 0
        if self.endpoints is not None:
            criteria += 1
            precision += 3 if len(self.endpoints) == 1 else 1
        for matcher in (self.model, self.content, *self.headers.values()):
            if matcher is not None:
                criteria += 1
                precision += matcher.precision
        criteria += len(self.metadata)
        precision += 3 * len(self.metadata)
        return criteria, precision

    def mismatch(self, ctx: MatchContext) -> Miss | None:
        """None when the fixture matches; otherwise the first criterion that failed."""
        if self.endpoints is not None and ctx.endpoint not in self.endpoints:
            return ("endpoint", ctx.endpoint)
        if self.model is not None and not self.model.matches(ctx.model):
            return ("model", ctx.model)
        if self.content is not None and not self.content.matches(ctx.content):
            return ("content", ctx.content)
        for name, matcher in self.headers.items():
            value = ctx.headers.get(name)
            if value is None or not matcher.matches(value):
                return ("header", name)
        for key, expected in self.metadata.items():
            if ctx.metadata.get(key) != expected:
                return ("metadata", key)
        return None


def miss_text(fixture: Fixture, miss: Miss) -> str:
    criterion, subject = miss
    if criterion == "endpoint":
        return f"endpoint {subject!r} not in {sorted(fixture.endpoints or ())}"
    if criterion == "model":
        assert fixture.model is not None
        return f"model {subject!r} does not match {fixture.model.describe()}"
    if criterion == "content":
        assert fixture.content is not None
        return f"last user message does not match {fixture.content.describe()}"
    if criterion == "header":
        return f"header {subject!r} does not match {fixture.headers[subject].describe()}"
    return f"metadata {subject!r} is not {fixture.metadata[subject]!r}"


def compile_fixture(spec: dict[str, Any], source: str) -> Fixture:
    match = spec.get("match", {})
    endpoint = match.get("endpoint")
    endpoints = None
    if endpoint is not None:
        endpoints = frozenset([endpoint] if isinstance(endpoint, str) else endpoint)
    return Fixture(
        name=spec.get("name", source),
        source=source,
        spec=spec,
        endpoints=endpoints,
        model=text_matcher(match["model"]) if "model" in match else None,
        content=text_matcher(match["content"]) if "content" in match else None,
        headers={k.lower(): text_matcher(v) for k, v in match.get("headers", {}).items()},
        metadata=dict(match.get("metadata", {})),
    )


def parse_fixture_file(path: Path, check: bool = True) -> dict[str, Any]:
    """Read one fixture file and (unless `check` is false) validate it; errors name the file
    and the JSON path."""
    data = read_data_file(path, "fixture file")
    if data is None:
        data = {}
    if check:
        check_fixture_document(data, str(path))
    return data


def check_fixture_document(data: Any, source: str) -> None:
    load_schema_validator("fixture.schema.json").check(data, source=source)
    for index, spec in enumerate(data.get("fixtures", []) if isinstance(data, dict) else []):
        for where in ("model", "content"):
            matcher = spec.get("match", {}).get(where)
            if isinstance(matcher, dict) and "regex" in matcher:
                try:
                    re.compile(matcher["regex"])
                except re.error as exc:
                    raise ConfigError(f"{source}: $.fixtures[{index}].match.{where}.regex: invalid regular expression: {exc}") from exc
        check_stream_spec(spec.get("respond", {}), f"{source}: $.fixtures[{index}].respond")


def check_stream_spec(respond: dict[str, Any], where: str) -> None:
    """What the schema cannot say about `respond.stream`: one chunking, one fault, chunks that are the text."""
    stream = respond.get("stream")
    if not isinstance(stream, dict):
        return
    chunkings = [k for k in ("by", "chars", "chunks") if k in stream]
    if len(chunkings) > 1:
        raise ConfigError(f"{where}.stream: choose one chunking, not {' and '.join(chunkings)}")
    faults = [k for k in ("disconnect_after", "error_after", "malformed_after") if k in stream]
    if len(faults) > 1:
        raise ConfigError(f"{where}.stream: at most one fault per fixture, not {' and '.join(faults)}")
    if "chunks" in stream:
        if "text" in respond and "".join(stream["chunks"]) != respond["text"]:
            raise ConfigError(f"{where}.stream.chunks: the chunks must concatenate to respond.text")
        if any(k in respond for k in ("tool_calls", "structured", "output", "error")):
            raise ConfigError(f"{where}.stream.chunks: explicit chunks stream a text answer; use chars for tool calls or structured output")


def fixture_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise ConfigError(f"{directory}: fixture directory does not exist")
    return sorted(p for p in directory.rglob("*") if p.suffix in FIXTURE_SUFFIXES and p.is_file())


class FixtureSet:
    """Fixtures from files (fixed at start) and from the control API (reset between tests)."""

    def __init__(self) -> None:
        self._files: list[Fixture] = []
        self._runtime: list[Fixture] = []
        self._runtime_counter = 0
        self._in_order: tuple[Fixture, ...] = ()  # runtime ones, then files: what `match` walks

    def _changed(self) -> None:
        self._in_order = (*self._runtime, *self._files)

    def add_file_fixtures(self, specs: Iterable[dict[str, Any]], source: str) -> None:
        for index, spec in enumerate(specs):
            self._files.append(compile_fixture(spec, f"{source}#{index}"))
        self._changed()

    def add_runtime(self, spec: dict[str, Any]) -> Fixture:
        self._runtime_counter += 1
        fixture = compile_fixture(spec, f"runtime#{self._runtime_counter}")
        self._runtime.append(fixture)
        self._changed()
        return fixture

    def remove_runtime(self, source: str) -> bool:
        before = len(self._runtime)
        self._runtime = [f for f in self._runtime if f.source != source and f.name != source]
        self._changed()
        return len(self._runtime) != before

    def reset(self) -> None:
        self._runtime = []
        self._runtime_counter = 0
        self._changed()

    def __iter__(self):
        return iter(self._in_order)

    def __len__(self) -> int:
        return len(self._in_order)

    def match(self, ctx: MatchContext) -> tuple[Fixture | None, MatchReport]:
        """The most specific fixture that matches (first loaded on ties, runtime ones first), and
        why each fixture did or did not match, for the journal and failing-test reports."""
        best: Fixture | None = None
        best_score: tuple[int, int] = (-1, -1)
        fixtures = self._in_order
        misses = tuple([fixture.mismatch(ctx) for fixture in fixtures])
        for fixture, miss in zip(fixtures, misses):
            if miss is None and fixture.specificity > best_score:
                best, best_score = fixture, fixture.specificity
        return best, MatchReport(fixtures, misses)


class MatchReport:
    """Each fixture's outcome for one request; worded only when the journal is read. It shares
    the fixture set's tuple (fixtures are not changed once compiled, only added and removed), and
    its misses are tuples of strings: one tracked object per request, which matters when the
    journal and the logs keep ten thousand of them."""

    __slots__ = ("_fixtures", "_misses")

    def __init__(self, fixtures: tuple[Fixture, ...], misses: tuple[Miss | None, ...]) -> None:
        self._fixtures = fixtures
        self._misses = misses

    def view(self) -> list[dict[str, str]]:
        return [
            {"fixture": f.name, "source": f.source, "result": miss_text(f, miss) if miss else "matched"}
            for f, miss in zip(self._fixtures, self._misses)
        ]


NO_REPORT = MatchReport((), ())
