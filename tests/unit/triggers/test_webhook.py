"""Webhook tokens, signatures and the input mapping rule."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lockgate.triggers import webhook


def test_tokens_are_long_random_and_hashed() -> None:
    a, b = webhook.new_token(), webhook.new_token()
    assert a != b
    assert len(a) >= 43  # 32 bytes, url-safe base64
    assert webhook.hash_token(a) == webhook.hash_token(a) != webhook.hash_token(b)
    assert len(webhook.hash_token(a)) == 64


@given(st.binary(max_size=500))
def test_signature_checks_the_raw_body(body: bytes) -> None:
    secret = "s3cret"
    header = webhook.sign(secret, body)
    assert header.startswith("sha256=")
    assert webhook.signature_ok(secret, body, header)
    assert not webhook.signature_ok("other", body, header)
    assert not webhook.signature_ok(secret, body + b"x", header)
    assert not webhook.signature_ok(secret, body, None)
    assert not webhook.signature_ok(secret, body, header.removeprefix("sha256="))


def test_body_parsing() -> None:
    assert webhook.parse_body(b"") is None
    assert webhook.parse_body(b'{"a": [1, 2]}') == {"a": [1, 2]}
    assert webhook.parse_body(b"plain text") == "plain text"


def test_envelope_drops_secrets_from_headers() -> None:
    env = webhook.envelope(
        {"x": 1},
        [("Authorization", "Bearer k"), ("Cookie", "c"), ("X-Lockgate-Signature", "sha256=0"), ("X-Event", "push")],
        [("a", "1"), ("a", "2"), ("b", "3")],
    )
    assert env == {"body": {"x": 1}, "headers": {"x-event": "push"}, "query": {"a": "2", "b": "3"}}


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
