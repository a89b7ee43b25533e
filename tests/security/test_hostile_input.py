r"""Hostile input: bad bodies, URLs and methods get a 4xx that names the place, never a 500 or a traceback.

The attacks: lone UTF-16 surrogates (``"\ud800"``, which neither SQLite nor PostgreSQL stores) and NUL
characters in keys and values, nesting 65, 3,000 and 100,000 levels deep (JSON and YAML, and inside a
definition's ``input`` and ``config``), NaN and Infinity literals, ``1e400``, integers of 5,000 digits,
YAML alias bombs, booleans where numbers go (and numbers where booleans go), and methods a path does not
serve. Every operation of the OpenAPI document that takes a body is fed arbitrary JSON (hypothesis) on the
app in process, on SQLite and on PostgreSQL; the surrogate and depth cases are also sent to a real
``lockgate serve``, which must stay intact.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.security.inprocess import API, JSON, METHODS, YAML, InProcess, admin_key, body_operations, path_name, seed

from lockgate.settings import Settings
from lockgate.spec.bounds import MAX_NESTING

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.security.hostile import Hostile


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[InProcess]:
    settings = Settings(home=tmp_path / "home", database_url=database_url, sandbox="none")  # type: ignore[arg-type]
    app = InProcess(settings, admin_key(settings))
    try:
        yield app
    finally:
        app.close()


def assert_answered(response: httpx.Response, what: str) -> None:
    """No server error and nothing of the server's insides in the answer."""
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:2000]}"
    assert "Traceback" not in response.text and 'File "/' not in response.text, f"{what}: {response.text[:2000]}"


def assert_refused(response: httpx.Response, what: str, field_prefix: str = "body") -> dict[str, Any]:
    """422 with a JSON error body naming where."""
    assert_answered(response, what)
    assert response.status_code == 422, f"{what}: {response.status_code} {response.text[:1000]}"
    body: dict[str, Any] = response.json()
    assert body["code"] in {"invalid_request", "definition_errors", "invalid_input"}, body
    fields = [e.get("field") or "" for e in body.get("errors", [])]
    assert any(f.startswith(field_prefix) for f in fields) or body["code"] == "definition_errors", (what, body)
    return body


# ------------------------------------------------------------------------------------ JSON text, hostile or not


@dataclass(frozen=True)
class Raw:
    """JSON text put into the body as it is (numbers and nesting Python's json would not write)."""

    text: str


def deep(levels: int) -> Raw:
    return Raw("[" * levels + "]" * levels)


_HUGE = (Raw("1e400"), Raw("-1e400"), Raw("NaN"), Raw("Infinity"), Raw("-Infinity"), Raw("1" + "0" * 5000))
_BAD_TEXT = ("\ud800", "a\udfffb", "\udc00\ud800", "\x00", "nul\x00in the middle")


def _is_hostile_text(text: str) -> bool:
    return any(c == "\x00" or 0xD800 <= ord(c) <= 0xDFFF for c in text)


def dump(value: object) -> tuple[str, bool]:
    """(JSON text, whether it holds something the server must refuse)."""
    hostile = False

    def walk(item: object, depth: int) -> str:
        nonlocal hostile
        match item:
            case Raw(text):
                hostile = True
                return text
            case str():
                hostile = hostile or _is_hostile_text(item)
                return json.dumps(item)  # ensure_ascii: a lone surrogate is written as \udxxx
            case float() if not math.isfinite(item):
                hostile = True
                return json.dumps(item)  # NaN, Infinity
            case dict():
                if depth + 1 > MAX_NESTING:
                    hostile = True
                keys = [walk(str(k), depth) for k in item]
                return (
                    "{" + ",".join(f"{k}:{walk(v, depth + 1)}" for k, v in zip(keys, item.values(), strict=True)) + "}"
                )
            case list():
                if depth + 1 > MAX_NESTING:
                    hostile = True
                return "[" + ",".join(walk(v, depth + 1) for v in item) + "]"
            case _:
                return json.dumps(item)

    return walk(value, 0), hostile


