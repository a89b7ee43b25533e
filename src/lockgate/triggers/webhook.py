"""Webhooks: tokens (only their hash is stored), signatures that cannot be replayed, and a request as run input.

Signatures (Stripe's scheme): a webhook with a secret takes a request only with
``Lockgate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``, ``t`` within the tolerance
of the server's clock. The timestamp is inside the signed material, so a copied request stops working when its
window closes; within the window the server remembers each delivery (the signature, and the optional
``Lockgate-Delivery`` id) and refuses it a second time. The old ``X-Lockgate-Signature: sha256=<HMAC of the
body>`` carries no time and is refused. ``sign``/``signature_ok`` (body only) remain for the outgoing deadline
notifications, whose body carries its own delivery number.

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
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lockgate.errors import InvalidInputError
from lockgate.spec.bounds import MAX_NESTING, find_flaw, format_path, read_json

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import timedelta

    from pydantic import JsonValue

__all__ = [
    "DELIVERY_HEADER",
    "LEGACY_SIGNATURE_HEADER",
    "MAX_DELIVERY_ID",
    "SIGNATURE_HEADER",
    "SIGNATURE_HELP",
    "Refused",
    "Signed",
    "delivery_problem",
    "envelope",
    "hash_token",
    "map_input",
    "new_secret",
    "new_token",
    "parse_body",
    "sign",
    "sign_delivery",
    "signature_ok",
    "verify",
]

SIGNATURE_HEADER = "lockgate-signature"
DELIVERY_HEADER = "lockgate-delivery"
LEGACY_SIGNATURE_HEADER = "x-lockgate-signature"
SIGNATURE_HELP = 'Lockgate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">'
MAX_DELIVERY_ID = 200
_HIDDEN_HEADERS = frozenset({"authorization", "cookie", SIGNATURE_HEADER, LEGACY_SIGNATURE_HEADER})
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX = re.compile(r"[0-9a-f]{64}")
_ENVELOPE = ("body", "headers", "query")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_secret() -> str:
    return secrets.token_hex(32)


def hash_token(token: str) -> str:
    # The token is 256 random bits: a plain SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(token.encode()).hexdigest()


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of the raw body>``: outgoing deadline notifications only (webhooks refuse it)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(sign(secret, body).encode(), header.strip().encode())


# ---- webhook signatures: a timestamp in the signed material ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Signed:
    """A request whose signature holds: when it was signed, and the HMAC that identifies this delivery."""

    at: datetime
    digest: str


@dataclass(frozen=True, slots=True)
class Refused:
    reason: str


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign_delivery(secret: str, body: bytes, at: datetime) -> str:
    """The ``Lockgate-Signature`` value a sender computes for ``body`` sent at ``at``."""
    timestamp = int(at.timestamp())
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def _parse(header: str) -> tuple[int, list[str]] | None:
    """``t`` and every ``v1`` of a header (other schemes' parts are ignored, as Stripe's ``v0``); None if malformed."""
    timestamps: list[str] = []
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            return None
        if key == "t":
            timestamps.append(value.strip())
        elif key == "v1":
            signatures.append(value.strip().lower())
    if len(timestamps) != 1 or not _TIMESTAMP.fullmatch(timestamps[0]) or not signatures:
        return None
    return int(timestamps[0]), signatures


def verify(
    secret: str, body: bytes, header: str | None, now: datetime, tolerance: timedelta, *, legacy: bool = False
) -> Signed | Refused:
    """Check a webhook request's ``Lockgate-Signature``; ``legacy`` says it came with the old header instead."""
    if header is None or not header.strip():
        if legacy:
            return Refused(f"X-Lockgate-Signature (an HMAC of the body alone) is no longer accepted: a copy of such "
                           f"a request could be replayed at any time. Send {SIGNATURE_HELP}")  # fmt: skip
        return Refused(f"this webhook is signed: send {SIGNATURE_HELP}")
    parsed = _parse(header)
    if parsed is None:
        return Refused(f"Lockgate-Signature is malformed: expected {SIGNATURE_HELP}")
    timestamp, candidates = parsed
    expected = _digest(secret, timestamp, body)
    if not any(hmac.compare_digest(expected.encode(), c.encode()) for c in candidates if _HEX.fullmatch(c)):
        return Refused(f"Lockgate-Signature does not match: v1 must be the hex HMAC-SHA256, keyed with the "
                       f'secret of the webhook, of "<t>.<raw body>" (t={timestamp})')  # fmt: skip
    skew = timestamp - now.timestamp()
    if abs(skew) > tolerance.total_seconds():
        side = "before" if skew < 0 else "after"
        return Refused(f"Lockgate-Signature t={timestamp} is {abs(skew):.0f} s {side} the server's clock; a "
                       f"delivery is accepted within {tolerance.total_seconds():.0f} s of when it was signed "
                       f"(sign each delivery as you send it, and check the sender's clock)")  # fmt: skip
    return Signed(at=datetime.fromtimestamp(timestamp, UTC), digest=expected)


def delivery_problem(delivery: str) -> str | None:
    """What is wrong with a ``Lockgate-Delivery`` id, or None."""
    if not delivery.strip():
        return "headers.lockgate-delivery: empty (leave the header out, or give the delivery's id)"
    if len(delivery) > MAX_DELIVERY_ID:
        return f"headers.lockgate-delivery: {len(delivery)} characters, at most {MAX_DELIVERY_ID}"
    return None


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
