"""Webhooks: tokens (only their hash is stored), HMAC signatures, and how a request becomes a run's input.

Input mapping (the rule users rely on):

- The request becomes an envelope ``{"body": …, "headers": {…}, "query": {…}}``: the body parsed as JSON
  (else its text, ``null`` when empty), headers lower-cased without ``authorization``, ``cookie`` and the
  signature header, query parameters (the last value of a repeated one).
- A pipeline that declares **no** input fields receives the envelope as its input.
- A pipeline that declares input fields receives, for each declared field, the JSON body's top-level key of
  that name; a declared field named ``body``, ``headers`` or ``query`` that the body does not provide gets
  that part of the envelope. Body keys that are not declared fields are dropped (senders add keys freely);
  missing required fields and wrong types are refused by the usual input validation (422, naming them).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from lockgate.errors import InvalidInputError
from lockgate.spec.bounds import MAX_NESTING, find_flaw, format_path, read_json

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from pydantic import JsonValue

__all__ = [
    "SIGNATURE_HEADER",
    "envelope",
    "hash_token",
    "map_input",
    "new_secret",
    "new_token",
    "parse_body",
    "sign",
    "signature_ok",
]

SIGNATURE_HEADER = "x-lockgate-signature"
_HIDDEN_HEADERS = frozenset({"authorization", "cookie", SIGNATURE_HEADER})
_ENVELOPE = ("body", "headers", "query")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_secret() -> str:
    return secrets.token_hex(32)


def hash_token(token: str) -> str:
    # The token is 256 random bits: a plain SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(token.encode()).hexdigest()


def sign(secret: str, body: bytes) -> str:
    """The header value a sender computes: ``sha256=<hex HMAC-SHA256 of the raw body>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(sign(secret, body).encode(), header.strip().encode())


def parse_body(raw: bytes) -> JsonValue:
    """The body as JSON, else as text; InvalidInputError when it holds what cannot be kept (spec/bounds.py)."""
    if not raw.strip():
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        value: JsonValue = read_json(text)  # type: ignore[assignment]  # checked by find_flaw below
    except RecursionError:
        raise InvalidInputError([f"body: nested deeper than {MAX_NESTING} levels of objects and arrays"]) from None
    except ValueError:
        value = text
    flaw = find_flaw(value)
    if flaw is not None:
        raise InvalidInputError([f"{format_path(flaw.path, 'body')}: {flaw.message}"])
    return value


def envelope(
    body: JsonValue, headers: Iterable[tuple[str, str]], query: Iterable[tuple[str, str]]
) -> dict[str, JsonValue]:
    kept: dict[str, JsonValue] = {k.lower(): v for k, v in headers if k.lower() not in _HIDDEN_HEADERS}
    params: dict[str, JsonValue] = dict(query)
    return {"body": body, "headers": kept, "query": params}


def map_input(declared: Iterable[str], request: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
    """The run input for a pipeline declaring ``declared`` fields (module docstring)."""
    fields = list(declared)
    if not fields:
        return dict(request)
    body = request.get("body")
    source: Mapping[str, JsonValue] = body if isinstance(body, dict) else {}
    mapped: dict[str, JsonValue] = {}
    for name in fields:
        if name in source:
            mapped[name] = source[name]
        elif name in _ENVELOPE:
            mapped[name] = request.get(name)
    return mapped
