"""Webhook tokens, signatures (a timestamp inside the signed material) and the input mapping rule."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lockgate.triggers import webhook
from lockgate.triggers.webhook import Refused, Signed

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=5)


def test_tokens_are_long_random_and_hashed() -> None:
    a, b = webhook.new_token(), webhook.new_token()
    assert a != b
    assert len(a) >= 43  # 32 bytes, url-safe base64
    assert webhook.hash_token(a) == webhook.hash_token(a) != webhook.hash_token(b)
    assert len(webhook.hash_token(a)) == 64


@given(st.binary(max_size=500))
def test_the_body_only_signature_of_outgoing_notifications(body: bytes) -> None:
    secret = "s3cret"
    header = webhook.sign(secret, body)
    assert header.startswith("sha256=")
    assert webhook.signature_ok(secret, body, header)
    assert not webhook.signature_ok("other", body, header)
    assert not webhook.signature_ok(secret, body + b"x", header)
    assert not webhook.signature_ok(secret, body, None)
    assert not webhook.signature_ok(secret, body, header.removeprefix("sha256="))


def test_the_signature_is_stripes_scheme_computable_by_hand() -> None:
    body = b'{"topic": "cats"}'
    header = webhook.sign_delivery("s3cret", body, NOW)
    t = int(NOW.timestamp())
    by_hand = hmac.new(b"s3cret", f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    assert header == f"t={t},v1={by_hand}"
    assert webhook.verify("s3cret", body, header, NOW, WINDOW) == Signed(at=NOW, digest=by_hand)


@given(st.binary(max_size=500), st.integers(min_value=-300, max_value=300))
def test_a_signature_holds_for_its_body_and_time_within_the_window(body: bytes, seconds: int) -> None:
    sent = NOW + timedelta(seconds=seconds)
    header = webhook.sign_delivery("s3cret", body, sent)
    checked = webhook.verify("s3cret", body, header, NOW, WINDOW)
    assert isinstance(checked, Signed) and checked.at == sent
    assert isinstance(webhook.verify("other", body, header, NOW, WINDOW), Refused)
    assert isinstance(webhook.verify("s3cret", body + b"x", header, NOW, WINDOW), Refused)
    # the time is signed: a copy whose t is moved (into the window, say) no longer matches
    moved = header.replace(f"t={int(sent.timestamp())},", f"t={int(sent.timestamp()) + 1},")
    assert isinstance(webhook.verify("s3cret", body, moved, NOW, WINDOW), Refused)


@pytest.mark.parametrize("seconds", [-301, 301, -86_400, 10**9])
def test_a_signature_outside_the_window_is_refused_naming_the_skew(seconds: int) -> None:
    header = webhook.sign_delivery("s3cret", b"{}", NOW + timedelta(seconds=seconds))
    checked = webhook.verify("s3cret", b"{}", header, NOW, WINDOW)
    assert isinstance(checked, Refused)
    side = "before" if seconds < 0 else "after"
    assert f"{abs(seconds)} s {side} the server's clock" in checked.reason
    assert "within 300 s" in checked.reason


def test_the_same_delivery_signs_the_same_digest_whatever_the_hex_case() -> None:
    header = webhook.sign_delivery("s3cret", b"{}", NOW)
    upper = webhook.verify("s3cret", b"{}", header.upper().replace("T=", "t=").replace("V1=", "v1="), NOW, WINDOW)
    assert upper == webhook.verify("s3cret", b"{}", header, NOW, WINDOW)  # one delivery, one remembered digest


def test_several_v1_values_and_unknown_schemes() -> None:
    good = webhook.sign_delivery("s3cret", b"{}", NOW)
    t, v1 = good.split(",")
    assert isinstance(webhook.verify("s3cret", b"{}", f"{t},v0=abc,v1={'0' * 64},{v1}", NOW, WINDOW), Signed)
    assert isinstance(webhook.verify("s3cret", b"{}", f"{t},v0={v1.removeprefix('v1=')}", NOW, WINDOW), Refused)


@pytest.mark.parametrize(
    ("header", "legacy", "says"),
    [
        (None, False, "this webhook is signed: send Lockgate-Signature: t=<unix seconds>,v1="),
        ("", False, "this webhook is signed"),
        (None, True, "X-Lockgate-Signature (an HMAC of the body alone) is no longer accepted"),
        ("sha256=" + "0" * 64, False, "malformed"),
        ("t=1,t=2,v1=" + "0" * 64, False, "malformed"),
        ("t=-5,v1=" + "0" * 64, False, "malformed"),
        ("t=12345678901234,v1=" + "0" * 64, False, "malformed"),
        ("v1=" + "0" * 64, False, "malformed"),
        ("t=1796644800", False, "malformed"),
        ("t=1796644800,v1=zz", False, "does not match"),
        ("t=1796644800,v1=" + "0" * 64, False, "does not match"),
    ],
)
def test_refusals_say_what_to_send(header: str | None, legacy: bool, says: str) -> None:
    checked = webhook.verify("s3cret", b"{}", header, NOW, WINDOW, legacy=legacy)
    assert isinstance(checked, Refused)
    assert says in checked.reason


def test_delivery_ids() -> None:
    assert webhook.delivery_problem("evt_1") is None
    assert webhook.delivery_problem("x" * 200) is None
    assert "at most 200" in (webhook.delivery_problem("x" * 201) or "")
    assert "empty" in (webhook.delivery_problem("  ") or "")


def test_body_parsing() -> None:
    assert webhook.parse_body(b"") is None
    assert webhook.parse_body(b'{"a": [1, 2]}') == {"a": [1, 2]}
    assert webhook.parse_body(b"plain text") == "plain text"


def test_envelope_drops_secrets_from_headers() -> None:
    env = webhook.envelope(
        {"x": 1},
        [
            ("Authorization", "Bearer k"),
            ("Cookie", "c"),
            ("X-Lockgate-Signature", "sha256=0"),
            ("Lockgate-Signature", "t=1,v1=0"),
            ("Lockgate-Delivery", "d1"),
            ("X-Event", "push"),
        ],
        [("a", "1"), ("a", "2"), ("b", "3")],
    )
    # the delivery id is no secret: a pipeline may use it
    assert env == {"body": {"x": 1}, "headers": {"lockgate-delivery": "d1", "x-event": "push"},
                   "query": {"a": "2", "b": "3"}}  # fmt: skip


def test_input_mapping() -> None:
    env = webhook.envelope({"topic": "cats", "extra": True, "query": "from body"}, [("X-Event", "push")], [])
    assert webhook.map_input([], env) == env
    assert webhook.map_input(["topic", "headers", "query", "missing"], env) == {
        "topic": "cats",
        "headers": {"x-event": "push"},
        "query": "from body",  # the body's key wins over the envelope part of that name
    }
    text = webhook.envelope("not json", [], [])
    assert webhook.map_input(["topic", "body"], text) == {"body": "not json"}
