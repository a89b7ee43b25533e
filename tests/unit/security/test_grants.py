"""Host patterns of credentials and the places a definition names credentials."""

from __future__ import annotations

import pytest

from lockgate.security.grants import HostPatternError, credential_uses, host_allowed, normalise_host_pattern
from lockgate.spec.pipeline import PipelineSpec


@pytest.mark.parametrize(
    ("pattern", "normal"),
    [("API.Example.com.", "api.example.com"), ("*.example.org", "*.example.org"), ("*", "*"),
     ("127.0.0.1", "127.0.0.1"), ("[::1]", "::1"), ("localhost", "localhost")],
)  # fmt: skip
def test_patterns_are_normalised(pattern: str, normal: str) -> None:
    assert normalise_host_pattern(pattern) == normal


@pytest.mark.parametrize("pattern", ["", "http://x.com", "a b", "x.com/path", "*x.com", "a.*.com", "x.com:443"])
def test_what_is_not_a_host_pattern_is_refused(pattern: str) -> None:
    with pytest.raises(HostPatternError):
        normalise_host_pattern(pattern)


def test_hosts_match_exactly_or_as_subdomains() -> None:
    patterns = ["api.example.com", "*.example.org"]
    assert host_allowed(patterns, "API.example.com")
    assert host_allowed(patterns, "a.b.example.org")
    assert not host_allowed(patterns, "example.org")  # *.x is for subdomains only
    assert not host_allowed(patterns, "api.example.com.evil.net")
    assert not host_allowed(patterns, "evilexample.org")
    assert not host_allowed([], "api.example.com")  # no pattern: no host
    assert host_allowed(["*"], "anything.at.all")


def test_every_place_a_definition_names_a_credential_is_found() -> None:
    spec = PipelineSpec.model_validate({"name": "p", "nodes": [
        {"id": "a", "kind": "script", "credentials": ["x", "y"], "config": {"code": "pass"}},
        {"id": "b", "kind": "noop", "review": {"approve_complete": True, "deadline": "1h", "on_deadline": "notify",
                                              "notify_url": "http://h/", "notify_secret": "z"}},
    ]})  # fmt: skip
    found = [(u.node_id, u.field, u.name) for u in credential_uses(spec)]
    assert found == [("a", "credentials[0]", "x"), ("a", "credentials[1]", "y"), ("b", "review.notify_secret", "z")]
