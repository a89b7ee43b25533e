"""A local server that speaks Anthropic's Messages API (``POST /v1/messages``), scripted by the test.

It replaces the provider at its HTTP boundary: pydantic-ai's ``AnthropicModel`` over the ``anthropic`` SDK
sends real requests to it. Replies (``Reply`` of tests/openai_server.py) are text and/or ``tool_use`` blocks,
sent as one JSON message or, for ``"stream": true``, as the server-sent events Anthropic sends
(message_start, content_block_start/delta/stop, message_delta with the output usage, message_stop).
Every request body and its headers are kept.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.local_http import serving
from tests.openai_server import Reply

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["AnthropicServer", "anthropic_server", "tool_results", "user_texts"]


def user_texts(body: dict[str, Any]) -> list[str]:
    """The text blocks the user sent, in order."""
    out: list[str] = []
    for message in body["messages"]:
        if message["role"] != "user":
            continue
        content = message["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        out += [b["text"] for b in blocks if b.get("type") == "text"]
    return out


def tool_results(body: dict[str, Any]) -> list[str]:
    """The contents of the tool_result blocks sent back, in order (as text)."""
    out: list[str] = []
    for message in body["messages"]:
        content = message["content"]
        for block in content if isinstance(content, list) else []:
            if block.get("type") == "tool_result":
                inner = block.get("content")
                out.append(inner if isinstance(inner, str) else "".join(p.get("text", "") for p in inner or []))
    return out


@dataclass
class AnthropicServer:
    respond: Callable[[dict[str, Any]], Reply]
    base_url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.requests)

    def handle(self, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        with self.lock:
            self.requests.append(body)
            self.headers.append(headers)
        return self.respond(body)


def _blocks(reply: Reply, number: int) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [{"type": "text", "text": reply.text}] if reply.text else []
    blocks += [{"type": "tool_use", "id": f"toolu_{number}_{i}", "name": c.name, "input": c.arguments}
               for i, c in enumerate(reply.tool_calls)]  # fmt: skip
    return blocks


def _message(body: dict[str, Any], reply: Reply, number: int, content: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": f"msg_{number}", "type": "message", "role": "assistant", "model": body.get("model", "claude"),
            "content": content, "stop_reason": "tool_use" if reply.tool_calls else "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": reply.prompt_tokens, "output_tokens": reply.completion_tokens}}  # fmt: skip


def _events(body: dict[str, Any], reply: Reply, number: int) -> Iterator[tuple[str, dict[str, Any]]]:
    start = _message(body, reply, number, [])
    start["stop_reason"] = None
    start["usage"] = {"input_tokens": reply.prompt_tokens, "output_tokens": 1}
    yield "message_start", {"type": "message_start", "message": start}
    for index, block in enumerate(_blocks(reply, number)):
        if block["type"] == "text":
            yield "content_block_start", {"type": "content_block_start", "index": index,
                                          "content_block": {"type": "text", "text": ""}}  # fmt: skip
            text = block["text"]
            for at in range(0, len(text), reply.chunk):
                delta = {"type": "text_delta", "text": text[at : at + reply.chunk]}
                yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        else:
            opened = {**block, "input": {}}
            yield "content_block_start", {"type": "content_block_start", "index": index, "content_block": opened}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
            yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    stop = {"stop_reason": "tool_use" if reply.tool_calls else "end_turn", "stop_sequence": None}
    yield "message_delta", {"type": "message_delta", "delta": stop, "usage": {"output_tokens": reply.completion_tokens}}
    yield "message_stop", {"type": "message_stop"}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    api: AnthropicServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))) or b"{}")
        if self.path.split("?")[0].rstrip("/") != "/v1/messages":
            self._json(404, {"type": "error", "error": {"type": "not_found_error", "message": self.path}})
            return
        reply = self.api.handle(body, {k.lower(): v for k, v in self.headers.items()})
        number = self.api.count
        if reply.status != 200:
            self._json(reply.status, {"type": "error", "error": {"type": "api_error", "message": reply.text or "x"}})
        elif body.get("stream"):
            self._stream(body, reply, number)
        else:
            self._json(200, _message(body, reply, number, _blocks(reply, number)))

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, body: dict[str, Any], reply: Reply, number: int) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        for name, data in _events(body, reply, number):
            self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()
        self.close_connection = True


@contextlib.contextmanager
def anthropic_server(respond: Callable[[dict[str, Any]], Reply]) -> Iterator[AnthropicServer]:
    """Serve on a free loopback port until the block ends; ``base_url`` is the server's root."""
    api = AnthropicServer(respond)
    with serving(type("Handler", (_Handler,), {"api": api}), "anthropic-server") as url:
        api.base_url = url
        yield api