_texts = st.one_of(st.text(max_size=12), st.sampled_from(_BAD_TEXT))
_numbers = st.one_of(st.integers(), st.floats(), st.sampled_from(_HUGE), st.integers(-(2**70), 2**70))
_leaves = st.one_of(st.none(), st.booleans(), _numbers, _texts, st.sampled_from([deep(MAX_NESTING + 1), deep(3000)]))
_values = st.recursive(
    _leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_texts, inner, max_size=3), max_leaves=12
)


def _bodies(properties: tuple[str, ...]) -> st.SearchStrategy[object]:
    """Objects with the operation's own property names (so pydantic sees each field with a wrong value) or not."""
    keys = st.sampled_from(properties) | _texts if properties else _texts
    return st.one_of(st.dictionaries(keys, _values, max_size=5), _values)


# ------------------------------------------------------------------------------------------------------ tests


def test_every_body_taking_operation_answers_arbitrary_json_with_a_4xx_at_worst(api: InProcess) -> None:
    operations = body_operations(api, seed(api))
    assert len(operations) >= 20, [o.label for o in operations]
    content_types = st.sampled_from([JSON, "application/merge-patch+json", None])

    @settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data(), content_type=content_types)
    def attack(data: st.DataObject, content_type: str | None) -> None:
        operation = data.draw(st.sampled_from(operations), label="operation")
        text, hostile = dump(data.draw(_bodies(operation.properties), label="body"))
        headers = {"Content-Type": content_type} if content_type else {}
        response = api.request(operation.method, operation.path, content=text.encode(), headers=headers)
        if hostile:
            assert_refused(response, f"{operation.label} {text[:300]}")
        else:
            assert_answered(response, f"{operation.label} {text[:300]}")

    attack()
    assert api.request("GET", f"{API}/me").json()["role"] == "admin"


def test_each_attack_on_each_operation_is_refused_naming_the_place(api: InProcess) -> None:
    operations = body_operations(api, seed(api))
    for operation in operations:
        first = operation.properties[0] if operation.properties else "x"
        attacks: dict[str, object] = {
            "surrogate value": {first: "\ud800"},
            "surrogate key": {"\udfff": 1},
            "NUL value": {first: "a\x00b"},
            "3,000 deep": {first: deep(3000)},
            "100,000 deep": deep(100_000),
            "65 deep": {first: deep(MAX_NESTING + 1)},
            "NaN": {first: Raw("NaN")},
            "1e400": {first: Raw("1e400")},
            "5,000 digits": {first: Raw("1" + "0" * 5000)},
        }
        for name, value in attacks.items():
            text, hostile = dump(value)
            assert hostile, name
            response = api.request(
                operation.method, operation.path, content=text.encode(), headers={"Content-Type": JSON}
            )
            body = assert_refused(response, f"{operation.label}: {name}")
            where = body["errors"][0]["field"]
            if name in {"3,000 deep", "100,000 deep"}:  # the JSON reader gave up before the walk could name the place
                assert where == "body" and "nested deeper than 64 levels" in body["detail"], body
            elif name != "surrogate key":
                assert where.startswith(f"body.{first}"), (operation.label, name, body)
    # nothing of it was kept
    listed = api.request("GET", f"{API}/pipelines").json()["items"]
    assert [p["name"] for p in listed] == ["target"]


_YAML_ATTACKS = {
    "surrogate in config": 'name: y\nnodes:\n  - {id: n, kind: transform, config: {value: "\\ud800"}}\n',
    "surrogate as node id": 'name: y\nnodes:\n  - {id: "\\udc00", kind: noop}\n',
    "NUL in description": 'name: y\ndescription: "a\\0b"\nnodes: [{id: n, kind: noop}]\n',
    "3,000 deep input": "name: y\nnodes: [{id: n, kind: noop}]\ninput: " + "[" * 3000 + "]" * 3000 + "\n",
    "100,000 deep input": "name: y\nnodes: [{id: n, kind: noop}]\ninput: " + "{a: " * 100_000 + "}" * 100_000,
    "deep block config": "name: y\nnodes:\n  - id: n\n    kind: transform\n    config:\n      value:\n"
    + "".join("  " * (i + 4) + "k:\n" for i in range(100)),
    "65 deep config": "name: y\nnodes:\n  - {id: n, kind: transform, config: {value: "
    + "[" * (MAX_NESTING + 1)
    + "]" * (MAX_NESTING + 1)
    + "}}\n",
    "NaN": "name: y\nnodes:\n  - {id: n, kind: transform, config: {value: .nan}}\n",
    "Infinity": "name: y\nnodes:\n  - {id: n, kind: transform, config: {value: -.inf}}\n",
    "5,000 digits": "name: y\nnodes:\n  - {id: n, kind: transform, config: {value: 1" + "0" * 5000 + "}}\n",
    "alias bomb": "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefg", "bcdefgh", strict=True))
    + "name: y\nnodes: [{id: n, kind: noop}]\n",
    "self-referencing": "name: y\nnodes: &n [{id: n, kind: noop, inputs: {me: *n}}]\n",
}


