"""Sub-pipelines over HTTP: what saving checks (422s naming the node and field) and a run that calls another."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.integration.api.test_runs import TERMINAL, wait_for

if TYPE_CHECKING:
    import httpx

API = "/api/v1"
GREET: dict[str, Any] = {
    "name": "greet",
    "input": {"who": {"type": "string", "required": True}},
    "nodes": [{"id": "hello", "kind": "transform", "config": {"value": "hello {{ input.who }}"}}],
    "output": {"greeting": "{{ nodes.hello.output }}"},
}


def _caller(name: str, target: str, input_: dict[str, Any]) -> dict[str, Any]:
    node = {"id": "call", "kind": "subpipeline", "config": {"pipeline": target, "input": input_}}
    return {"name": name, "input": {"who": {"type": "string", "required": False}}, "nodes": [node]}


def _problems(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    return [(e["node_id"], e["field"]) for e in response.json()["errors"]]


def test_saving_checks_the_called_pipeline_its_input_and_cycles(admin: httpx.Client) -> None:
    assert _problems(admin.post(f"{API}/pipelines", json=_caller("outer", "greet", {}))) == [
        ("call", "config.pipeline")
    ]
    assert admin.post(f"{API}/pipelines", json=GREET).status_code == 201
    assert _problems(admin.post(f"{API}/pipelines/validate", json=_caller("outer", "greet", {"who": 3}))) == [
        ("call", "config.input.who")
    ]
    assert admin.post(f"{API}/pipelines", json=_caller("outer", "greet", {"who": "{{ input.who }}"})).status_code == 201
    # greet calling outer back would close a loop: refused, and greet stays as it was
    looped = {**GREET, "nodes": [*GREET["nodes"], _caller("x", "outer", {})["nodes"][0]]}
    refused = admin.post(f"{API}/pipelines", json=looped)
    assert _problems(refused) == [("call", "config.pipeline")]
    assert "greet → outer → greet" in refused.text
    assert admin.get(f"{API}/pipelines/greet").json()["latest_version"] == 1


def test_a_run_over_http_calls_another_pipeline(admin: httpx.Client) -> None:
    admin.post(f"{API}/pipelines", json=GREET)
    admin.post(f"{API}/pipelines", json=_caller("outer", "greet", {"who": "{{ input.who }}"}))
    run = admin.post(f"{API}/pipelines/outer/runs", json={"input": {"who": "ada"}}).json()
    done = wait_for(admin, run["id"], TERMINAL)
    assert done["status"] == "succeeded", done
    assert done["output"] == {"call": {"greeting": "hello ada"}}
    [child] = admin.get(f"{API}/runs", params={"pipeline": "greet"}).json()["items"]
    assert (child["number"], child["status"], child["input"]) == (1, "succeeded", {"who": "ada"})
    steps = {s["key"]: s for s in done["steps"]}
    assert steps["call"]["child_run"] == {"id": child["id"], "ref": "greet/v1", "status": "succeeded",
                                          "step": "call", "attempt": 1}  # fmt: skip
    assert admin.get(f"{API}/runs/{run['id']}/steps/call").json()["child_run"]["id"] == child["id"]
    parent = admin.get(f"{API}/runs/{child['id']}").json()["parent"]
    assert parent == {"id": run["id"], "ref": "outer/v1", "status": "succeeded", "step": "call", "attempt": 1}
    progress = admin.get(f"{API}/runs/{child['id']}/progress").json()
    assert progress["parent"]["ref"] == "outer/v1"
