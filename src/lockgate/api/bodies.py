r"""JSON request bodies checked once, before any route or pydantic reads them.

FastAPI parses a JSON body with ``json.loads``, which takes ``"\ud800"``, ``NaN`` and nesting up to the
recursion limit; the value then failed later, at the database (500) or in a recursive reader (500). Here
the body is parsed first and refused with 422, naming the place (``body.input.x``), when it holds what
Lockgate cannot keep (see ``spec/bounds.py``). A URL holding a NUL character is refused the same way.
Bodies that are not JSON, or not valid JSON, go on unchanged: the route says what is wrong with them.
"""

from __future__ import annotations

import asyncio
import json
from email.message import Message as MimeHeader
from typing import TYPE_CHECKING

from lockgate.spec.bounds import MAX_NESTING, Flaw, find_flaw, format_path, read_json, surely_sound

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["INPUT_RULES", "JsonBodyCheck", "body_flaw"]

_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS"})
_CHECK_INLINE = 64 * 1024
# The OpenAPI document's description: what its schemas cannot say of free JSON values.
INPUT_RULES = (
    f"Every JSON body, and a pipeline definition in YAML, holds at most {MAX_NESTING} levels of objects and "
    "arrays, no NUL character and no lone UTF-16 surrogate in any key or string, finite numbers only (no NaN, "
    "Infinity or 1e400) and integers of at most 4,300 digits; a URL holds no NUL. Numbers and booleans are "
    'JSON\'s own: `true` is not 1 and `"3"` is not 3. Anything else is refused with 422, naming the field.'
)


def _is_json(scope: Scope) -> bool:
    """Whether FastAPI would parse the body as JSON: no content type, or application/json or …+json."""
    content_type = dict(scope.get("headers", [])).get(b"content-type")
    if not content_type:
        return True
    header = MimeHeader()
    header["content-type"] = content_type.decode("latin-1")
    subtype = header.get_content_subtype()
    return header.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


def body_flaw(raw: bytes) -> Flaw | None:
    """What makes a JSON body unusable (None: fine, or not JSON at all: someone else's message)."""
    if not raw.strip() or surely_sound(raw):  # most bodies: no need to read them twice
        return None
    try:
        value = read_json(raw)
    except RecursionError:  # far deeper than MAX_NESTING: the reader gave up before a place could be named
        return Flaw((), f"nested deeper than {MAX_NESTING} levels of objects and arrays")
    except ValueError:  # not JSON (JSONDecodeError, UnicodeDecodeError): left to the route, which says so
        return None
    return find_flaw(value)


def _refusal(where: str, message: str) -> bytes:
    error = {"field": where, "message": message}
    return json.dumps({"code": "invalid_request", "detail": f"{where}: {message}", "errors": [error]}).encode()


class JsonBodyCheck:
    """ASGI middleware: read a JSON body whole (BodySizeLimit, outside it, bounds it), check it, replay it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            await _send(send, _refusal("url", "contains a NUL character (%00), which cannot be stored"))
            return
        if scope.get("method") in _NO_BODY or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left: nothing to answer
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        raw = b"".join(chunks)
        # A large body is checked off the event loop: other requests go on meanwhile.
        flaw = body_flaw(raw) if len(raw) < _CHECK_INLINE else await asyncio.to_thread(body_flaw, raw)
        if flaw is not None:
            await _send(send, _refusal(format_path(flaw.path, "body"), flaw.message))
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # what follows the body: http.disconnect
            replayed = True
            return {"type": "http.request", "body": raw, "more_body": False}

        await self.app(scope, replay, send)


async def _send(send: Send, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 422, "headers": headers})
    await send({"type": "http.response.body", "body": body})
