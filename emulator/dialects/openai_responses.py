"""OpenAI Responses: POST ai/v1/responses."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from emulator.catalog import RESPONSES
from emulator.completion import AUTO, NO_CONVERSATION, ChatRequest, Completion, Conversation, Message, ToolChoice, ToolResult, ToolSpec
from emulator.dialects import RenderContext, text_of
from emulator.dialects.openai_common import OpenAIDialect, error_body

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError


class OpenAIResponses(OpenAIDialect):
    endpoint = RESPONSES
    schema_file = "requests/openai_responses.json"

    def reasons(self, req: ChatRequest, model_reasons: bool) -> bool:
        return model_reasons and reasoning_settings(req.body).get("effort") != "none"

    def model_not_found(self, model_id: str, request_id: str) -> tuple[int, dict[str, Any]]:
        return 400, error_body(f"The requested model '{model_id}' does not exist.", "invalid_request_error", "model", "model_not_found")

    def parse(self, body: dict[str, Any]) -> ChatRequest:
        messages: list[Message] = []
        if body.get("instructions"):
            messages.append(Message("system", body["instructions"]))
        items = body.get("input", [])
        if isinstance(items, str):
            messages.append(Message("user", items))
        else:
            for item in items:
                kind = item.get("type", "message")
                if kind == "message" or "role" in item and kind == "message":
                    role = "system" if item["role"] == "developer" else item["role"]
                    messages.append(Message(role, text_of(item.get("content"))))
                elif kind == "function_call_output":
                    output = item.get("output")
                    messages.append(Message("tool", output if isinstance(output, str) else text_of(output)))
        tools = [
            ToolSpec(t["name"], t.get("description") or "", t.get("parameters") or {"type": "object", "properties": {}})
            for t in body.get("tools", [])
            if t.get("type") == "function"
        ]
        fmt = (body.get("text") or {}).get("format") or {}
        return ChatRequest(
            endpoint=RESPONSES,
            model=body["model"],
            messages=messages,
            tools=tools,
            tool_choice=tool_choice(body.get("tool_choice")),
            output_schema=fmt.get("schema") if fmt.get("type") == "json_schema" else None,
            json_mode=fmt.get("type") == "json_object",
            max_tokens=body.get("max_output_tokens"),
            stream=bool(body.get("stream")),
            body=body,
            read_conversation=conversation,
        )

    def render(self, req: ChatRequest, completion: Completion, ctx: RenderContext) -> dict[str, Any]:
        output = output_items(req, completion, ctx)
        return final_response(req, completion, ctx, ctx.ids.response(), output)


def final_response(req: ChatRequest, completion: Completion, ctx: RenderContext, response_id: str, output: list[dict[str, Any]]) -> dict[str, Any]:
    """The finished Response: the whole answer, or the last event of its stream."""
    incomplete = completion.finish == "length"
    return response_object(
        req.body,
        response_id=response_id,
        created_at=int(ctx.now),
        model=ctx.model,
        status="incomplete" if incomplete else "completed",
        output=output,
        usage=usage(completion),
        incomplete_details={"reason": "max_output_tokens"} if incomplete else None,
        completed_at=None if incomplete else int(ctx.now),
    )


# Input items the model wrote: an answer's items (its text, reasoning, calls) follow each other.
_ASSISTANT_ITEMS = frozenset({"function_call", "reasoning", "custom_tool_call", "web_search_call", "file_search_call", "computer_call"})


def conversation(body: dict[str, Any]) -> Conversation:
    """An answer is one turn however many items it has (text, reasoning, calls, one after the
    other); `function_call` items name the tools that `function_call_output` items answer."""
    items = body.get("input")
    if not isinstance(items, list):
        return NO_CONVERSATION  # a string is one user message
    called: dict[str, str] = {}
    results: list[ToolResult] = []
    turn = 0
    last_role = "system" if body.get("instructions") else "user"
    for item in items:
        if not isinstance(item, dict):
            continue
        kind = item.get("type", "message")
        role = item.get("role") if kind == "message" else "assistant" if kind in _ASSISTANT_ITEMS else "tool" if kind.endswith("_output") else None
        if role is None:
            continue
        if role == "assistant" and last_role != "assistant":
            turn += 1
        if kind == "function_call":
            called[str(item.get("call_id", ""))] = str(item.get("name", ""))
        elif kind == "function_call_output":
            output = item.get("output")
            call_id = str(item.get("call_id", ""))
            results.append(ToolResult(called.get(call_id, ""), output if isinstance(output, str) else text_of(output), call_id))
        last_role = "system" if role == "developer" else str(role)
    return Conversation(turn, last_role, tuple(results))


def tool_choice(value: Any) -> ToolChoice:
    if isinstance(value, dict):
        if value.get("type") == "function" and value.get("name"):
            return ToolChoice("function", value["name"])
        return AUTO
    if value in ("none", "required"):
        return ToolChoice(value)
    return AUTO


def reasoning_settings(body: dict[str, Any]) -> dict[str, Any]:
    """The request's `reasoning` object (effort, summary), {} when absent or null."""
    return body.get("reasoning") or {}


