"""The simulated provider: a fixture's answer, or a synthesized one, as a neutral Answer."""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring_ascii as _string
from typing import Any, Callable

from emulator.catalog import Model
from emulator.completion import ChatRequest, Completion, TaskOutput, ToolCall, UpstreamFailure, Usage
from emulator.errors import InvalidRequest
from emulator.fixtures import Fixture
from emulator.synth import SchemaTooLarge, Synth, canonical_json, request_seed, seed_of_canonical
from emulator.task_outputs import synthesize_task_output
from emulator.tokens import count_tokens, split_tokens


def input_tokens(req: ChatRequest) -> int:
    count = sum(count_tokens(m.text) for m in req.messages)
    for tool in req.tools:
        count += count_tokens(tool.name + " " + tool.description + " " + json.dumps(tool.parameters, sort_keys=True))
    return count


def chat_seed(seed: int, req: ChatRequest) -> int:
    """The same conversation gets the same answer on every endpoint and in every dialect: the
    request seed of the model, the messages as [role, text] pairs, the tools as [name, parameters],
    the tool choice as [mode, name], the output schema, JSON mode and max tokens. The parts a
    chat always has are written here as the canonical writer writes them (a third of its cost)."""
    choice = req.tool_choice
    try:
        model = _string(req.model)
        messages = "[" + ",".join([f"[{_string(role)},{_string(text)}]" for role, text in req.messages]) + "]"
        tool_choice = f"[{_string(choice.mode)},{'null' if choice.name is None else _string(choice.name)}]"
    except TypeError:  # a part that is not a string: written the general way
        model = canonical_json(req.model)
        messages = canonical_json([(m.role, m.text) for m in req.messages])
        tool_choice = canonical_json((choice.mode, choice.name))
    return seed_of_canonical(seed, [
        model,
        messages,
        canonical_json([(t.name, t.parameters) for t in req.tools]) if req.tools else "[]",
        tool_choice,
        canonical_json(req.output_schema),
        canonical_json(req.json_mode),
        canonical_json(req.max_tokens),
    ])


def failure_from(spec: dict[str, Any]) -> UpstreamFailure:
    status = spec["status"]
    return UpstreamFailure(
        status=status,
        message=spec.get("message", f"Upstream provider returned status {status}"),
        body=spec.get("body"),
        headers=dict(spec.get("headers", {})),
    )


def answer_chat(req: ChatRequest, fixture: Fixture | None, seed: int) -> Completion | UpstreamFailure:
    respond = fixture.respond if fixture is not None else {}
    if "error" in respond:
        return failure_from(respond["error"])
    # Made on first use: a fixture's text answer draws nothing (seeding costs tens of microseconds).
    made: list[Synth] = []

    def synth() -> Synth:
        if not made:
            made.append(Synth(chat_seed(seed, req)))
        return made[0]

    tool_calls = _tool_calls(req, respond, synth)
    text: str | None
    finish = "tool_calls" if tool_calls else "stop"
    if "text" in respond:
        text = respond["text"]
    elif "chunks" in respond.get("stream", {}):
        text = "".join(respond["stream"]["chunks"])
    elif "structured" in respond:
        text = json.dumps(respond["structured"], ensure_ascii=False)
    elif tool_calls:
        text = None
    elif req.output_schema is not None:
        text = json.dumps(value_for_request_schema(synth(), req.output_schema, "response_format"), ensure_ascii=False)
    elif req.json_mode:
        text = json.dumps({"answer": synth().sentence()}, ensure_ascii=False)
    else:
        text = synth().paragraph()
    structured = "structured" in respond or req.output_schema is not None or req.json_mode
    if text is not None and not structured and req.max_tokens is not None:
        pieces = split_tokens(text)
        if len(pieces) > req.max_tokens:
            text = "".join(pieces[: req.max_tokens])
            finish = "length"
    finish = respond.get("finish_reason", finish)
    reasoning = None
    if req.reasoning:
        reasoning = respond["reasoning"] if "reasoning" in respond else synth().paragraph()
    reasoning_tokens = count_tokens(reasoning) if reasoning else 0
    usage = Usage(input_tokens(req), _output_tokens(text, tool_calls) + reasoning_tokens, reasoning_tokens)
    if "usage" in respond:
        given = respond["usage"]
        usage = Usage(
            given.get("input_tokens", usage.input_tokens), given.get("output_tokens", usage.output_tokens), reasoning_tokens,
            given.get("cache_read_tokens", 0), given.get("cache_write_tokens", 0),
        )
    return Completion(text=text, tool_calls=tool_calls, finish=finish, usage=usage, reasoning=reasoning)