@pytest.mark.parametrize("name", list(_YAML_ATTACKS))
def test_yaml_definitions_with_unstorable_or_explosive_content_are_refused(api: InProcess, name: str) -> None:
    text = _YAML_ATTACKS[name]
    for method, path in (("POST", "/pipelines"), ("POST", "/pipelines/validate"), ("PUT", "/pipelines/y")):
        response = api.request(method, f"{API}{path}", content=text.encode(), headers={"Content-Type": YAML})
        body = assert_refused(response, f"{method} {path}: {name}")
        assert body["code"] == "definition_errors", body
    assert api.request("GET", f"{API}/pipelines").json()["items"] == []


def test_definitions_deeper_than_the_limit_in_input_or_config_are_refused_and_the_limit_itself_is_kept(
    api: InProcess,
) -> None:
    def nested(levels: int) -> object:
        value: object = 1
        for _ in range(levels):
            value = [value]
        return value

    # the body's own levels: the definition, nodes, the node, config = 4 around the value
    fits = {"name": "fits", "nodes": [{"id": "n", "kind": "transform", "config": {"value": nested(MAX_NESTING - 4)}}]}
    assert api.request("POST", f"{API}/pipelines", json=fits).status_code == 201
    too_deep = {"name": "deep", "nodes": [{"id": "n", "kind": "transform", "config": {"value": nested(MAX_NESTING)}}]}
    refused = assert_refused(api.request("POST", f"{API}/pipelines", json=too_deep), "config")
    assert refused["errors"][0]["field"].startswith("body.nodes.0.config.value.0")
    assert f"nested deeper than {MAX_NESTING} levels" in refused["errors"][0]["message"]
    deep_input = {"name": "deep", "input": {"x": {"type": "object", "default": nested(MAX_NESTING)}},
                  "nodes": [{"id": "n", "kind": "noop"}]}  # fmt: skip
    assert_refused(api.request("POST", f"{API}/pipelines", json=deep_input), "input")
    run_input = {"input": {"n": nested(MAX_NESTING)}}
    assert_refused(api.request("POST", f"{API}/pipelines/fits/runs", json=run_input), "run input")


def test_urls_with_nul_or_undecodable_bytes_are_a_4xx(api: InProcess) -> None:
    seed(api)
    refused = api.request("GET", f"{API}/pipelines", params={"q": "a\x00b"})
    assert_refused(refused, "query", field_prefix="url")
    assert_refused(api.request("GET", f"{API}/pipelines/a%00b"), "path", field_prefix="url")
    # Percent-encoded surrogates (CESU-8) and broken UTF-8 decode to U+FFFD: a name that does not exist.
    for path in ("/pipelines/%ED%A0%80", "/runs/%ED%A0%80", "/credentials/%FF%FE"):
        response = api.request("GET", f"{API}{path}")
        assert_answered(response, path)
        assert response.status_code == 404, (path, response.text)
    listed = api.request("GET", f"{API}/pipelines", params={"q": "\udcff".encode(errors="surrogatepass")})
    assert_answered(listed, "query with a surrogate's bytes")


@dataclass(frozen=True)
class Typed:
    """A body the server accepts, and a field that must refuse a value of the wrong JSON type."""

    method: str
    path: str
    body: dict[str, Any]
    field: str
    wrong: tuple[object, ...]
    right: object


