"""Runs over HTTP: start, read, list, control and retry — on both backends."""

from __future__ import annotations

import itertools
import time
from typing import TYPE_CHECKING, Any

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    import httpx
    from tests.integration.api.conftest import Server

API = "/api/v1"
TERMINAL = {"succeeded", "failed", "cancelled"}


def save(client: httpx.Client, name: str, nodes: list[dict[str, Any]], **fields: Any) -> None:
    edges = [{"source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(nodes)]
    response = client.post(f"{API}/pipelines", json={"name": name, "nodes": nodes, "edges": edges, **fields})
    assert response.status_code in {200, 201}, response.text


def script(node_id: str, code: str, **fields: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": "script", "config": {"code": code}, **fields}


def wait_for(client: httpx.Client, run: str, statuses: set[str], timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = client.get(f"{API}/runs/{run}").json()
        if body["status"] in statuses:
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def wait_step(client: httpx.Client, run: str, step: str, status: str) -> None:
    deadline = time.monotonic() + 30
    while client.get(f"{API}/runs/{run}/steps/{step}").json().get("status") != status:
        assert time.monotonic() < deadline
        time.sleep(0.05)


TYPED = {"topic": {"type": "string", "required": True}, "count": {"type": "integer", "default": 2}}


def test_a_run_starts_finishes_and_reads_back(admin: httpx.Client) -> None:
    save(admin, "hello", [
        {"id": "a", "kind": "transform", "config": {"value": "{{ input.topic }}"}},
        script("b", "import sys; print('to the log', file=sys.stderr); print('{\"n\": 2}')"),
    ], input=TYPED)  # fmt: skip
    created = admin.post(f"{API}/pipelines/hello/runs", json={"input": {"topic": "x"}})
    assert created.status_code == 201, created.text
    run = created.json()
    assert run["number"] == 1 and run["ref"] == "hello/v1" and run["version"] == 1
    assert run["input"] == {"topic": "x", "count": 2}
    done = wait_for(admin, run["id"], TERMINAL)
    assert done["status"] == "succeeded", done
    assert done["duration"] is not None and done["output"] == {"b": {"n": 2}}
    by_ref = admin.get(f"{API}/runs/hello/v1").json()
    assert by_ref == done
    steps = {s["key"]: s for s in done["steps"]}
    assert steps["a"]["output"] == "x" and steps["a"]["status"] == "succeeded"
    assert [a["number"] for a in steps["b"]["attempts"]] == [1]
    assert steps["b"]["attempts"][0]["status"] == "succeeded"

    step = admin.get(f"{API}/runs/hello/v1/steps/b").json()
    assert step["run_id"] == run["id"] and step["attempts"][0]["duration"] is not None
    logs = admin.get(f"{API}/runs/{run['id']}/steps/b/logs", params={"attempt": 1})
    assert logs.status_code == 200 and logs.headers["content-type"].startswith("text/plain")
    assert "to the log" in logs.text
    assert admin.get(f"{API}/runs/{run['id']}/steps/b/logs", params={"attempt": 7}).status_code == 404
    assert admin.get(f"{API}/runs/{run['id']}/steps/nope").status_code == 404

    first = admin.get(f"{API}/runs/{run['id']}/events", params={"limit": 2}).json()
    assert [e["seq"] for e in first["items"]] == [1, 2] and first["items"][0]["type"] == "run_started"
    rest = admin.get(f"{API}/runs/{run['id']}/events", params={"after": first["next_after"], "limit": 1000}).json()
    assert rest["items"][0]["seq"] == 3 and rest["next_after"] is None


def test_input_and_body_are_checked_and_nothing_is_stored(admin: httpx.Client) -> None:
    save(admin, "typed", [{"id": "a", "kind": "noop"}], input=TYPED)
    before = admin.get(f"{API}/runs").json()
    bad = admin.post(f"{API}/pipelines/typed/runs", json={"input": {"count": "two", "extra": 1}})
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"input.topic", "input.count", "input.extra"}
    for body in ({"input": {"topic": "x"}, "colour": 1}, {"input": "text"}, {"version": "one"}):
        refused = admin.post(f"{API}/pipelines/typed/runs", json=body)
        assert refused.status_code == 422, body
        assert refused.json()["code"] == "invalid_request"
    malformed = admin.post(
        f"{API}/pipelines/typed/runs", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 422
    assert admin.post(f"{API}/pipelines/ghost/runs", json={}).status_code == 404
    assert admin.post(f"{API}/pipelines/typed/runs", json={"version": 5, "input": {"topic": "x"}}).status_code == 404
    assert admin.get(f"{API}/runs").json() == before
    assert admin.get(f"{API}/pipelines/typed").json()["last_run_number"] is None


def test_a_run_of_an_earlier_version(admin: httpx.Client) -> None:
    save(admin, "ver", [{"id": "a", "kind": "transform", "config": {"value": 1}}])
    save(admin, "ver", [{"id": "a", "kind": "transform", "config": {"value": 2}}])
    run = admin.post(f"{API}/pipelines/ver/runs", json={"version": 1}).json()
    assert run["version"] == 1
    assert wait_for(admin, run["id"], TERMINAL)["output"] == {"a": 1}
    latest = admin.post(f"{API}/pipelines/ver/runs")  # no body: the latest version, no input
    assert latest.status_code == 201 and latest.json()["version"] == 2 and latest.json()["number"] == 2
    assert admin.get(f"{API}/pipelines/ver").json()["latest_version"] == 2


def test_list_filters_and_pages_newest_first(admin: httpx.Client) -> None:
    save(admin, "one", [{"id": "a", "kind": "noop"}])
    save(admin, "two", [{"id": "a", "kind": "noop"}])
    ids = [admin.post(f"{API}/pipelines/{p}/runs", json={}).json()["id"] for p in ("one", "two", "one", "one", "two")]
    for run_id in ids:
        wait_for(admin, run_id, TERMINAL)
    seen: list[str] = []
    cursor = None
    while True:
        page = admin.get(f"{API}/runs", params={"limit": 2} | ({"cursor": cursor} if cursor else {})).json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    ones = admin.get(f"{API}/runs", params={"pipeline": "one"}).json()["items"]
    assert [r["number"] for r in ones] == [3, 2, 1]
    assert admin.get(f"{API}/runs", params={"status": "failed"}).json()["items"] == []
    assert len(admin.get(f"{API}/runs", params={"status": "succeeded"}).json()["items"]) == 5
    assert admin.get(f"{API}/runs", params={"pipeline": "nope"}).json()["items"] == []
    for params in ({"status": "bogus"}, {"limit": 501}, {"cursor": "bm9wZQ=="}):
        assert admin.get(f"{API}/runs", params=params).status_code == 422, params


def test_pause_resume_cancel_and_illegal_transitions(admin: httpx.Client) -> None:
    save(admin, "slow", [script("nap", "import time; time.sleep(60)"), {"id": "after", "kind": "noop"}])
    run = admin.post(f"{API}/pipelines/slow/runs", json={}).json()
    wait_step(admin, run["id"], "nap", "running")
    paused = admin.post(f"{API}/runs/slow/v1/pause")
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    before = admin.get(f"{API}/runs/{run['id']}").json()
    again = admin.post(f"{API}/runs/{run['id']}/pause")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    assert admin.get(f"{API}/runs/{run['id']}").json() == before
    assert admin.post(f"{API}/runs/{run['id']}/resume").json()["status"] == "running"
    assert admin.post(f"{API}/runs/{run['id']}/resume").status_code == 409
    cancelled = admin.post(f"{API}/runs/{run['id']}/cancel", json={"reason": "enough"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["error"]["message"] == "enough"
    after = admin.get(f"{API}/runs/{run['id']}").json()
    for action in ("pause", "resume", "cancel"):
        assert admin.post(f"{API}/runs/{run['id']}/{action}").status_code == 409
    assert admin.post(f"{API}/runs/{run['id']}/cancel", json={"why": 1}).status_code == 422
    assert admin.get(f"{API}/runs/{run['id']}").json() == after
    for action in ("pause", "resume", "cancel"):
        assert admin.post(f"{API}/runs/nope/{action}").status_code == 404
        assert admin.post(f"{API}/runs/slow/v9/{action}").status_code == 404


def test_retry_reopens_a_failed_run(admin: httpx.Client) -> None:
    save(
        admin, "flaky", [script("boom", "raise SystemExit(3)", retry={"max_attempts": 1}), {"id": "b", "kind": "noop"}]
    )
    run = admin.post(f"{API}/pipelines/flaky/runs", json={}).json()
    failed = wait_for(admin, run["id"], TERMINAL)
    assert failed["status"] == "failed" and failed["error"] is not None
    assert admin.post(f"{API}/runs/{run['id']}/steps/nope/retry").status_code == 404
    retried = admin.post(f"{API}/runs/{run['id']}/steps/boom/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] in {"running", "failed"}
    again = wait_for(admin, run["id"], {"failed"})
    boom = {s["key"]: s for s in again["steps"]}["boom"]
    assert boom["attempt"] == 2 and [a["number"] for a in boom["attempts"]] == [1, 2]
    types = [e["type"] for e in admin.get(f"{API}/runs/{run['id']}/events").json()["items"]]
    assert "step_retry_requested" in types


def test_retry_of_a_step_that_did_not_fail_is_409(admin: httpx.Client) -> None:
    save(admin, "fine", [{"id": "a", "kind": "noop"}])
    run = admin.post(f"{API}/pipelines/fine/runs", json={}).json()
    done = wait_for(admin, run["id"], TERMINAL)
    refused = admin.post(f"{API}/runs/{run['id']}/steps/a/retry")
    assert refused.status_code == 409
    assert admin.get(f"{API}/runs/{run['id']}").json() == done


def test_roles_operator_runs_viewer_reads(server: Server, admin: httpx.Client) -> None:
    save(admin, "roles", [{"id": "a", "kind": "noop"}])
    with server.client(Role.VIEWER) as viewer, server.client(Role.OPERATOR) as operator:
        assert viewer.post(f"{API}/pipelines/roles/runs", json={}).status_code == 403
        run = operator.post(f"{API}/pipelines/roles/runs", json={})
        assert run.status_code == 201
        assert viewer.get(f"{API}/runs/{run.json()['id']}").status_code == 200
        assert viewer.post(f"{API}/runs/{run.json()['id']}/cancel").status_code == 403
        assert viewer.get(f"{API}/runs").status_code == 200


def test_unknown_run_is_404(admin: httpx.Client) -> None:
    for path in ("/runs/nope", "/runs/ghost/v1", "/runs/nope/events", "/runs/nope/steps/a", "/runs/nope/steps/a/logs"):
        response = admin.get(f"{API}{path}")
        assert response.status_code == 404, path
