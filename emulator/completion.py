"""The neutral request and answer that every dialect converts to and from.

A dialect parses its wire format into a `ChatRequest`, the emulator answers it with a
`Completion` (or a task output for non-text Workers AI models, or an `UpstreamFailure`),
and the dialect renders that back in its own format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, NamedTuple


# The small immutable values are named tuples: a frozen dataclass takes about twice as long
# to make (its __init__ sets each field through object.__setattr__), and a request makes several.
class Message(NamedTuple):
    role: str  # "system" | "user" | "assistant" | "tool"
    text: str


class ToolSpec(NamedTuple):
    name: str
    description: str
    parameters: dict[str, Any]


class ToolChoice(NamedTuple):
    """`auto`, `none`, `required` (any tool), or `function` (the tool named `name`)."""

    mode: str = "auto"
    name: str | None = None


AUTO = ToolChoice()  # what a request that does not choose gets


class ToolResult(NamedTuple):
    """A tool's result the client sends back: the tool whose call it answers (resolved from the
    call's id in an earlier assistant turn; "" when that turn is not in the request), its text."""

    tool: str
    content: str
    call_id: str


class Conversation(NamedTuple):
    """Where a request stands in its conversation, as fixtures match it.

    `turn`: the assistant turns already in the request (0 on the first request of a
    conversation; an assistant's text and tool calls of one answer are one turn).
    `last_role`: the neutral role of the last message: system, user, assistant, or tool (a tool
    result, whatever the wire format calls the message that carries it)."""

    turn: int
    last_role: str
    tool_results: tuple[ToolResult, ...]


NO_CONVERSATION = Conversation(0, "user", ())


@dataclass
class ChatRequest:
    endpoint: str  # "chat_completions" | "responses" | "messages" | "run"
    model: str
    messages: list[Message]
    tools: list[ToolSpec] = field(default_factory=list)
    tool_choice: ToolChoice = AUTO
    output_schema: dict[str, Any] | None = None  # JSON schema the answer must follow
    json_mode: bool = False  # any JSON object will do
    max_tokens: int | None = None
    stream: bool = False
    include_usage: bool = False
    reasoning: bool = False  # the client asked to see the model's reasoning (Anthropic `thinking`)
    body: dict[str, Any] = field(default_factory=dict, repr=False)  # as sent, for dialects that echo it
    # How the dialect reads the conversation out of `body`: only when a fixture asks (see `conversation`).
    read_conversation: Callable[[dict[str, Any]], Conversation] | None = field(default=None, repr=False)

    @cached_property
    def conversation(self) -> Conversation:
        """The turn, last role and tool results, read from the body by the dialect's reader the
        first time a fixture matches on them: requests no such fixture looks at never pay for it."""
        if self.read_conversation is None:
            return Conversation(sum(1 for m in self.messages if m.role == "assistant"), self.messages[-1].role if self.messages else "user", ())
        return self.read_conversation(self.body)

    @property
    def system_text(self) -> str:
        """The system prompt: every system (or developer) message's text, one per line."""
        return "\n".join(m.text for m in self.messages if m.role == "system")

    @property
    def last_user_text(self) -> str:
        for message in reversed(self.messages):
            if message.role == "user":
                return message.text
        return ""

    @property
    def prompt_text(self) -> str:
        return "\n".join(m.text for m in self.messages)


class ToolCall(NamedTuple):
    id: str
    name: str
    arguments: dict[str, Any]


class Usage(NamedTuple):
    """`input_tokens` is the fresh input: the provider's prompt-cache reads and writes are
    counted apart (each dialect adds them to its own input count where its format does)."""

    input_tokens: int
    output_tokens: int
    reasoning_tokens: int = 0  # the part of output_tokens spent on reasoning
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def prompt_tokens(self) -> int:
        """Every input token, cached or not (OpenAI's prompt_tokens / input_tokens)."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens + self.output_tokens


@dataclass
class Completion:
    """A text-generation answer. `finish` is neutral: stop, length, tool_calls, content_filter."""

    text: str | None
    tool_calls: list[ToolCall]
    finish: str
    usage: Usage
    reasoning: str | None = None  # the model's reasoning, shown before the answer when asked for


@dataclass
class TaskOutput:
    """A non-text Workers AI answer: the model's JSON output, or raw bytes with a content type."""

    value: Any
    content_type: str = "application/json"
    usage: Usage | None = None


@dataclass
class UpstreamFailure:
    """An error the simulated provider returned. `body` None: render it in the endpoint's dialect."""

    status: int
    message: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Answer = Completion | TaskOutput | UpstreamFailure
