"""A local server that speaks OpenAI's chat-completions protocol, scripted by the test that starts it.

It replaces an LLM provider at its HTTP boundary: the real client (pydantic-ai's ``OpenAIChatModel`` over the
``openai`` SDK and httpx) sends real requests to it. Replies are plain text or tool calls, sent whole or as a
server-sent event stream (``"stream": true``) with a final usage chunk, as OpenAI does. Every request body is
kept, so a test can count the requests that reached "the model" and read what was sent.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.local_http import serving

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["ChatServer", "Reply", "ToolCall", "chat_server", "last_user_text", "tool_results"]


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """One answer of "the model": text, tool calls, or an HTTP error (``status`` other than 200)."""

    text: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    prompt_tokens: int = 10
    completion_tokens: int = 5
    status: int = 200
    chunk: int = 4  # characters per streamed content delta
    pause: float = 0.0  # seconds between streamed chunks: a slow model, to watch its tokens arrive


Responder = "Callable[[dict[str, Any]], Reply]"


def last_user_text(body: dict[str, Any]) -> str:
    """The text of the last user message of a request."""
    for message in reversed(body["messages"]):
        if message["role"] == "user":
            content = message["content"]
            if isinstance(content, str):
                return content
            return "".join(part.get("text", "") for part in content)
    return ""


def tool_results(body: dict[str, Any]) -> list[str]:
    """The contents of the tool-result messages of a request, in order."""
    return [str(m["content"]) for m in body["messages"] if m["role"] == "tool"]


@dataclass
class ChatServer:
    """The running server: ``base_url`` for the client, ``requests`` (bodies) for the test."""

    respond: Callable[[dict[str, Any]], Reply]
    base_url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.requests)

    def handle(self, body: dict[str, Any]) -> Reply:
        with self.lock:
            self.requests.append(body)
        return self.respond(body)


def _message(reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function", "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
            for i, c in enumerate(reply.tool_calls)
        ]
    return message


def _usage(reply: Reply) -> dict[str, int]:
    total = reply.prompt_tokens + reply.completion_tokens
    return {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens, "total_tokens": total}


def _completion(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    finish = "tool_calls" if reply.tool_calls else "stop"
    return {
        "id": "chatcmpl-local", "object": "chat.completion", "created": 1_700_000_000, "model": body.get("model", "m"),
        "choices": [{"index": 0, "message": _message(reply), "finish_reason": finish}], "usage": _usage(reply),
    }  # fmt: skip


def _chunks(body: dict[str, Any], reply: Reply) -> Iterator[dict[str, Any]]:
    base = {"id": "chatcmpl-local", "object": "chat.completion.chunk", "created": 1_700_000_000,
            "model": body.get("model", "m")}  # fmt: skip
    yield {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
    text = reply.text or ""
    for start in range(0, len(text), reply.chunk):
        delta = {"content": text[start : start + reply.chunk]}
        yield {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
    for i, call in enumerate(reply.tool_calls):
        function = {"name": call.name, "arguments": json.dumps(call.arguments)}
        calls = {"tool_calls": [{"index": i, "id": f"call_{i}", "type": "function", "function": function}]}
        yield {**base, "choices": [{"index": 0, "delta": calls, "finish_reason": None}]}
    finish = "tool_calls" if reply.tool_calls else "stop"
    yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}
    if (body.get("stream_options") or {}).get("include_usage"):
        yield {**base, "choices": [], "usage": _usage(reply)}


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "local-chat/1"
    protocol_version = "HTTP/1.1"
    chat: ChatServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": "local-model", "object": "model"}]})
        else:
            self._json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        reply = self.chat.handle(body)
        if reply.status != 200:
            self._json(reply.status, {"error": {"message": reply.text or "error", "type": "server_error"}})
        elif body.get("stream"):
            self._stream(body, reply)
        else:
            self._json(200, _completion(body, reply))

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, body: dict[str, Any], reply: Reply) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        for chunk in _chunks(body, reply):
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
            if reply.pause:
                time.sleep(reply.pause)
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True


@contextlib.contextmanager
def chat_server(respond: Callable[[dict[str, Any]], Reply]) -> Iterator[ChatServer]:
    """Serve on a free loopback port until the block ends; ``base_url`` ends in ``/v1``."""
    chat = ChatServer(respond)
    with serving(type("Handler", (_Handler,), {"chat": chat}), "openai-server") as url:
        chat.base_url = f"{url}/v1"
        yield chat