def output_items(req: ChatRequest, completion: Completion, ctx: RenderContext) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if completion.reasoning is not None:
        # A reasoning model's reasoning item comes first; its text only as a summary, when asked for.
        summary = [{"type": "summary_text", "text": completion.reasoning}] if reasoning_settings(req.body).get("summary") else []
        items.append({"id": ctx.ids.response_reasoning(), "type": "reasoning", "summary": summary})
    if completion.text is not None:
        items.append({
            "id": ctx.ids.response_message(),
            "type": "message",
            "status": "incomplete" if completion.finish == "length" else "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": completion.text, "annotations": [], "logprobs": []}],
        })
    for call in completion.tool_calls:
        items.append({
            "id": ctx.ids.response_function_call(),
            "type": "function_call",
            "status": "completed",
            "call_id": call.id if "_" in call.id else "call_" + call.id,
            "name": call.name,
            "arguments": json.dumps(call.arguments, ensure_ascii=False),
        })
    return items


def usage(completion: Completion) -> dict[str, Any]:
    u = completion.usage
    return {
        "input_tokens": u.prompt_tokens,
        "input_tokens_details": {"cached_tokens": u.cache_read_tokens, "cache_write_tokens": u.cache_write_tokens},
        "output_tokens": u.output_tokens,
        "output_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
        "total_tokens": u.total_tokens,
    }


def echoed_tool(tool: dict[str, Any]) -> dict[str, Any]:
    """A request tool as the Response echoes it: function tools with `description` and `strict` filled in."""
    if tool.get("type") != "function":
        return tool
    return {"description": None, **tool, "strict": True if tool.get("strict") is None else tool["strict"]}


def response_object(
    body: dict[str, Any],
    *,
    response_id: str,
    created_at: int,
    model: str,
    status: str,
    output: list[dict[str, Any]],
    usage: dict[str, Any] | None,
    incomplete_details: dict[str, Any] | None = None,
    completed_at: int | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The Response object; request settings echo back as the real API does."""
    fmt = (body.get("text") or {}).get("format") or {"type": "text"}
    reasoning = reasoning_settings(body)
    response = {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "background": bool(body.get("background", False)),
        "completed_at": completed_at,
        "error": error,
        "incomplete_details": incomplete_details,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": None,
        "model": model,
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True) if body.get("parallel_tool_calls") is not None else True,
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
        "service_tier": "default",
        "store": body.get("store", True) if body.get("store") is not None else True,
        "temperature": body.get("temperature") if body.get("temperature") is not None else 1.0,
        "text": {"format": fmt, "verbosity": "medium"},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": [echoed_tool(t) for t in body.get("tools", [])],
        "top_logprobs": 0,
        "top_p": body.get("top_p") if body.get("top_p") is not None else 1.0,
        "truncation": body.get("truncation") or "disabled",
        "usage": usage,
        "user": body.get("user"),
        "metadata": body.get("metadata") or {},
    }
    for optional in ("user", "usage"):  # not nullable in the published schema: absent rather than null
        if response[optional] is None:
            del response[optional]
    return response


DIALECT = OpenAIResponses()
