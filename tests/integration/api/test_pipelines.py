"""Pipelines over HTTP: versions by content, listing, diff, export, validation, archive — on both backends."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx
import yaml
from tests.integration.test_cli import EVERYTHING_WRONG, EVERYTHING_WRONG_WHERE, TYPOS

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    from tests.integration.api.conftest import Server

API = "/api/v1"


def definition(name: str = "demo", *extra_nodes: dict[str, Any], **fields: Any) -> dict[str, Any]:
    nodes = [{"id": "a", "kind": "transform", "config": {"value": 1}}, *extra_nodes]
    edges = [{"source": "a", "target": n["id"]} for n in extra_nodes]
    return {"name": name, "nodes": nodes, "edges": edges, **fields}


def snapshot(client: httpx.Client) -> Any:
    """Everything a refused request must leave alone."""
    listing = client.get(f"{API}/pipelines").json()
    versions = {p["name"]: client.get(f"{API}/pipelines/{p['name']}/versions").json() for p in listing["items"]}
    return listing, versions


def test_versions_are_numbered_by_content(admin: httpx.Client) -> None:
    first = admin.post(f"{API}/pipelines", json=definition())
    assert first.status_code == 201, first.text
    assert first.json() | {"hash": "", "created_at": ""} == {
        "pipeline": "demo", "number": 1, "created": True, "hash": "", "created_at": "", "author": "admin",
        "message": None,
    }  # fmt: skip
    same = admin.post(f"{API}/pipelines", json=definition())
    assert same.status_code == 200
    assert same.json()["created"] is False and same.json()["number"] == 1
    text = yaml.safe_dump(definition("demo", {"id": "b", "kind": "noop"}))
    second = admin.post(f"{API}/pipelines", content=text, headers={"content-type": "application/yaml"})
    assert second.status_code == 201, second.text
    assert second.json()["number"] == 2
    as_json_text = admin.post(
        f"{API}/pipelines", content=json.dumps(definition()), headers={"content-type": "application/json"}
    )
    assert as_json_text.status_code == 200 and as_json_text.json()["number"] == 1

    got = admin.get(f"{API}/pipelines/demo").json()
    assert got["latest_version"] == 2 and got["last_run_status"] is None
    versions = admin.get(f"{API}/pipelines/demo/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    v1 = admin.get(f"{API}/pipelines/demo/versions/1").json()
    assert v1["definition"]["nodes"] == [{"id": "a", "kind": "transform", "config": {"value": 1}}]


def test_diff_names_nodes_and_edges(admin: httpx.Client) -> None:
    admin.post(f"{API}/pipelines", json=definition("d", {"id": "b", "kind": "noop"}))
    changed = definition("d", {"id": "c", "kind": "noop"})
    changed["nodes"][0]["config"] = {"value": 2}
    changed["nodes"][0]["timeout"] = "5s"
    assert admin.post(f"{API}/pipelines", json=changed).status_code == 201
    diff = admin.get(f"{API}/pipelines/d/diff", params={"from": 1, "to": 2})
    assert diff.status_code == 200, diff.text
    body = diff.json()
    assert body["nodes_added"] == ["c"] and body["nodes_removed"] == ["b"]
    assert body["nodes_changed"] == [{"id": "a", "fields": ["config", "timeout"]}]
    assert body["edges_added"] == [{"source": "a", "target": "c", "branch": None, "when": None}]
    assert body["edges_removed"] == [{"source": "a", "target": "b", "branch": None, "when": None}]
    assert admin.get(f"{API}/pipelines/d/diff", params={"from": 1, "to": 9}).status_code == 404
    assert admin.get(f"{API}/pipelines/d/diff", params={"from": "x", "to": 2}).status_code == 422


def test_export_round_trips(admin: httpx.Client) -> None:
    admin.post(f"{API}/pipelines", json=definition("ex", {"id": "b", "kind": "noop"}))
    stored = admin.get(f"{API}/pipelines/ex/versions/1").json()["definition"]
    as_yaml = admin.get(f"{API}/pipelines/ex/export")
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(as_yaml.text) == stored
    as_json = admin.get(f"{API}/pipelines/ex/export", params={"format": "json"})
    assert as_json.json() == stored
    assert admin.get(f"{API}/pipelines/ex/export", params={"format": "xml"}).status_code == 422


def test_definition_errors_list_every_problem_and_store_nothing(admin: httpx.Client) -> None:
    admin.post(f"{API}/pipelines", json=definition("keep"))
    before = snapshot(admin)
    bad = {"name": "bad", "nodes": [{"id": "a", "kind": "nope"}, {"id": "b", "kind": "transform", "config": {}}]}
    response = admin.post(f"{API}/pipelines", json=bad)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {"node_id": "a", "field": "kind"} in [{k: e[k] for k in ("node_id", "field")} for e in errors]
    assert any(e["node_id"] == "b" and e["field"].startswith("config") for e in errors)

    unknown_ref = definition("bad2")
    unknown_ref["edges"] = [{"source": "a", "target": "ghost"}]
    errors = admin.post(f"{API}/pipelines", json=unknown_ref).json()["errors"]
    assert any("ghost" in e["message"] for e in errors)

    cases: list[dict[str, Any]] = [
        {"content": b"{not json", "headers": {"content-type": "application/json"}},
        {"content": b"name: [unclosed", "headers": {"content-type": "application/yaml"}},
        {"json": {"name": "x", "nodes": "a"}},  # wrong type
        {"json": {**definition("x"), "colour": "red"}},  # unknown field
        {"json": ["a list"]},
        {"content": b"\xff\xfe", "headers": {"content-type": "application/json"}},
    ]
    for case in cases:
        refused = admin.post(f"{API}/pipelines", **case)
        assert refused.status_code == 422, (case, refused.text)
        assert refused.json()["errors"], refused.text
    assert snapshot(admin) == before


def test_put_saves_a_version_of_the_named_pipeline(admin: httpx.Client) -> None:
    admin.post(f"{API}/pipelines", json=definition("p"))
    before = snapshot(admin)
    mismatch = admin.put(f"{API}/pipelines/p", json=definition("other"))
    assert mismatch.status_code == 422 and mismatch.json()["errors"][0]["field"] == "name"
    assert admin.put(f"{API}/pipelines/ghost", json=definition("ghost")).status_code == 404
    assert snapshot(admin) == before
    put = admin.put(f"{API}/pipelines/p", json=definition("p", {"id": "b", "kind": "noop"}))
    assert put.status_code == 201 and put.json()["number"] == 2
    assert admin.put(f"{API}/pipelines/p", json=definition("p", {"id": "b", "kind": "noop"})).status_code == 200


def test_validate_saves_nothing(admin: httpx.Client) -> None:
    ok = admin.post(f"{API}/pipelines/validate", json=definition("v", {"id": "b", "kind": "noop"}))
    assert ok.status_code == 200
    assert ok.json() == {"valid": True, "nodes": 2, "edges": 1}
    bad = admin.post(f"{API}/pipelines/validate", json={"name": "v", "nodes": []})
    assert bad.status_code == 422 and bad.json()["errors"]
    assert admin.get(f"{API}/pipelines").json()["items"] == []
    assert admin.get(f"{API}/pipelines/v").status_code == 404


def test_validate_and_save_answer_every_problem_in_one_422(admin: httpx.Client) -> None:
    for path in ("/validate", ""):
        answered = admin.post(f"{API}/pipelines{path}", json=EVERYTHING_WRONG)
        assert answered.status_code == 422, answered.text
        body = answered.json()
        assert body["code"] == "definition_errors"
        assert [(e["node_id"], e["field"]) for e in body["errors"]] == EVERYTHING_WRONG_WHERE
        assert "cycle: b → c → b" in body["detail"] and "'tpoic'" in body["detail"]
    assert admin.get(f"{API}/pipelines/everything-wrong").status_code == 404


def test_a_yaml_definitions_problems_name_their_line_and_the_nearest_valid_name(admin: httpx.Client) -> None:
    refused = admin.post(f"{API}/pipelines/validate", content=TYPOS, headers={"content-type": "application/yaml"})
    assert refused.status_code == 422, refused.text
    errors = {(e["node_id"], e["field"]): (e["message"], e.get("line")) for e in refused.json()["errors"]}
    assert errors[("fetch", "kind")] == ("unknown kind 'scirpt': did you mean `script`?", 4)
    assert errors[("shape", "inpts")] == ("unknown field 'inpts': did you mean `inputs`?", 8)
    as_json = admin.post(f"{API}/pipelines/validate", json=yaml.safe_load(TYPOS)).json()["errors"]
    assert all("line" not in e for e in as_json)  # JSON has no lines to point at; the words are the same
    assert {e["message"] for e in as_json} == {message for message, _ in errors.values()}


def test_list_pages_with_a_cursor_and_searches_names(admin: httpx.Client) -> None:
    for name in ("alpha", "beta", "gamma", "delta", "alphabet"):
        admin.post(f"{API}/pipelines", json=definition(name))
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = admin.get(f"{API}/pipelines", params=params).json()
        seen += [p["name"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["alpha", "alphabet", "beta", "delta", "gamma"]
    found = admin.get(f"{API}/pipelines", params={"q": "alpha"}).json()["items"]
    assert [p["name"] for p in found] == ["alpha", "alphabet"]
    assert admin.get(f"{API}/pipelines", params={"limit": 0}).status_code == 422
    assert admin.get(f"{API}/pipelines", params={"cursor": "!!"}).status_code == 422


def test_list_shows_the_last_run(admin: httpx.Client) -> None:
    admin.post(f"{API}/pipelines", json=definition("ran"))
    run = admin.post(f"{API}/pipelines/ran/runs", json={}).json()
    item = admin.get(f"{API}/pipelines").json()["items"][0]
    assert item["last_run_number"] == run["number"] == 1
    assert item["last_run_status"] in {"pending", "running", "succeeded"}


def test_delete_archives_and_keeps_runs(admin: httpx.Client) -> None:
    admin.post(f"{API}/pipelines", json=definition("old"))
    run = admin.post(f"{API}/pipelines/old/runs", json={}).json()
    assert admin.delete(f"{API}/pipelines/old").status_code == 204
    assert admin.get(f"{API}/pipelines").json()["items"] == []
    assert admin.get(f"{API}/pipelines/old").status_code == 404
    assert admin.delete(f"{API}/pipelines/old").status_code == 404
    assert admin.post(f"{API}/pipelines/old/runs", json={}).status_code == 404
    assert admin.get(f"{API}/runs/{run['id']}").status_code == 200
    assert admin.post(f"{API}/pipelines", json=definition("old")).status_code == 200  # saved again: back in the list
    assert [p["name"] for p in admin.get(f"{API}/pipelines").json()["items"]] == ["old"]


def test_unknown_pipeline_is_404(admin: httpx.Client) -> None:
    for path in ("/pipelines/none", "/pipelines/none/versions", "/pipelines/none/versions/1", "/pipelines/none/export"):
        response = admin.get(f"{API}{path}")
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"


def test_roles_viewer_reads_editor_writes(server: Server) -> None:
    with server.client(Role.VIEWER) as viewer, server.client(Role.OPERATOR) as operator:
        assert viewer.get(f"{API}/pipelines").status_code == 200
        assert viewer.post(f"{API}/pipelines", json=definition()).status_code == 403
        assert operator.post(f"{API}/pipelines", json=definition()).status_code == 403
        assert operator.delete(f"{API}/pipelines/demo").status_code == 403
    with server.client(Role.EDITOR) as editor:
        assert editor.post(f"{API}/pipelines", json=definition()).status_code == 201
    with server.client(None) as anonymous:
        assert anonymous.get(f"{API}/pipelines").status_code == 401


def test_openapi_documents_both_body_types(server: Server) -> None:
    document = httpx.get(f"{server.base_url}{API}/openapi.json").json()
    body = document["paths"][f"{API}/pipelines"]["post"]["requestBody"]["content"]
    assert {"application/json", "application/yaml", "text/yaml"} <= set(body)
    assert document["paths"][f"{API}/pipelines"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/PipelinePage"}