_TYPED = (
    Typed("POST", "/models", {"name": "p1", "provider": "openai", "model_id": "x"}, "temperature", (True, "1"), 1),
    Typed(
        "POST", "/models", {"name": "p2", "provider": "openai", "model_id": "x"}, "max_tokens", (True, "3", 3.5), 3.0
    ),
    Typed("POST", "/models", {"name": "p3", "provider": "openai", "model_id": "x"}, "input_price", (False,), 0),
    Typed("PATCH", "/models/m", {}, "output_price", (True, "2"), 2),
    Typed("POST", "/agent-profiles", {"name": "b"}, "temperature", (True, "0.5"), 0.5),
    Typed("PATCH", "/agent-profiles/a", {}, "temperature", (False,), 0),
    Typed("POST", "/keys", {"user": "viewer", "name": "k"}, "expires_in_days", (True, "30"), 30),
    Typed("POST", "/pipelines/target/runs", {}, "version", (True, "1"), 1),
    Typed("POST", "/pipelines/target/webhooks", {}, "enabled", (0, 1, "true"), False),
    Typed("POST", "/pipelines/target/webhooks", {}, "secret", (1, "yes"), True),
    Typed("POST", "/pipelines/target/schedules", {"cron": "0 9 * * *"}, "enabled", (0, "false"), False),
    Typed("PATCH", "/schedules/{schedule_id}", {}, "enabled", (1,), True),
)


@pytest.mark.parametrize("case", _TYPED, ids=lambda c: f"{c.method} {c.path} {c.field}")
def test_booleans_are_not_numbers_nor_numbers_booleans(api: InProcess, case: Typed) -> None:
    path = seed(api).fill(case.path)
    for wrong in case.wrong:
        response = api.request(case.method, f"{API}{path}", json={**case.body, case.field: wrong})
        body = assert_refused(response, f"{case.field}={wrong!r}")
        assert body["errors"][0]["field"] == f"body.{case.field}", body
    accepted = api.request(case.method, f"{API}{path}", json={**case.body, case.field: case.right})
    assert accepted.is_success, accepted.text
    if case.field in accepted.json() and case.field != "secret":  # a webhook's secret comes back generated
        assert accepted.json()[case.field] == case.right


_SPEC_TYPED = (
    ("retry", {"max_attempts": "3"}),
    ("retry", {"max_attempts": True}),
    ("retry", {"factor": True}),
    ("retry", {"jitter": False}),
    ("max_parallel", True),
    ("review", {"approve_start": 1}),
    ("review", {"max_revisions": "2"}),
)


@pytest.mark.parametrize(("key", "value"), _SPEC_TYPED, ids=[f"{k}={v}" for k, v in _SPEC_TYPED])
def test_a_definition_takes_numbers_and_booleans_as_json_types_only(api: InProcess, key: str, value: object) -> None:
    node = {"id": "n", "kind": "noop", key: value}
    refused = api.request("POST", f"{API}/pipelines/validate", json={"name": "typed", "nodes": [node]})
    body = assert_refused(refused, f"{key}={value!r}")
    assert body["errors"][0]["node_id"] == "n" and body["errors"][0]["field"].startswith(key), body
    yaml_text = "name: typed\nnodes:\n  - id: n\n    kind: script\n    config: {code: 'output = 1', memory_mb: yes}\n"
    refused = api.request("POST", f"{API}/pipelines/validate", content=yaml_text, headers={"Content-Type": YAML})
    assert assert_refused(refused, "memory_mb: yes")["errors"][0]["field"] == "config.memory_mb"
    fine = "name: typed\nnodes:\n  - id: n\n    kind: noop\n    retry: {max_attempts: 3, factor: 2, jitter: 0.5}\n"
    accepted = api.request("POST", f"{API}/pipelines/validate", content=fine, headers={"Content-Type": YAML})
    assert accepted.status_code == 200, accepted.text


