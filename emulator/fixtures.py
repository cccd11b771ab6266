"""Fixture files: load and validate them, and match a request to the most specific fixture.

Matching rule (documented in the README, "Which fixture wins"):
- a fixture matches when every criterion in its `match` holds (no `match`: it matches everything);
- among matching fixtures the most specific wins: more criteria first, then the more exact
  kinds (exact 3, regex 2, contains/pattern 1; an endpoint list or model pattern counts 1);
- ties go to the first loaded: fixtures added at runtime come before files, files load in
  path order (built-in fixtures first, then each --fixtures directory), fixtures within a
  file in their order.

A fixture whose `respond` is a list answers its items in order on successive matches, then
keeps answering the last; `FixtureSet.reset` starts every sequence again.

Many fixtures (recorded traffic) are matched through an index by endpoint, model and exact last
user message, so that a request is compared only with the fixtures that could answer it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, NamedTuple

from emulator.completion import NO_CONVERSATION, Conversation
from emulator.fixture_criteria import Criterion, compile_criteria, json_path_errors
from emulator.gateway.headers import lenient_metadata
from emulator.regex_risk import nested_repeat
from emulator.schema_check import ConfigError, load_schema_validator, read_data_file
from emulator.text_matcher import TextMatcher, text_matcher

if TYPE_CHECKING:
    from emulator.completion import ChatRequest

FIXTURE_SUFFIXES = (".json", ".yaml", ".yml")


class MatchContext(NamedTuple):
    """What a fixture can match on, taken from one request."""

    endpoint: str
    model: str
    content: str  # the last user message's text
    headers: dict[str, str]  # lower-case names
    request: ChatRequest | None = None  # the neutral chat request (None: embeddings, other tasks)
    body: Any = None  # the request body as sent, parsed

    @property
    def metadata(self) -> dict[str, Any]:
        """The cf-aig-metadata header's entries: read only by fixtures with a metadata criterion."""
        return lenient_metadata(self.headers)

    @property
    def conversation(self) -> Conversation:
        return self.request.conversation if self.request is not None else NO_CONVERSATION


# A failed criterion, as (criterion, subject): endpoint | model | content | header | metadata, and
# the request's endpoint, model, last user text, header name or metadata key; or a conversation
# criterion's (emulator.fixture_criteria) name and what the request had. A plain tuple of
# strings: the garbage collector stops tracking it, so the journal's many reports cost it nothing.
# What the fixture expected is the fixture's own; `miss_text` words both when a report is read.
Miss = tuple[str, str]


@dataclass(slots=True)
class Fixture:
    name: str
    source: str  # "file.yaml#3" or "runtime#1"
    spec: dict[str, Any]
    endpoints: frozenset[str] | None = None
    model: TextMatcher | None = None
    content: TextMatcher | None = None
    headers: dict[str, TextMatcher] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    criteria: tuple[Criterion, ...] = ()  # the conversation criteria, checked last
    item: int | None = None  # the position of this answer in its fixture's sequence
    # (criteria, precision): the larger wins among matching fixtures; worked out once.
    specificity: tuple[int, int] = field(init=False, repr=False, compare=False)
    # A sequence's answers (`respond` a list), each a Fixture of its own item; () otherwise.
    items: tuple[Fixture, ...] = field(init=False, repr=False, compare=False)

    @property
    def respond(self) -> dict[str, Any]:
        return self.spec["respond"]

    def __post_init__(self) -> None:
        self.specificity = self._specificity()
        respond = self.spec.get("respond")
        self.items = ()
        if isinstance(respond, list):
            self.items = tuple(
                Fixture(self.name, self.source, {**self.spec, "respond": answer}, self.endpoints, self.model, self.content,
                        self.headers, self.metadata, self.criteria, index)
                for index, answer in enumerate(respond)
            )

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
        for criterion in self.criteria:
            criteria += criterion.criteria
            precision += criterion.precision
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
        if self.metadata:
            metadata = ctx.metadata
            for key, expected in self.metadata.items():
                if metadata.get(key) != expected:
                    return ("metadata", key)
        for criterion in self.criteria:
            miss = criterion.check(ctx)
            if miss is not None:
                return miss
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
    if criterion == "metadata":
        return f"metadata {subject!r} is not {fixture.metadata[subject]!r}"
    return next(c for c in fixture.criteria if c.name == criterion).explain(subject)


