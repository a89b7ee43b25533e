"""Dynamic routing over HTTP: a sandboxed script chooses its successors; the choice is read back and replayed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.integration.api.test_runs import API, TERMINAL, script, wait_for

if TYPE_CHECKING:
    import httpx

ROUTER = """
import lockgate_step
lockgate_step.route(["pay"] if total < 100 else ["review", "audit"])
output = {"total": total}
"""


def _save_router(client: httpx.Client, name: str, code: str) -> None:
    nodes: list[dict[str, Any]] = [
        script("route", code, inputs={"total": "{{ input.total }}"}),
        script("pay", "output = 'paid'"),
        script("review", "output = 'reviewed'", description="a person looks at large orders"),
        script("audit", "output = 'audited'"),
        {"id": "done", "kind": "transform", "join": "any", "config": {"value": "finished"}},
    ]
    edges = [{"source": "route", "target": t} for t in ("pay", "review", "audit")]
    edges += [{"source": s, "target": "done"} for s in ("pay", "review", "audit")]
    response = client.post(f"{API}/pipelines", json={"name": name, "nodes": nodes, "edges": edges,
                                                     "input": {"total": {"type": "integer"}}})  # fmt: skip
    assert response.status_code in {200, 201}, response.text


def _run(client: httpx.Client, name: str, total: int) -> dict[str, Any]:
    created = client.post(f"{API}/pipelines/{name}/runs", json={"input": {"total": total}})
    assert created.status_code == 201, created.text
    return wait_for(client, created.json()["id"], TERMINAL)


def test_a_script_routes_and_the_run_shows_the_choice(admin: httpx.Client) -> None:
    _save_router(admin, "orders", ROUTER)
    small = _run(admin, "orders", 42)
    assert small["status"] == "succeeded", small
    steps = {s["key"]: s for s in small["steps"]}
    assert steps["route"]["next"] == ["pay"]
    assert {k: s["status"] for k, s in steps.items()} == {
        "route": "succeeded", "pay": "succeeded", "review": "skipped", "audit": "skipped", "done": "succeeded",
    }  # fmt: skip
    assert steps["pay"]["next"] is None  # it did not route: every successor was taken
    events = admin.get(f"{API}/runs/{small['id']}/events", params={"limit": 1000}).json()["items"]
    routed = [e["data"] for e in events if e["type"] == "step_succeeded" and e["data"]["step"] == "route"]
    assert [e["next"] for e in routed] == [["pay"]]  # the choice is in the recorded event: replays agree

    large = _run(admin, "orders", 500)
    chosen = {s["key"]: s for s in large["steps"]}
    assert chosen["route"]["next"] == ["review", "audit"]  # the declared order, whatever the script's
    assert chosen["pay"]["status"] == "skipped" and chosen["audit"]["status"] == "succeeded"
    assert admin.get(f"{API}/runs/{large['id']}/steps/route").json()["next"] == ["review", "audit"]


def test_naming_a_node_that_is_not_a_successor_fails_the_step_naming_the_allowed_ones(admin: httpx.Client) -> None:
    _save_router(admin, "typo", 'import lockgate_step\nlockgate_step.route(["payy"])')
    run = _run(admin, "typo", 1)
    assert run["status"] == "failed"
    step = next(s for s in run["steps"] if s["key"] == "route")
    assert step["error"]["kind"] == "invalid_next"
    assert step["error"]["message"] == (
        "step 'route' chose next 'payy', which is not a successor of 'route'; "
        "its successors are 'pay', 'review', 'audit'"
    )
    assert [a["number"] for a in step["attempts"]] == [1]
    assert "its successors are 'pay', 'review', 'audit'" in run["error"]["message"]
