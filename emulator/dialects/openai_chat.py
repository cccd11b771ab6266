"""OpenAI Chat Completions: POST ai/v1/chat/completions (and third-party models on ai/run)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from emulator.catalog import CHAT
from emulator.completion import AUTO, ChatRequest, Completion, Conversation, Message, ToolChoice, ToolResult, ToolSpec
from emulator.dialects import RenderContext, text_of
from emulator.dialects.openai_common import OpenAIDialect

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_calls", "content_filter": "content_filter"}


class OpenAIChat(OpenAIDialect):
    endpoint = CHAT
    schema_file = "requests/openai_chat.json"

    def reasons(self, req: ChatRequest, model_reasons: bool) -> bool:
        return model_reasons and req.body.get("reasoning_effort") != "none"

    def parse(self, body: dict[str, Any]) -> ChatRequest:
        messages = []
        for message in body["messages"]:
            role = message["role"]
            role = "system" if role == "developer" else role
            messages.append(Message(role, text_of(message.get("content"))))
        tools = [
            ToolSpec(t["function"]["name"], t["function"].get("description", ""), t["function"].get("parameters") or {"type": "object", "properties": {}})
            for t in body.get("tools", [])
            if t.get("type") == "function"
        ]
        response_format = body.get("response_format") or {}
        schema = None
        if response_format.get("type") == "json_schema":
            schema = response_format.get("json_schema", {}).get("schema") or {"type": "object"}
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
        stream_options = body.get("stream_options") or {}
        return ChatRequest(
            endpoint=CHAT,
            model=body["model"],
            messages=messages,
            tools=tools,
            tool_choice=tool_choice(body.get("tool_choice")),
            output_schema=schema,
            json_mode=response_format.get("type") == "json_object",
            max_tokens=max_tokens,
            stream=bool(body.get("stream")),
            include_usage=bool(stream_options.get("include_usage")),
            body=body,
            read_conversation=conversation,
        )

    def render(self, req: ChatRequest, completion: Completion, ctx: RenderContext) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": completion.text, "refusal": None, "annotations": []}
        if completion.tool_calls:
            message["tool_calls"] = [render_tool_call(call) for call in completion.tool_calls]
        return {
            "id": ctx.ids.chat_completion(),
            "object": "chat.completion",
            "created": int(ctx.now),
            "model": ctx.model,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": FINISH[completion.finish]}],
            "usage": usage(completion),
            "service_tier": "default",
            "system_fingerprint": None,
        }


def conversation(body: dict[str, Any]) -> Conversation:
    """The conversation of a chat body's `messages` (OpenAI's, and Workers AI's messages form):
    assistant messages are turns, their `tool_calls` name the tools that `tool` messages answer."""
    return conversation_of_messages(body.get("messages") or [])


def conversation_of_messages(messages: list[Any]) -> Conversation:
    called: dict[str, str] = {}
    results: list[ToolResult] = []
    turn = 0
    last_role = "user"
    for message in messages:
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        if role == "assistant":
            turn += 1
            for call in message.get("tool_calls") or []:
                if isinstance(call, dict):
                    function = call.get("function") if isinstance(call.get("function"), dict) else call  # Workers AI: {name, arguments}
                    called[str(call.get("id", ""))] = str(function.get("name", ""))
        elif role == "tool":
            call_id = str(message.get("tool_call_id", ""))
            results.append(ToolResult(called.get(call_id) or str(message.get("name", "")), text_of(message.get("content")), call_id))
        last_role = "system" if role == "developer" else str(role)
    return Conversation(turn, last_role, tuple(results))


def tool_choice(value: Any) -> ToolChoice:
    if isinstance(value, dict):
        if value.get("type") == "function":
            return ToolChoice("function", value["function"]["name"])
        return AUTO
    if value in ("none", "required"):
        return ToolChoice(value)
    return AUTO


def tool_call_id(raw: str) -> str:
    return raw if "_" in raw else "call_" + raw


def render_tool_call(call) -> dict[str, Any]:
    return {
        "id": tool_call_id(call.id),
        "type": "function",
        "function": {"name": call.name, "arguments": json.dumps(call.arguments, ensure_ascii=False)},
    }


def usage(completion: Completion) -> dict[str, Any]:
    u = completion.usage
    return {
        "prompt_tokens": (prompt := u.input_tokens + u.cache_read_tokens + u.cache_write_tokens),
        "completion_tokens": u.output_tokens,
        "total_tokens": prompt + u.output_tokens,
        "prompt_tokens_details": {"cached_tokens": u.cache_read_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": u.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


DIALECT = OpenAIChat()