def _tool_calls(req: ChatRequest, respond: dict[str, Any], synth: Callable[[], Synth]) -> list[ToolCall]:
    if "tool_calls" in respond:
        return [
            ToolCall(id=call.get("id") or _tool_call_id(synth()), name=call["name"], arguments=call.get("arguments", {}))
            for call in respond["tool_calls"]
        ]
    if "text" in respond or "structured" in respond or "chunks" in respond.get("stream", {}) or not req.tools:
        return []
    choice = req.tool_choice
    if choice.mode == "function":
        tool = next((t for t in req.tools if t.name == choice.name), None)
    elif choice.mode == "required":
        tool = req.tools[0]
    else:
        return []
    if tool is None:
        return []
    arguments = value_for_request_schema(synth(), tool.parameters or {"type": "object", "properties": {}}, f"function '{tool.name}'")
    if not isinstance(arguments, dict):
        arguments = {}
    return [ToolCall(id=_tool_call_id(synth()), name=tool.name, arguments=arguments)]


def value_for_request_schema(synth: Synth, schema: Any, owner: str) -> Any:
    """A value for a schema the client sent (output format, tool parameters). A schema that is
    not a JSON Schema, or that asks for more than the emulator generates, is the client's
    mistake: a 400 naming it, as the real API rejects invalid schemas, never a 500."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        raise InvalidRequest(f"Invalid schema for {owner}: at {where}: {exc.message}") from None
    where = _infinite_number(schema)
    if where is not None:
        raise InvalidRequest(f"Invalid schema for {owner}: at {where or '(root)'}: the number is too large (beyond a 64-bit float)")
    try:
        return synth.value_for_schema(schema)
    except SchemaTooLarge as exc:
        raise InvalidRequest(f"Invalid schema for {owner}: {exc}") from None
    except (TypeError, ValueError, IndexError, KeyError, RecursionError, OverflowError) as exc:
        raise InvalidRequest(f"Invalid schema for {owner}: no value satisfies it ({type(exc).__name__}: {exc})") from None


def _infinite_number(value: Any, where: str = "") -> str | None:
    """Where a schema holds a number JSON read as infinity (`1e999`), or None. Bodies are at most
    json_codec.MAX_DEPTH deep, so the recursion is bounded."""
    if isinstance(value, float) and not math.isfinite(value):
        return where
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _infinite_number(item, f"{where}/{key}" if where else str(key))
        if found is not None:
            return found
    return None


def _tool_call_id(synth: Synth) -> str:
    return "".join(synth.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789") for _ in range(24))


def _output_tokens(text: str | None, tool_calls: list[ToolCall]) -> int:
    count = count_tokens(text) if text else 0
    for call in tool_calls:
        count += count_tokens(call.name + " " + json.dumps(call.arguments, sort_keys=True))
    return max(count, 1)


def answer_task(model: Model, model_input: Any, fixture: Fixture | None, seed: int) -> TaskOutput | UpstreamFailure:
    respond = fixture.respond if fixture is not None else {}
    if "error" in respond:
        return failure_from(respond["error"])
    if "output" in respond:
        return TaskOutput(respond["output"])
    synth = Synth(request_seed(seed, model.name, model_input))
    return synthesize_task_output(model, model_input, synth)
