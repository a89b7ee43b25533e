"""The builder's loop over HTTP: a draft saved with problems, draft runs, pins, one node alone, re-run from a node."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.integration.api.test_runs import API, TERMINAL, script, wait_for

if TYPE_CHECKING:
    import httpx

INPUT = {"topic": {"type": "string", "required": True}}


def definition(name: str = "loop") -> dict[str, Any]:
    """The script fetch → shape (a transform of its output) → shout (a transform of that)."""
    return {
        "name": name,
        "input": INPUT,
        "nodes": [
            script("fetch", "print('{\"n\": 1}')"),
            {"id": "shape", "kind": "transform", "config": {"value": "{{ input.topic }}-{{ nodes.fetch.output.n }}"}},
            {"id": "shout", "kind": "transform", "config": {"value": "{{ nodes.shape.output | upper }}"}},
        ],
        "edges": [{"source": "fetch", "target": "shape"}, {"source": "shape", "target": "shout"}],
    }


def put_draft(client: httpx.Client, body: dict[str, Any], pins: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.put(f"{API}/pipelines/{body['name']}/draft", json={"definition": body, "pins": pins or {}})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def run_draft(client: httpx.Client, name: str, **body: Any) -> dict[str, Any]:
    created = client.post(f"{API}/pipelines/{name}/draft/runs", json={"input": {"topic": "t"}, **body})
    assert created.status_code == 201, created.text
    return wait_for(client, created.json()["id"], TERMINAL)


def steps_of(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["key"]: s for s in run["steps"]}


def test_a_draft_is_saved_with_its_problems_and_only_runs_or_publishes_once_valid(admin: httpx.Client) -> None:
    broken = definition()
    broken["nodes"][1] = {"id": "shape", "config": {"value": "x"}}  # no kind yet: being built
    saved = put_draft(admin, broken)
    assert saved["definition"] == broken  # kept as the editor sent it
    assert any(p["node_id"] == "shape" and p["field"] == "kind" for p in saved["problems"]), saved["problems"]
    assert admin.get(f"{API}/pipelines/loop/draft").json()["problems"] == saved["problems"]

    refused = admin.post(f"{API}/pipelines/loop/draft/runs", json={"input": {"topic": "t"}})
    assert refused.status_code == 422 and any(e["node_id"] == "shape" for e in refused.json()["errors"])
    assert admin.post(f"{API}/pipelines", json=broken).status_code == 422  # publishing needs a valid definition

    assert put_draft(admin, definition())["problems"] == []
    mismatch = admin.put(f"{API}/pipelines/other/draft", json={"definition": definition()})
    assert mismatch.status_code == 422 and "definition.name" in mismatch.text
    assert admin.get(f"{API}/pipelines/nothing/draft").status_code == 404
    long_name = admin.put(f"{API}/pipelines/{'x' * 64}/draft", json={"definition": {}})
    assert long_name.status_code == 422 and "name" in long_name.text  # a name no pipeline could have


def test_a_draft_run_is_a_run_kept_apart_from_published_ones(admin: httpx.Client) -> None:
    assert admin.post(f"{API}/pipelines", params={"message": "first cut"}, json=definition()).status_code == 201
    first = admin.post(f"{API}/pipelines/loop/runs", json={"input": {"topic": "t"}}).json()
    wait_for(admin, first["id"], TERMINAL)

    changed = definition()
    changed["nodes"][2]["config"]["value"] = "{{ nodes.shape.output }}!"
    put_draft(admin, changed)
    run = run_draft(admin, "loop")
    assert run["status"] == "succeeded" and run["draft"] is True and run["ref"] == "loop/v2"
    assert run["output"] == {"shout": "t-1!"}

    listed = admin.get(f"{API}/runs", params={"pipeline": "loop"}).json()["items"]
    assert [r["ref"] for r in listed] == ["loop/v1"]  # a draft run is the editor's, not the pipeline's history
    drafts = admin.get(f"{API}/runs", params={"pipeline": "loop", "drafts": True}).json()["items"]
    assert [r["ref"] for r in drafts] == ["loop/v2"]
    pipeline = admin.get(f"{API}/pipelines/loop").json()
    assert pipeline["latest_run"] == 1 and pipeline["last_run_number"] == 1 and pipeline["latest_version"] == 1
    versions = admin.get(f"{API}/pipelines/loop/versions").json()
    assert [(v["number"], v["author"], v["message"]) for v in versions] == [(1, "admin", "first cut")]


def test_pins_stand_in_for_nodes_in_draft_runs_and_never_in_published_runs(admin: httpx.Client) -> None:
    put_draft(admin, definition(), pins={"fetch": {"n": 42}})
    drafted = run_draft(admin, "loop")
    assert drafted["output"] == {"shout": "T-42"}
    fetch = steps_of(drafted)["fetch"]
    assert fetch["output"] == {"n": 42} and [a["status"] for a in fetch["attempts"]] == ["reused"]

    assert admin.post(f"{API}/pipelines", json=definition()).status_code == 201  # the very definition, published
    created = admin.post(f"{API}/pipelines/loop/runs", json={"input": {"topic": "t"}}).json()
    published = wait_for(admin, created["id"], TERMINAL)
    assert published["output"] == {"shout": "T-1"}  # the script ran: no pin reaches a published run
    assert [a["status"] for a in steps_of(published)["fetch"]["attempts"]] == ["succeeded"]

    stale = put_draft(admin, definition(), pins={"gone": 1})
    assert [(p["node_id"], p["field"]) for p in stale["problems"]] == [("gone", "pin")]


def test_one_node_runs_alone_with_its_upstream_from_the_last_run_or_a_pin(admin: httpx.Client) -> None:
    put_draft(admin, definition())
    run_draft(admin, "loop")  # v1: fetch gave 1

    alone = run_draft(admin, "loop", only="shape")
    steps = steps_of(alone)
    assert set(steps) == {"fetch", "shape"}  # nothing downstream of the node runs
    assert [a["status"] for a in steps["fetch"]["attempts"]] == ["reused"]  # taken from the last run
    assert steps["shape"]["output"] == "t-1" and steps["shape"]["attempts"][0]["status"] == "succeeded"

    put_draft(admin, definition(), pins={"fetch": {"n": 7}, "shape": "pinned"})
    pinned = steps_of(run_draft(admin, "loop", only="shape"))
    assert pinned["shape"]["output"] == "t-7"  # the node asked for runs even when pinned; its upstream is the pin

    unknown = admin.post(f"{API}/pipelines/loop/draft/runs", json={"input": {"topic": "t"}, "only": "nope"})
    assert unknown.status_code == 422 and "only" in unknown.text
    both = admin.post(f"{API}/pipelines/loop/draft/runs", json={"input": {}, "only": "shape", "start_at": "shape"})
    assert both.status_code == 422 and "only" in both.text


def test_a_draft_run_reruns_from_a_node(admin: httpx.Client) -> None:
    put_draft(admin, definition())
    refused = admin.post(f"{API}/pipelines/loop/draft/runs", json={"input": {"topic": "t"}, "start_at": "shape"})
    assert refused.status_code == 422 and "start_at" in refused.text  # no earlier run to take fetch from
    first = run_draft(admin, "loop")

    changed = definition()
    changed["nodes"][1]["config"]["value"] = "again-{{ nodes.fetch.output.n }}"
    put_draft(admin, changed)
    again = run_draft(admin, "loop", start_at="shape")
    assert again["extends"] == first["ref"] and again["output"] == {"shout": "AGAIN-1"}
    steps = steps_of(again)
    assert [a["status"] for a in steps["fetch"]["attempts"]] == ["reused"]
    assert steps["shout"]["attempts"][0]["status"] == "succeeded"


def test_new_pipelines_start_from_the_examples_and_pipelines_marked_as_templates(admin: httpx.Client) -> None:
    offered = admin.get(f"{API}/templates").json()
    examples = {t["name"]: t for t in offered if t["source"] == "example"}
    assert {"linear", "branching"} <= examples.keys()
    assert examples["linear"]["definition"]["name"] == "linear" and examples["linear"]["description"]
    assert not any(t["source"] == "pipeline" for t in offered)

    assert admin.post(f"{API}/pipelines", json=definition()).status_code == 201
    assert admin.put(f"{API}/pipelines/loop/template", json={"template": True}).status_code == 204
    assert admin.get(f"{API}/pipelines/loop").json()["template"] is True
    marked = [t for t in admin.get(f"{API}/templates").json() if t["source"] == "pipeline"]
    assert [(t["name"], t["definition"]["nodes"][0]["id"]) for t in marked] == [("loop", "fetch")]
    assert admin.put(f"{API}/pipelines/loop/template", json={"template": False}).status_code == 204
    assert not any(t["source"] == "pipeline" for t in admin.get(f"{API}/templates").json())
    assert admin.put(f"{API}/pipelines/nope/template", json={"template": True}).status_code == 404
