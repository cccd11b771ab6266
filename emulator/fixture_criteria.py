"""The conversation criteria of a fixture's `match`: where the request stands in its conversation
(turn, last role, tool results), what it offers (tools, system prompt), and paths into its body.

Each criterion checks one request (`check` gives None when it holds, else a miss: the
criterion's name and what the request had) and words a miss when the journal is read. They are
checked after the fixture's older criteria (endpoint, model, content, headers, metadata), and
only by the fixtures that have them: a request no such fixture looks at reads nothing of its
conversation.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from emulator.text_matcher import TextMatcher, text_matcher

if TYPE_CHECKING:
    from emulator.fixtures import MatchContext

# The `match` keys handled here, in the order they are checked.
CONVERSATION_CRITERIA = ("turn", "last_role", "tool_result", "tools", "system", "json_path")

Miss = tuple[str, str]


class Criterion:
    __slots__ = ()
    name: str
    criteria: int = 1  # how many criteria it counts as, for specificity
    precision: int = 3

    def check(self, ctx: MatchContext) -> Miss | None:
        raise NotImplementedError

    def explain(self, subject: str) -> str:
        raise NotImplementedError


class Turn(Criterion):
    name = "turn"
    __slots__ = ("turn",)

    def __init__(self, turn: int) -> None:
        self.turn = turn

    def check(self, ctx: MatchContext) -> Miss | None:
        turn = ctx.conversation.turn
        return None if turn == self.turn else ("turn", str(turn))

    def explain(self, subject: str) -> str:
        return f"turn {subject} (assistant turns so far) is not {self.turn}"


class LastRole(Criterion):
    name = "last_role"
    __slots__ = ("role",)

    def __init__(self, role: str) -> None:
        self.role = role

    def check(self, ctx: MatchContext) -> Miss | None:
        role = ctx.conversation.last_role
        return None if role == self.role else ("last_role", role)

    def explain(self, subject: str) -> str:
        return f"last message's role {subject!r} is not {self.role!r}"


class ToolResultPresent(Criterion):
    """`tool_result: true` / `false`: whether the request carries any tool result."""

    name = "tool_result"
    __slots__ = ("present",)

    def __init__(self, present: bool) -> None:
        self.present = present

    def check(self, ctx: MatchContext) -> Miss | None:
        count = len(ctx.conversation.tool_results)
        return None if bool(count) == self.present else ("tool_result", str(count))

    def explain(self, subject: str) -> str:
        return "no tool result in the request" if self.present else f"the request carries {subject} tool result(s)"


class ToolResultMatches(Criterion):
    """`tool_result: {tool, content}`: some tool result answers that tool (by name) and its text
    matches; both optional. Counts one criterion per part given."""

    name = "tool_result"
    __slots__ = ("tool", "content", "criteria", "precision")

    def __init__(self, tool: TextMatcher | None, content: TextMatcher | None) -> None:
        self.tool = tool
        self.content = content
        parts = [m for m in (tool, content) if m is not None]
        self.criteria = max(1, len(parts))
        self.precision = sum(m.precision for m in parts) if parts else 3

    def check(self, ctx: MatchContext) -> Miss | None:
        results = ctx.conversation.tool_results
        for result in results:
            if (self.tool is None or self.tool.matches(result.tool)) and (self.content is None or self.content.matches(result.content)):
                return None
        return ("tool_result", ", ".join(repr(r.tool or r.call_id) for r in results) or "none")

    def explain(self, subject: str) -> str:
        wanted = " and ".join(
            words for words in (
                f"tool {self.tool.describe()}" if self.tool else "",
                f"content {self.content.describe()}" if self.content else "",
            ) if words
        )
        return f"no tool result matches {wanted or 'anything'} (tool results: {subject})"


class ToolsOffered(Criterion):
    """`tools: [name, ...]`: each named tool is offered (others may be too); one criterion per name."""

    name = "tools"
    __slots__ = ("names", "criteria", "precision")

    def __init__(self, names: list[str]) -> None:
        self.names = tuple(names)
        self.criteria = len(self.names)
        self.precision = 3 * len(self.names)

    def check(self, ctx: MatchContext) -> Miss | None:
        offered = {tool.name for tool in ctx.request.tools} if ctx.request is not None else set()
        for name in self.names:
            if name not in offered:
                return ("tools", name)
        return None

    def explain(self, subject: str) -> str:
        return f"tool {subject!r} is not offered"


class SystemPrompt(Criterion):
    name = "system"
    __slots__ = ("matcher", "precision")

    def __init__(self, matcher: TextMatcher) -> None:
        self.matcher = matcher
        self.precision = matcher.precision

    def check(self, ctx: MatchContext) -> Miss | None:
        text = ctx.request.system_text if ctx.request is not None else ""
        return None if self.matcher.matches(text) else ("system", text)

    def explain(self, subject: str) -> str:
        return f"system prompt does not match {self.matcher.describe()}"


# --- JSON paths into the body -------------------------------------------------------------
# A subset of JSONPath: $ then .name, ['name'] or ["name"], [n] (negative from the end), [*] / .*
_STEP = re.compile(r"""\.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)|\.(?P<star>\*)|\[(?P<index>-?\d+)\]|\[(?P<all>\*)\]|\[(?P<quoted>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\]""")
_ANY = object()  # the step [*]


def parse_json_path(path: str) -> tuple[Any, ...]:
    """The steps of a path: names (str), indexes (int) and _ANY. ValueError names what is wrong."""
    if not path.startswith("$"):
        raise ValueError("a JSON path starts with $")
    steps: list[Any] = []
    at = 1
    while at < len(path):
        step = _STEP.match(path, at)
        if step is None:
            raise ValueError(f"cannot read the path from {path[at:]!r} (use .name, ['name'], [n] or [*])")
        if step["name"] is not None:
            steps.append(step["name"])
        elif step["index"] is not None:
            steps.append(int(step["index"]))
        elif step["quoted"] is not None:
            steps.append(re.sub(r"\\(.)", r"\1", step["quoted"][1:-1]))
        else:
            steps.append(_ANY)
        at = step.end()
    return tuple(steps)


def values_at(document: Any, steps: tuple[Any, ...]) -> list[Any]:
    """Every value the path reaches (more than one through [*])."""
    found = [document]
    for step in steps:
        reached = []
        for value in found:
            if step is _ANY:
                reached.extend(value.values() if isinstance(value, dict) else value if isinstance(value, list) else ())
            elif isinstance(step, str):
                if isinstance(value, dict) and step in value:
                    reached.append(value[step])
            elif isinstance(value, list) and -len(value) <= step < len(value):
                reached.append(value[step])
        found = reached
    return found


def same_json(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return a == b and (isinstance(a, (int, float)) == isinstance(b, (int, float)))


class JsonPathExpectation:
    """What one path must reach: `equals` a JSON value, `exists` true/false, or a text matcher
    (`contains` / `regex` / `pattern`) for a string there. With [*], any value reached will do."""

    def __init__(self, path: str, spec: dict[str, Any]) -> None:
        self.path = path
        self.steps = parse_json_path(path)
        (self.kind, self.value), = spec.items()
        self.matcher = text_matcher({self.kind: self.value}) if self.kind in ("contains", "regex", "pattern") else None
        self.precision = self.matcher.precision if self.matcher is not None else 3

    def holds(self, body: Any) -> bool:
        values = values_at(body, self.steps)
        if self.kind == "exists":
            return bool(values) == self.value
        if self.kind == "equals":
            return any(same_json(v, self.value) for v in values)
        assert self.matcher is not None
        return any(isinstance(v, str) and self.matcher.matches(v) for v in values)

    def describe(self) -> str:
        if self.kind == "exists":
            return "exists" if self.value else "does not exist"
        if self.kind == "equals":
            return f"equals {self.value!r}"
        assert self.matcher is not None
        return f"matches {self.matcher.describe()}"


class JsonPaths(Criterion):
    """`json_path: {"$.path": {equals | exists | contains | regex | pattern: ...}}`: one criterion per path."""

    name = "json_path"
    __slots__ = ("expectations", "criteria", "precision")

    def __init__(self, spec: dict[str, dict[str, Any]]) -> None:
        self.expectations = {path: JsonPathExpectation(path, expected) for path, expected in spec.items()}
        self.criteria = len(self.expectations)
        self.precision = sum(e.precision for e in self.expectations.values())

    def check(self, ctx: MatchContext) -> Miss | None:
        for path, expectation in self.expectations.items():
            if not expectation.holds(ctx.body):
                # The subject carries what the path reached, cut short: the body is not kept.
                found = values_at(ctx.body, expectation.steps)
                shown = "nothing" if not found else ", ".join(_short(v) for v in found[:3]) + (", ..." if len(found) > 3 else "")
                return ("json_path", f"{path}\n{shown}")
        return None

    def explain(self, subject: str) -> str:
        path, _, found = subject.partition("\n")
        return f"body at {path} (found {found}) does not match: expected it {self.expectations[path].describe()}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def compile_criteria(match: dict[str, Any]) -> tuple[Criterion, ...]:
    """The conversation criteria of one fixture's `match` (checked against the schema already)."""
    criteria: list[Criterion] = []
    if "turn" in match:
        criteria.append(Turn(match["turn"]))
    if "last_role" in match:
        criteria.append(LastRole(match["last_role"]))
    if "tool_result" in match:
        spec = match["tool_result"]
        if isinstance(spec, bool):
            criteria.append(ToolResultPresent(spec))
        else:
            tool = text_matcher(spec["tool"]) if "tool" in spec else None
            content = text_matcher(spec["content"]) if "content" in spec else None
            criteria.append(ToolResultMatches(tool, content))
    if "tools" in match:
        criteria.append(ToolsOffered(match["tools"]))
    if "system" in match:
        criteria.append(SystemPrompt(text_matcher(match["system"])))
    if "json_path" in match:
        criteria.append(JsonPaths(match["json_path"]))
    return tuple(criteria)


def json_path_errors(match: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, problem) for each path of `json_path` that cannot be read."""
    errors = []
    for path in (match.get("json_path") or {}):
        try:
            parse_json_path(path)
        except ValueError as exc:
            errors.append((path, str(exc)))
    return errors
