"""A local server that speaks OpenAI's chat-completions protocol, scripted by the test that starts it.

It replaces an LLM provider at its HTTP boundary: the real client (pydantic-ai's ``OpenAIChatModel`` over the
``openai`` SDK and httpx) sends real requests to it. Replies are plain text or tool calls, sent whole or as a
server-sent event stream (``"stream": true``) with a final usage chunk, as OpenAI does. Every request body is
kept, so a test can count the requests that reached "the model" and read what was sent.

``Behaviour`` makes it behave as real local servers do instead (``MODES`` names each way, ``llama`` all of
them at once, as llama-cpp-python's server): no usage in streams, only ``max_tokens`` honoured as the output
cap, ``tool_choice: "required"`` ignored, one request at a time (a new one interrupts the stream being
answered), a small context window, and errors sent inside a 200 stream.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from tests.local_http import serving

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = [
    "MODES",
    "Behaviour",
    "ChatServer",
    "Reply",
    "ToolCall",
    "chat_server",
    "last_user_text",
    "model_like",
    "prompt_tokens",
    "tool_results",
]


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
    finish: str | None = None  # the finish_reason; default: tool_calls or stop; "": none (and no usage)


Responder = "Callable[[dict[str, Any]], Reply]"

CAP_FIELDS = frozenset({"max_completion_tokens", "max_tokens"})


@dataclass(frozen=True)
class Behaviour:
    """How the server departs from OpenAI's protocol (the defaults: it does not)."""

    stream_usage: bool = True  # a usage chunk ends a stream that asked for one
    cap_fields: frozenset[str] = CAP_FIELDS  # the request fields honoured as the output cap
    tool_choice_required: bool = True  # False: ``tool_choice: "required"`` is dropped before the model sees it
    json_schema: bool = True  # False: ``response_format: json_schema`` is refused (HTTP 500, as llama-cpp-python)
    null_content: bool = True  # False: an assistant message with ``content: null`` is refused (HTTP 500)
    repeat_tool_name: bool = False  # every chunk of a streamed tool call repeats the tool's name
    one_at_a_time: bool = False  # a new request ends the stream being answered ([DONE], no finish_reason)
    context_window: int | None = None  # prompt and answer, in prompt_tokens()
    overflow: Literal["http", "empty", "error_event"] = "http"  # how a prompt too large for the window is refused


MODES: dict[str, Behaviour] = {
    "openai": Behaviour(),
    "no_stream_usage": Behaviour(stream_usage=False),
    "max_tokens_only": Behaviour(cap_fields=frozenset({"max_tokens"})),
    "ignores_required": Behaviour(tool_choice_required=False),
    "one_slot": Behaviour(one_at_a_time=True),
    "small_context": Behaviour(context_window=4000, overflow="empty"),
    "stream_errors": Behaviour(context_window=4000, overflow="error_event"),
    "llama": Behaviour(stream_usage=False, cap_fields=frozenset({"max_tokens"}), tool_choice_required=False,
                       json_schema=False, null_content=False, repeat_tool_name=True, one_at_a_time=True,
                       context_window=4000, overflow="empty"),
}  # fmt: skip