def test_405_lists_every_method_the_path_serves(api: InProcess) -> None:
    seeded = seed(api)
    document = api.request("GET", f"{API}/openapi.json").json()
    templates = {re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$"): ops for p, ops in document["paths"].items()}
    checked = 0
    for path in document["paths"]:
        filled = seeded.fill(path).replace("{name}", path_name(path))
        # /pipelines/validate is also /pipelines/{name}: every template the path matches serves it
        served = {m.upper() for t, ops in templates.items() if t.match(filled) for m in ops if m in METHODS}
        for method in sorted({"GET", "PUT", "POST", "PATCH", "DELETE"} - served):
            response = api.request(method, filled)
            assert response.status_code == 405, (method, path, response.status_code)
            assert set(response.headers["allow"].split(", ")) == served, (method, path, response.headers["allow"])
            checked += 1
    assert checked > 100


# ---------------------------------------------------------------------------------- against lockgate serve


def test_a_real_server_refuses_surrogates_and_deep_nesting_and_stays_intact(hostile: Hostile) -> None:
    harmless = {"name": "harmless", "nodes": [{"id": "say", "kind": "transform", "config": {"value": "fine-7d1c"}}]}
    run = hostile.save_and_run(harmless)
    assert run["status"] == "succeeded", run
    before = hostile.viewer_reads(run["id"])
    attacks: list[tuple[str, str, bytes, str]] = [
        (
            "POST",
            "/pipelines",
            b'{"name": "evil", "nodes": [{"id": "n", "kind": "transform", "config": {"value": "\\ud800"}}]}',
            JSON,
        ),
        ("POST", "/pipelines", b'{"name": "evil", "\\udfff": 1, "nodes": []}', JSON),
        ("POST", "/pipelines", b'name: evil\nnodes:\n  - {id: n, kind: transform, config: {value: "\\ud800"}}\n', YAML),
        ("POST", "/pipelines", b'{"name": "evil", "nodes": [], "input": ' + b"[" * 3000 + b"]" * 3000 + b"}", JSON),
        ("POST", "/pipelines", b"[" * 100_000 + b"]" * 100_000, JSON),
        ("POST", "/pipelines", b"name: evil\nnodes: []\ninput: " + b"[" * 3000 + b"]" * 3000, YAML),
        ("POST", "/pipelines", b"name: evil\nnodes: []\ninput: " + b"{a: " * 100_000 + b"}" * 100_000, YAML),
        ("POST", "/pipelines/harmless/runs", b'{"input": {"x": "\\ud800"}}', JSON),
        ("POST", "/pipelines/harmless/runs", b'{"input": {"x": ' + b"[" * 3000 + b"]" * 3000 + b"}}", JSON),
        ("POST", "/credentials", b'{"name": "evil", "value": "\\udc00"}', JSON),
        ("POST", "/models", b'{"name": "evil", "provider": "openai", "model_id": "x", "temperature": true}', JSON),
        ("POST", "/models", b'{"name": "evil", "provider": "openai", "model_id": "x", "temperature": 1e400}', JSON),
    ]
    with hostile.client("admin") as admin:
        for method, path, content, content_type in attacks:
            response = admin.request(method, f"{API}{path}", content=content, headers={"Content-Type": content_type})
            assert_refused(response, f"{method} {path} {content[:80]!r}")
        hook = admin.post(f"{API}/pipelines/harmless/webhooks", json={}).json()
    with httpx.Client(base_url=hostile.url, timeout=60) as anyone:  # the webhook is public: its body is text
        refused = anyone.post(f"/api/v1/hooks/{hook['token']}", content=b'{"x": "\\ud800"}',
                              headers={"Content-Type": "text/plain"})  # fmt: skip
        assert_refused(refused, "webhook")
        assert_refused(anyone.post(f"/api/v1/hooks/{hook['token']}", content=b"[" * 3000 + b"]" * 3000), "webhook")
    hostile.assert_intact()
    with hostile.client("viewer") as viewer:
        assert [p["name"] for p in viewer.get(f"{API}/pipelines").json()["items"]] == ["harmless"]
        assert [r["number"] for r in viewer.get(f"{API}/runs").json()["items"]] == [1]
        assert viewer.get(f"{API}/credentials").status_code == 403
    assert hostile.viewer_reads(run["id"]) == before
    assert "\\ud800" not in before and "evil" not in before
    listed = hostile.lockgate("credentials", "list")
    assert "evil" not in listed.stdout, listed.stdout
