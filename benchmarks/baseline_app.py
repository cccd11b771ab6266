"""The baseline: a bare Starlette app on the emulator's uvicorn settings.

POST anywhere returns one fixed chat completion as JSON; POST /stream returns a
`StreamingResponse` of 200 server-sent events and `[DONE]`. Run as

    python benchmarks/baseline_app.py '<uvicorn options as JSON>'

It prints `listening on http://127.0.0.1:<port>` like the emulator does.
"""

from __future__ import annotations

import json
import socket
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

COMPLETION = {
    "id": "chatcmpl-0123456789abcdefghijklmnopqrs",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "openai/gpt-4o-mini",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "The capital of France is Paris.", "refusal": None,
                                          "annotations": []}, "logprobs": None, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 7, "completion_tokens": 7, "total_tokens": 14,
              "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
              "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0,
                                            "rejected_prediction_tokens": 0}},
    "service_tier": "default",
    "system_fingerprint": None,
}
STREAM_EVENTS = 200


def chunk_event(i: int) -> str:
    chunk = {"id": COMPLETION["id"], "object": "chat.completion.chunk", "created": COMPLETION["created"], "model": COMPLETION["model"],
             "choices": [{"index": 0, "delta": {"content": f" word{i}"}, "logprobs": None, "finish_reason": None}]}
    return f"data: {json.dumps(chunk)}\n\n"


async def completion(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse(COMPLETION)


async def stream(request: Request) -> StreamingResponse:
    await request.body()

    async def events():
        for i in range(STREAM_EVENTS):
            yield chunk_event(i)
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


app = Starlette(routes=[Route("/stream", stream, methods=["POST"]), Route("/{path:path}", completion, methods=["GET", "POST"])])


def main() -> None:
    options = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # as the emulator binds it
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(f"baseline listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", **options)).run(sockets=[sock])


if __name__ == "__main__":
    main()