def prompt_tokens(body: dict[str, Any]) -> int:
    """The size of a request's prompt as the server counts it against its context window."""
    return len(json.dumps(body.get("messages", []))) // 4 + len(json.dumps(body.get("tools", []))) // 4


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
    behaviour: Behaviour = field(default_factory=Behaviour)
    base_url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    interrupted: int = 0  # streams a newer request ended (one_at_a_time)
    slot: threading.Lock = field(default_factory=threading.Lock)  # one_at_a_time: the one request served
    _current: threading.Event | None = None  # one_at_a_time: set to end the stream being served

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.requests)

    def handle(self, body: dict[str, Any]) -> Reply:
        with self.lock:
            self.requests.append(body)
        seen = dict(body)
        if not self.behaviour.tool_choice_required and seen.get("tool_choice") == "required":
            del seen["tool_choice"]
        return self._capped(body, self.respond(seen))

    def _capped(self, body: dict[str, Any], reply: Reply) -> Reply:
        caps = [body[f] for f in self.behaviour.cap_fields if isinstance(body.get(f), int)]
        if caps and reply.status == 200 and not reply.tool_calls and reply.completion_tokens > min(caps):
            cap, text = min(caps), reply.text or ""
            return replace(reply, text=text[: len(text) * cap // reply.completion_tokens], completion_tokens=cap,
                           finish="length")  # fmt: skip
        return reply

    def overflows(self, body: dict[str, Any]) -> bool:
        window = self.behaviour.context_window
        return window is not None and prompt_tokens(body) > window

    def take_slot(self) -> threading.Event:
        """one_at_a_time: end the stream being served, then serve this request alone."""
        with self.lock:
            if self._current is not None:
                self._current.set()
                self.interrupted += 1
        self.slot.acquire()
        stop = threading.Event()
        with self.lock:
            self._current = stop
        return stop

    def free_slot(self, stop: threading.Event) -> None:
        with self.lock:
            if self._current is stop:
                self._current = None
        self.slot.release()


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


def _finish(reply: Reply) -> str:
    return reply.finish or ("tool_calls" if reply.tool_calls else "stop")


def _completion(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    finish = _finish(reply)
    return {
        "id": "chatcmpl-local", "object": "chat.completion", "created": 1_700_000_000, "model": body.get("model", "m"),
        "choices": [{"index": 0, "message": _message(reply), "finish_reason": finish}], "usage": _usage(reply),
    }  # fmt: skip


def _chunks(body: dict[str, Any], reply: Reply, usage: bool, repeat_name: bool = False) -> Iterator[dict[str, Any]]:
    base = {"id": "chatcmpl-local", "object": "chat.completion.chunk", "created": 1_700_000_000,
            "model": body.get("model", "m")}  # fmt: skip
    yield {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
    text = reply.text or ""
    for start in range(0, len(text), reply.chunk):
        delta = {"content": text[start : start + reply.chunk]}
        yield {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
    for i, call in enumerate(reply.tool_calls):
        arguments = json.dumps(call.arguments)
        # in pieces; a server that repeats the name sends it (and the id) with every piece
        pieces = [arguments[: len(arguments) // 2], arguments[len(arguments) // 2 :]]
        for n, piece in enumerate(pieces):
            function: dict[str, Any] = {"arguments": piece}
            piece_delta: dict[str, Any] = {"index": i, "function": function}
            if n == 0 or repeat_name:
                function["name"] = call.name
                piece_delta.update(id=f"call_{i}", type="function")
            yield {**base, "choices": [{"index": 0, "delta": {"tool_calls": [piece_delta]}, "finish_reason": None}]}
    if reply.finish == "":  # the server ended the answer without saying why (an interrupted stream)
        return
    yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": _finish(reply)}]}
    if usage and (body.get("stream_options") or {}).get("include_usage"):
        yield {**base, "choices": [], "usage": _usage(reply)}


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "local-chat/1"
    protocol_version = "HTTP/1.1"
    chat: ChatServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            model: dict[str, Any] = {"id": "local-model", "object": "model"}
            if self.chat.behaviour.context_window is not None:  # as vLLM says it
                model["max_model_len"] = self.chat.behaviour.context_window
            self._json(200, {"object": "list", "data": [model]})
        else:
            self._json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        chat = self.chat
        stop = chat.take_slot() if chat.behaviour.one_at_a_time else None
        try:
            self._answer(body, stop)
        finally:
            if stop is not None:
                chat.free_slot(stop)

    def _answer(self, body: dict[str, Any], stop: threading.Event | None) -> None:
        chat = self.chat
        refused = None
        if not chat.behaviour.json_schema and (body.get("response_format") or {}).get("type") == "json_schema":
            refused = "response_format.type: Input should be 'text' or 'json_object'"
        nulls = [m for m in body["messages"] if m["role"] == "assistant" and m.get("content") is None]
        if not chat.behaviour.null_content and nulls:
            refused = "messages.content: Input should be a valid string"
        if refused is not None:
            with chat.lock:
                chat.requests.append(body)
            self._json(500, {"error": {"message": refused, "type": "internal_server_error"}})
            return
        if chat.overflows(body):
            with chat.lock:  # it reached the server all the same
                chat.requests.append(body)
            window, size = chat.behaviour.context_window, prompt_tokens(body)
            message = f"Requested tokens ({size}) exceed context window of {window}"
            if chat.behaviour.overflow == "http" or not body.get("stream"):
                self._json(400, {"error": {"message": message, "type": "invalid_request_error",
                                           "code": "context_length_exceeded"}})  # fmt: skip
            else:
                self._sse([{"error": {"message": message, "type": "invalid_request_error"}}]
                          if chat.behaviour.overflow == "error_event" else [])  # fmt: skip
            return
        reply = chat.handle(body)
        window = chat.behaviour.context_window
        if window is not None and not reply.tool_calls and prompt_tokens(body) + reply.completion_tokens > window:
            room = max(window - prompt_tokens(body), 1)  # the window ends the answer, whatever the cap
            text = reply.text or ""
            reply = replace(reply, text=text[: len(text) * room // reply.completion_tokens], completion_tokens=room,
                            finish="length")  # fmt: skip
        if reply.status != 200:
            self._json(reply.status, {"error": {"message": reply.text or "error", "type": "server_error"}})
        elif body.get("stream"):
            self._stream(body, reply, stop)
        else:
            self._json(200, _completion(body, reply))

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (it was cancelled)
            self.wfile.write(data)

    def _stream(self, body: dict[str, Any], reply: Reply, stop: threading.Event | None) -> None:
        chunks = _chunks(body, reply, self.chat.behaviour.stream_usage, self.chat.behaviour.repeat_tool_name)
        self._sse(chunks, reply.pause, stop)

    def _sse(self, chunks: Iterable[dict[str, Any]], pause: float = 0.0, stop: threading.Event | None = None) -> None:
        """Server-sent events, then [DONE]; ``stop`` set: [DONE] at once, as llama.cpp's server does."""
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        try:
            for chunk in chunks:
                if stop is not None and stop.is_set():
                    break
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
                if pause:
                    time.sleep(pause)
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):  # the client stopped reading (it cut the answer)
            pass
        self.close_connection = True


@contextlib.contextmanager
def chat_server(respond: Callable[[dict[str, Any]], Reply], behaviour: Behaviour | None = None) -> Iterator[ChatServer]:
    """Serve on a free loopback port until the block ends; ``base_url`` ends in ``/v1``."""
    chat = ChatServer(respond, behaviour or Behaviour())
    with serving(type("Handler", (_Handler,), {"chat": chat}), "openai-server") as url:
        chat.base_url = f"{url}/v1"
        yield chat


def _instance(schema: dict[str, Any]) -> Any:
    """The smallest value a JSON Schema accepts (what a compliant model fills in)."""
    match schema.get("type"):
        case "object":
            properties = schema.get("properties", {})
            return {k: _instance(properties.get(k, {})) for k in schema.get("required", list(properties))}
        case "array":
            return []
        case "integer":
            return 1
        case "number":
            return 1.5
        case "boolean":
            return True
        case _:
            return schema.get("enum", ["hello"])[0]


def _prompted_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The schema a prompted-output request puts in its instructions, if any."""
    for message in body["messages"]:
        content = message.get("content")
        if message["role"] == "system" and isinstance(content, str) and "JSON" in content and "{" in content:
            with contextlib.suppress(json.JSONDecodeError):
                found, _ = json.JSONDecoder().raw_decode(content[content.index("{") :])
                return found if isinstance(found, dict) else None
    return None


def model_like(body: dict[str, Any], words: int = 40) -> Reply:
    """A compliant model, its usage the server's own count.

    It calls the tool it is made to, fills a response format, follows a prompted schema, or writes ``words``
    words (counting, when asked to count).
    """
    prompt_size = prompt_tokens(body)
    tools = {t["function"]["name"]: t["function"] for t in body.get("tools", [])}
    forced = body.get("tool_choice")
    if tools and (forced == "required" or isinstance(forced, dict)):
        name = forced["function"]["name"] if isinstance(forced, dict) else next(iter(tools))
        call = ToolCall(name, _instance(tools[name].get("parameters", {})))
        return Reply(tool_calls=(call,), prompt_tokens=prompt_size, completion_tokens=12)
    response_format = body.get("response_format") or {}
    schema = (response_format.get("json_schema") or {}).get("schema") or _prompted_schema(body)
    if schema is not None:
        text = json.dumps(_instance(schema))
        return Reply(text=text, prompt_tokens=prompt_size, completion_tokens=len(text) // 3 + 1, pause=0.002)
    asked = last_user_text(body)
    count = re.search(r"Count from 1 to (\d+)", asked)
    pieces = [str(n) for n in range(1, int(count.group(1)) + 1)] if count else ["word"] * words
    text = " ".join(pieces)
    return Reply(text=text, prompt_tokens=prompt_size, completion_tokens=len(pieces), pause=0.002)
