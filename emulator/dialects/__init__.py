"""One module per wire format. A chat dialect parses its request into a neutral
`ChatRequest`, renders a neutral `Completion` back, and phrases errors its own way."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from emulator.completion import ChatRequest, Completion
from emulator.errors import InvalidRequest
from emulator.ids import IdSource
from emulator.schema_check import SchemaValidator, ValidBodies, load_schema_validator

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError


@dataclass
class RenderContext:
    ids: IdSource
    now: float
    model: str


class ChatDialect:
    """The interface of a text-generation wire format (OpenAI chat, Responses, Anthropic)."""

    endpoint: str  # route kind, see emulator.catalog
    schema_file: str
    request_id_header: str

    @property
    def validator(self) -> SchemaValidator:
        return load_schema_validator(self.schema_file)

    @cached_property
    def _valid_bodies(self) -> ValidBodies:
        return ValidBodies()

    def validate(self, body: Any, read_from: bytes | None = None) -> None:
        """Raises InvalidRequest naming the field. `read_from`: the bytes `body` was parsed from;
        bytes found valid before are not checked again (a cache hit is such a body)."""
        if read_from is not None and read_from in self._valid_bodies:
            return
        self.check(body)
        if read_from is not None:
            self._valid_bodies.add(read_from)

    def check(self, body: Any) -> None:
        if not self.validator.is_valid(body):
            error = self.validator.best_error(body)
            assert error is not None
            raise self.invalid(error)

    def invalid(self, error: ValidationError) -> InvalidRequest:
        raise NotImplementedError

    def parse(self, body: dict[str, Any]) -> ChatRequest:
        raise NotImplementedError

    def reasons(self, req: ChatRequest, model_reasons: bool) -> bool:
        """Whether the answer carries the model's reasoning. By default only when the request
        asks for it (Anthropic thinking); the OpenAI formats show a reasoning model's always."""
        return req.reasoning

    def render(self, req: ChatRequest, completion: Completion, ctx: RenderContext) -> dict[str, Any]:
        raise NotImplementedError

    def error_body(self, status: int, message: str, param: str | None, code: str | None, request_id: str) -> dict[str, Any]:
        raise NotImplementedError

    def new_request_id(self, ids: IdSource) -> str:
        raise NotImplementedError

    def model_not_found(self, model_id: str, request_id: str) -> tuple[int, dict[str, Any]]:
        """The provider's own answer to a model it does not have: status and body, as it sends them."""
        raise NotImplementedError

    def malformed_json(self, detail: str) -> InvalidRequest:
        raise NotImplementedError


def text_of(content: Any) -> str:
    """The text of a message content: a string, or the text parts of a list of parts/blocks."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces = []
        for part in content:
            if isinstance(part, dict):
                if isinstance(part.get("text"), str):
                    pieces.append(part["text"])
                elif "content" in part:  # tool_result blocks
                    pieces.append(text_of(part["content"]))
                elif isinstance(part.get("output"), str):
                    pieces.append(part["output"])
        return "\n".join(pieces)
    return str(content)