def compile_fixture(spec: dict[str, Any], source: str) -> Fixture:
    match = spec.get("match", {})
    endpoint = match.get("endpoint")
    endpoints = None
    if endpoint is not None:
        endpoints = frozenset([endpoint] if isinstance(endpoint, str) else endpoint)
    if "recorded" in spec:  # record mode's notes for the drift check: matching never reads them
        spec = {key: value for key, value in spec.items() if key != "recorded"}
    return Fixture(
        name=spec.get("name", source),
        source=source,
        spec=spec,
        endpoints=endpoints,
        model=text_matcher(match["model"]) if "model" in match else None,
        content=text_matcher(match["content"]) if "content" in match else None,
        headers={k.lower(): text_matcher(v) for k, v in match.get("headers", {}).items()},
        metadata=dict(match.get("metadata", {})),
        criteria=compile_criteria(match),
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


def _text_matchers(match: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    """(where, spec) of every text matcher in a `match`, for the checks the schema cannot make."""
    for where in ("model", "content", "system"):
        if where in match:
            yield where, match[where]
    for name, spec in (match.get("headers") or {}).items():
        yield f"headers.{name}", spec
    tool_result = match.get("tool_result")
    if isinstance(tool_result, dict):
        for where in ("tool", "content"):
            if where in tool_result:
                yield f"tool_result.{where}", tool_result[where]
    for path, expected in (match.get("json_path") or {}).items():
        yield f"json_path[{path!r}]", expected


def check_fixture_document(data: Any, source: str) -> None:
    load_schema_validator("fixture.schema.json").check(data, source=source)
    for index, spec in enumerate(data.get("fixtures", []) if isinstance(data, dict) else []):
        match = spec.get("match", {})
        for where, matcher in _text_matchers(match):
            if isinstance(matcher, dict) and "regex" in matcher:
                check_regex(matcher["regex"], f"{source}: $.fixtures[{index}].match.{where}.regex")
        for path, problem in json_path_errors(match):
            raise ConfigError(f"{source}: $.fixtures[{index}].match.json_path[{path!r}]: {problem}")
        respond = spec.get("respond", {})
        if isinstance(respond, list):
            for item, answer in enumerate(respond):
                check_stream_spec(answer, f"{source}: $.fixtures[{index}].respond[{item}]")
        else:
            check_stream_spec(respond, f"{source}: $.fixtures[{index}].respond")
    for index, spec in enumerate(data.get("classifications", []) if isinstance(data, dict) else []):
        matcher = spec.get("content")
        if isinstance(matcher, dict) and "regex" in matcher:
            try:
                re.compile(matcher["regex"])
            except re.error as exc:
                raise ConfigError(f"{source}: $.classifications[{index}].content.regex: invalid regular expression: {exc}") from exc


def check_regex(pattern: str, where: str) -> None:
    """A fixture's regex must compile, and must not be able to backtrack for ever (regex_risk)."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"{where}: invalid regular expression: {exc}") from exc
    if nested_repeat(pattern):
        raise ConfigError(
            f"{where}: {pattern!r} repeats a repeat (as in ^(a+)+$), which can take exponential time "
            "on a text that almost matches and would stall the server; write it with one repeat per "
            "character class (([a-z]+,)* is fine: the comma ends each word), or in an atomic group (?>...)"
        )


def check_stream_spec(respond: dict[str, Any], where: str) -> None:
    """What the schema cannot say about `respond.stream`: explicit chunks are the text. (One
    chunking and one fault are the schema's `not`.)"""
    stream = respond.get("stream")
    if not isinstance(stream, dict):
        return
    if "chunks" in stream:
        if "text" in respond and "".join(stream["chunks"]) != respond["text"]:
            raise ConfigError(f"{where}.stream.chunks: the chunks must concatenate to respond.text")
        if any(k in respond for k in ("tool_calls", "structured", "output", "error")):
            raise ConfigError(f"{where}.stream.chunks: explicit chunks stream a text answer; use chars for tool calls or structured output")


def fixture_files(directory: Path) -> list[Path]:
    """The fixture files under `directory`, recursively, in path order (os.walk: the directory
    listing says what is a file, where rglob and is_file would ask the disk once per file)."""
    if not directory.is_dir():
        raise ConfigError(f"{directory}: fixture directory does not exist")
    found = []
    for folder, _subfolders, names in os.walk(directory, followlinks=True):
        found += [Path(folder, name) for name in names if name.endswith(FIXTURE_SUFFIXES)]
    return sorted(found, key=str)


# From this many fixtures on, a request is compared only with the fixtures its endpoint, model
# and last user message leave (see FixtureIndex); below it, with every fixture, and the journal
# explains each one. The bound is far above what hand-written fixtures number.
INDEX_FROM = 64


class FixtureSet:
    """Fixtures from files (fixed at start) and from the control API (reset between tests), and
    where each sequence stands (reset with them)."""

    def __init__(self) -> None:
        self._files: list[Fixture] = []
        self._runtime: list[Fixture] = []
        self._runtime_counter = 0
        self._ordered: tuple[Fixture, ...] | None = ()  # runtime ones, then files; None: to be worked out
        self._index: FixtureIndex | None = None
        self._played: dict[str, int] = {}  # a sequence fixture's source -> the answers it has given

    def _changed(self) -> None:
        self._ordered = None
        self._index = None

    @property
    def _in_order(self) -> tuple[Fixture, ...]:
        return self._ordered if self._ordered is not None else self._put_in_order()

    def _put_in_order(self) -> tuple[Fixture, ...]:
        ordered = self._ordered = (*self._runtime, *self._files)
        self._index = FixtureIndex(ordered) if len(ordered) >= INDEX_FROM else None
        return ordered

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
        if self._runtime:  # the files' order and index stand (rebuilt, ten thousand take ~20 ms)
            self._runtime = []
            self._changed()
        self._runtime_counter = 0
        self._played.clear()

    def __iter__(self):
        return iter(self._in_order)

    def __len__(self) -> int:
        return len(self._in_order)

    def match(self, ctx: MatchContext) -> tuple[Fixture | None, MatchReport]:
        """The most specific fixture that matches (first loaded on ties, runtime ones first), and
        why each fixture did or did not match, for the journal and failing-test reports. A
        sequence answers with its next item."""
        fixtures = self._ordered
        if fixtures is None:
            fixtures = self._put_in_order()
        if self._index is not None:
            best, report = self._index.match(ctx)
        else:
            best = None
            best_score: tuple[int, int] = (-1, -1)
            misses = tuple([fixture.mismatch(ctx) for fixture in fixtures])
            for fixture, miss in zip(fixtures, misses):
                if miss is None and fixture.specificity > best_score:
                    best, best_score = fixture, fixture.specificity
            report = MatchReport(fixtures, misses)
        if best is not None and best.items:
            played = self._played.get(best.source, 0)
            self._played[best.source] = played + 1
            best = best.items[min(played, len(best.items) - 1)]
        return best, report


class _Candidates(NamedTuple):
    """The fixtures one (endpoint, model) leaves: those whose last-user-message criterion is not
    exact, and those whose is, by that message. Each list in load order."""

    general: tuple[Fixture, ...]
    by_content: dict[str, tuple[Fixture, ...]]


class FixtureIndex:
    """Fixtures by the endpoint and model they accept and the exact last user message they ask
    for, so that matching costs what the fixtures that could answer cost, not what all do.
    The candidates of each (endpoint, model) are worked out on its first request and kept
    (a bounded number of them)."""

    MAX_KEYS = 1024

    def __init__(self, fixtures: tuple[Fixture, ...]) -> None:
        self.fixtures = fixtures
        self.position = {id(f): at for at, f in enumerate(fixtures)}
        # fixtures by (endpoint or None: any, exact model or None: any or a pattern)
        self._buckets: dict[tuple[str | None, str | None], list[Fixture]] = {}
        for fixture in fixtures:
            model = fixture.model.value if fixture.model is not None and fixture.model.kind == "equals" else None
            for endpoint in fixture.endpoints if fixture.endpoints is not None else (None,):
                self._buckets.setdefault((endpoint, model), []).append(fixture)
        self._candidates: dict[tuple[str, str], _Candidates] = {}

    def candidates(self, endpoint: str, model: str) -> _Candidates:
        key = (endpoint, model)
        found = self._candidates.get(key)
        if found is None:
            if len(self._candidates) >= self.MAX_KEYS:
                self._candidates.clear()
            found = self._candidates[key] = self._work_out(endpoint, model)
        return found

    def _work_out(self, endpoint: str, model: str) -> _Candidates:
        chosen: dict[int, Fixture] = {}
        for bucket in ((endpoint, model), (endpoint, None), (None, model), (None, None)):
            for fixture in self._buckets.get(bucket, ()):
                if fixture.model is None or fixture.model.matches(model):
                    chosen[id(fixture)] = fixture
        in_order = sorted(chosen.values(), key=lambda f: self.position[id(f)])
        general = tuple(f for f in in_order if f.content is None or f.content.kind != "equals")
        by_content: dict[str, list[Fixture]] = {}
        for fixture in in_order:
            if fixture.content is not None and fixture.content.kind == "equals":
                by_content.setdefault(fixture.content.value, []).append(fixture)
        return _Candidates(general, {text: tuple(group) for text, group in by_content.items()})

    def match(self, ctx: MatchContext) -> tuple[Fixture | None, MatchReport]:
        found = self.candidates(ctx.endpoint, ctx.model)
        same_content = found.by_content.get(ctx.content)
        fixtures = found.general + same_content if same_content else found.general
        best: Fixture | None = None
        best_rank = (-1, -1, 0)
        misses = tuple([fixture.mismatch(ctx) for fixture in fixtures])
        position = self.position
        for fixture, miss in zip(fixtures, misses):
            if miss is None:
                rank = (*fixture.specificity, -position[id(fixture)])
                if rank > best_rank:
                    best, best_rank = fixture, rank
        return best, MatchReport(fixtures, misses, len(self.fixtures) - len(fixtures))


class MatchReport:
    """Each fixture's outcome for one request; worded only when the journal is read. It shares
    the fixture set's tuple (fixtures are not changed once compiled, only added and removed), and
    its misses are tuples of strings: one tracked object per request, which matters when the
    journal and the logs keep ten thousand of them. With many fixtures only those the index left
    are reported, and how many others there were."""

    __slots__ = ("_fixtures", "_misses", "_not_compared")

    def __init__(self, fixtures: tuple[Fixture, ...], misses: tuple[Miss | None, ...], not_compared: int = 0) -> None:
        self._fixtures = fixtures
        self._misses = misses
        self._not_compared = not_compared

    def view(self) -> list[dict[str, Any]]:
        outcomes: list[dict[str, Any]] = [
            {"fixture": f.name, "source": f.source, "result": miss_text(f, miss) if miss else "matched"}
            for f, miss in zip(self._fixtures, self._misses)
        ]
        if self._not_compared:
            outcomes.append({
                "fixture": None, "source": None,
                "result": f"{self._not_compared} other fixtures not compared: their endpoint, model or exact last user message is not this request's",
            })
        return outcomes


NO_REPORT = MatchReport((), ())
