"""Hostile templates: an editor (or a webhook caller feeding one) tries to stall the server or fill it up.

Every template runs within budgets (loop iterations, bytes, a deadline), every step output within a size
limit: the run fails naming the node, the field and the budget, and the server goes on serving.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from tests.security.conftest import CI
from tests.security.hostile import API, Hostile

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

# Each would run for minutes, or build gigabytes, without its budget.
RUNAWAY = {
    "range": ("{{ range(100000000)|list|length }}", "range with 100,000,000 items", "ITERATIONS"),
    "nested_loops": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}{% endfor %}",
        "loop iterations",
        "ITERATIONS",
    ),
    "repeat": ("{{ 'a' * 20000000 }}", "20,000,000 bytes", "BYTES"),
    "center": ("{{ 'x'|center(100000000) }}", "100,000,000 bytes", "BYTES"),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    """One server with default budgets for the attacks that need nothing else (a start costs seconds)."""
    if os.environ.get("LOCKGATE_TEST_DB", "").strip().lower() == "postgresql":
        pytest.skip("the security suite attacks a SQLite home; the SQLite pass runs it")
    if shutil.which("bwrap") is None:
        if CI:
            pytest.fail("bubblewrap is not installed (CI=true: it is required)", pytrace=False)
        pytest.skip("bubblewrap is not installed")
    hostile = Hostile(tmp_path_factory.mktemp("templates"))
    hostile.start()
    try:
        yield hostile
    finally:
        hostile.stop()


def transform(node_id: str, value: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": "transform", "config": {"value": value}}


def attack(name: str, template: str) -> dict[str, Any]:
    """An innocent first step, then the attack: it is evaluated while the run advances, not when it starts."""
    return {"name": name, "nodes": [transform("setup", 1), transform("attack", template)],
            "edges": [{"source": "setup", "target": "attack"}]}  # fmt: skip


def step(server: Hostile, run_id: str, key: str) -> dict[str, Any]:
    with server.client("viewer") as client:
        body: dict[str, Any] = client.get(f"{API}/runs/{run_id}/steps/{key}").json()
    return body


def assert_responsive(server: Hostile) -> None:
    """An admin creates a user at once: the database's write lock is free."""
    started = time.monotonic()
    with server.client("admin") as client:
        made = client.post(f"{API}/users", json={"name": f"u-{uuid.uuid4().hex[:8]}", "role": "viewer"})
    assert made.status_code == 201, made.text
    assert time.monotonic() - started < 5


def assert_budget_error(server: Hostile, run: dict[str, Any], node: str, says: str) -> None:
    assert run["status"] == "failed", run
    error = step(server, run["id"], node)["error"]
    assert error["kind"] == "expression_budget", error
    assert error["field"] == "config.value"
    assert says in error["message"]
    seen = server.viewer_reads(run["id"])
    assert "expression_budget" in seen and says in seen


@pytest.mark.parametrize("name", sorted(RUNAWAY))
def test_a_runaway_template_fails_its_step_and_the_server_goes_on(server: Hostile, name: str) -> None:
    template, says, setting = RUNAWAY[name]
    started = time.monotonic()

    run = server.save_and_run(attack(f"runaway-{name.replace('_', '-')}", template))

    assert time.monotonic() - started < 30
    assert_budget_error(server, run, "attack", says)
    assert f"LOCKGATE_EXPRESSION_MAX_{setting}" in step(server, run["id"], "attack")["error"]["message"]
    assert_responsive(server)
    server.assert_intact()


def test_a_webhook_input_cannot_drive_a_loop_past_its_budget(server: Hostile) -> None:
    definition = {
        "name": "hooked-loop",
        "input": {"n": {"type": "integer", "required": True}},
        "nodes": [transform("count", "{% for i in range(input.n) %}.{% endfor %}")],
    }
    assert server.save(definition).status_code in {200, 201}
    with server.client("editor") as client:
        hook = client.post(f"{API}/pipelines/hooked-loop/webhooks", json={}).json()
    path = httpx.URL(hook["url"]).path

    with httpx.Client(base_url=server.url, timeout=60) as anyone:  # a webhook caller has no key, only the URL
        answered = anyone.post(path, params={"wait": "true", "timeout": "30"}, json={"n": 10**12})

    assert answered.status_code == 200, answered.text
    run = server.finish(answered.json()["run_id"])
    assert_budget_error(server, run, "count", "more than the iteration budget")
    assert_responsive(server)
    server.assert_intact()


def test_a_step_output_over_the_limit_is_refused(server: Hostile) -> None:
    definition = {"name": "big-output", "nodes": [{"id": "big", "kind": "script",
                                                   "config": {"code": "output = 'z' * 2_000_000"}}]}  # fmt: skip

    run = server.save_and_run(definition)

    assert run["status"] == "failed", run
    big = step(server, run["id"], "big")
    assert big["error"]["kind"] == "output_too_large"
    assert (
        "2,000,002 bytes of JSON, more than the limit of 1,048,576 (LOCKGATE_MAX_OUTPUT_BYTES)"
        in (big["error"]["message"])
    )
    assert big["output"] is None
    assert "z" * 1000 not in server.viewer_reads(run["id"])
    assert_responsive(server)
    server.assert_intact()


UNKNOWN = {
    "name": "unknown-names",
    "nodes": [
        transform("shout", "{{ input.x | nosuchfilter }}"),
        {"id": "check", "kind": "noop", "inputs": {"y": "{% if input.x is nosuchtest %}1{% endif %}"}},
    ],
}
UNKNOWN_ERRORS = [
    {"node_id": "shout", "field": "config.value", "message": "unknown filter 'nosuchfilter' (line 1)"},
    {"node_id": "check", "field": "inputs.y", "message": "unknown test 'nosuchtest' (line 1)"},
]


@pytest.mark.parametrize(("path", "role"), [("", "editor"), ("/validate", "viewer")])
def test_an_unknown_filter_or_test_is_a_definition_error(server: Hostile, path: str, role: str) -> None:
    with server.client(role) as client:
        answered = client.post(f"{API}/pipelines{path}", json=UNKNOWN)

    assert answered.status_code == 422, answered.text
    assert answered.json()["errors"] == UNKNOWN_ERRORS
    server.assert_intact()


def test_the_cli_names_an_unknown_filter_without_a_traceback(server: Hostile, tmp_path: Path) -> None:
    file = tmp_path / "unknown.yaml"
    file.write_text(
        "name: unknown-cli\nnodes:\n  - {id: shout, kind: transform, config: {value: '{{ 1 | nosuch }}'}}\n"
    )

    checked = server.lockgate("validate", str(file))

    assert checked.returncode != 0
    out = checked.stdout + checked.stderr
    assert "shout.config.value: unknown filter 'nosuch'" in out
    assert "Traceback" not in out


# ------------------------------------------------------------------------------------------------ time


@pytest.fixture
def patient(hostile_factory: Callable[..., Hostile]) -> Hostile:
    """A server whose iteration budget is out of reach: only the time budget (1 s) stops a long loop."""
    return hostile_factory(env={"LOCKGATE_EXPRESSION_MAX_ITERATIONS": "1000000000",
                                "LOCKGATE_EXPRESSION_MAX_TIME": "1s"})  # fmt: skip


def test_a_long_loop_never_holds_the_write_lock_past_the_time_budget(patient: Hostile) -> None:
    """3·10⁷ iterations (many seconds of work) while an admin creates users: each answers within the budget."""
    loop = "{% for i in range(30000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}"
    assert patient.save(attack("long-loop", loop)).status_code in {200, 201}
    started: list[str] = []
    starter = threading.Thread(target=lambda: started.append(patient.run("long-loop")))
    starter.start()

    waits: list[float] = []
    with patient.client("admin") as client:
        while starter.is_alive() or not waits:
            begun = time.monotonic()
            made = client.post(f"{API}/users", json={"name": f"u-{uuid.uuid4().hex[:8]}", "role": "viewer"})
            waits.append(time.monotonic() - begun)
            assert made.status_code == 201, made.text
    starter.join()
    run = patient.finish(started[0])

    # The loop alone would hold the lock for many seconds; the budget ends its transaction after 1 s.
    assert max(waits) < 4, waits
    assert_budget_error(patient, run, "attack", "time budget")
    with patient.client("viewer") as client:
        recorded = client.get(f"{API}/runs/{run['id']}/events", params={"limit": 1000}).json()["items"]
    assert [e["data"]["field"] for e in recorded if e["type"] == "expression_timed_out"] == ["config.value"]
    patient.assert_intact()
