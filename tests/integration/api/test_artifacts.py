"""Artifacts over HTTP: listing, metadata, download and preview — on both backends."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from lockgate.security.api_keys import Role
from lockgate.store.tables import artifacts

if TYPE_CHECKING:
    import httpx
    from tests.integration.api.conftest import Server

API = "/api/v1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
WRITE = f"""
import json, pathlib
pathlib.Path("report.md").write_text("# Report\\nall good\\n")
pathlib.Path("data.json").write_text(json.dumps({{"b": [1, 2], "a": "x"}}))
pathlib.Path("big.txt").write_text("y" * 300_000)
pathlib.Path("table.csv").write_text("a,b\\n1,2\\n")
pathlib.Path("pic.png").write_bytes({PNG!r})
pathlib.Path("blob.bin").write_bytes(bytes(range(256)))
print("{{}}")
"""


def finished_run(client: httpx.Client) -> dict[str, Any]:
    nodes = [
        {"id": "make", "kind": "script", "config": {"code": WRITE}},
        {"id": "more", "kind": "script", "config": {"code": "open('note.txt', 'w').write('hi'); print('{}')"}},
    ]
    definition = {"name": "arts", "nodes": nodes, "edges": [{"source": "make", "target": "more"}]}
    assert client.post(f"{API}/pipelines", json=definition).status_code in {200, 201}
    run: dict[str, Any] = client.post(f"{API}/pipelines/arts/runs", json={}).json()
    deadline = time.monotonic() + 30
    while (body := client.get(f"{API}/runs/{run['id']}").json())["status"] not in {"succeeded", "failed"}:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert body["status"] == "succeeded", body
    return run


def by_name(client: httpx.Client, run_id: str) -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in client.get(f"{API}/runs/{run_id}/artifacts").json()}


def test_list_and_metadata(admin: httpx.Client) -> None:
    run = finished_run(admin)
    found = by_name(admin, run["id"])
    assert {"report.md", "data.json", "big.txt", "table.csv", "pic.png", "blob.bin", "note.txt"} <= set(found)
    made = admin.get(f"{API}/runs/arts/v1/artifacts", params={"step": "make"}).json()
    assert {a["step_key"] for a in made} == {"make"} and "note.txt" not in {a["name"] for a in made}
    report = found["report.md"]
    assert report["media_type"] == "text/markdown" and report["size"] == len("# Report\nall good\n")
    assert admin.get(f"{API}/artifacts/{report['id']}").json() == report
    assert admin.get(f"{API}/artifacts/nope").status_code == 404
    assert admin.get(f"{API}/runs/nope/artifacts").status_code == 404


def test_download_has_the_media_type_and_a_file_name(admin: httpx.Client) -> None:
    found = by_name(admin, finished_run(admin)["id"])
    blob = admin.get(f"{API}/artifacts/{found['blob.bin']['id']}/content")
    assert blob.status_code == 200 and blob.content == bytes(range(256))
    assert blob.headers["content-type"] == "application/octet-stream"
    assert 'filename="blob.bin"' in blob.headers["content-disposition"]
    pic = admin.get(f"{API}/artifacts/{found['pic.png']['id']}/content")
    assert pic.headers["content-type"] == "image/png" and pic.content == PNG
    assert admin.get(f"{API}/artifacts/nope/content").status_code == 404


def test_preview_by_media_type(admin: httpx.Client) -> None:
    found = by_name(admin, finished_run(admin)["id"])
    data = admin.get(f"{API}/artifacts/{found['data.json']['id']}/preview").json()
    assert data["kind"] == "json" and data["truncated"] is False
    assert data["content"] == json.dumps({"b": [1, 2], "a": "x"}, indent=2)
    report = admin.get(f"{API}/artifacts/{found['report.md']['id']}/preview").json()
    assert report["content"] == "# Report\nall good\n" and report["kind"] == "markdown"
    table = admin.get(f"{API}/artifacts/{found['table.csv']['id']}/preview").json()
    assert table["content"] == "a,b\n1,2\n" and table["kind"] == "csv" and table["rows"] == [["a", "b"], ["1", "2"]]
    big = admin.get(f"{API}/artifacts/{found['big.txt']['id']}/preview").json()
    assert big["truncated"] is True and len(big["content"]) == 200 * 1024 and big["kind"] == "text"
    pic = admin.get(f"{API}/artifacts/{found['pic.png']['id']}/preview")
    assert pic.headers["content-type"] == "image/png" and pic.content == PNG
    blob = admin.get(f"{API}/artifacts/{found['blob.bin']['id']}/preview")
    assert blob.status_code == 415
    assert "application/octet-stream" in blob.json()["detail"]


def test_a_path_outside_the_run_folder_is_refused(server: Server, admin: httpx.Client) -> None:
    found = by_name(admin, finished_run(admin)["id"])
    secret = server.settings.home / "secret.txt"
    secret.write_text("do not serve")
    engine = sa.create_engine(server.settings.db_url)
    with engine.begin() as conn:
        conn.execute(
            sa.update(artifacts).where(artifacts.c.id == found["note.txt"]["id"]).values(path="../../../../secret.txt")
        )
    engine.dispose()
    for suffix in ("content", "preview"):
        response = admin.get(f"{API}/artifacts/{found['note.txt']['id']}/{suffix}")
        assert response.status_code == 404, response.text
        assert "do not serve" not in response.text


def test_viewer_reads_artifacts_anonymous_does_not(server: Server, admin: httpx.Client) -> None:
    found = by_name(admin, finished_run(admin)["id"])
    with server.client(Role.VIEWER) as viewer:
        assert viewer.get(f"{API}/artifacts/{found['report.md']['id']}/content").status_code == 200
    with server.client(None) as anonymous:
        assert anonymous.get(f"{API}/artifacts/{found['report.md']['id']}").status_code == 401


def test_compare_two_artifacts(admin: httpx.Client) -> None:
    found = by_name(admin, finished_run(admin)["id"])
    second = by_name(admin, finished_run(admin)["id"])  # the same pipeline again: v2
    same = admin.get(f"{API}/artifacts/{found['data.json']['id']}/compare", params={"other": second["data.json"]["id"]})
    body = same.json()
    assert same.status_code == 200 and body["kind"] == "json" and body["identical"] is True
    assert body["diff"] == "" and body["json_changes"] == []
    text = admin.get(f"{API}/artifacts/{found['report.md']['id']}/compare", params={"other": found["note.txt"]["id"]})
    assert text.json()["kind"] == "text" and "-# Report" in text.json()["diff"] and "+hi" in text.json()["diff"]
    binary = admin.get(f"{API}/artifacts/{found['blob.bin']['id']}/compare", params={"other": found["pic.png"]["id"]})
    assert binary.json()["kind"] == "binary" and binary.json()["identical"] is False
    images = admin.get(f"{API}/artifacts/{found['pic.png']['id']}/compare", params={"other": second["pic.png"]["id"]})
    assert images.json()["kind"] == "image" and images.json()["identical"] is True
    assert admin.get(f"{API}/artifacts/{found['pic.png']['id']}/compare", params={"other": "nope"}).status_code == 404
    across = admin.get(f"{API}/runs/arts/v1/steps/make/compare", params={"name": "data.json", "other_run": "v2"})
    assert across.status_code == 200 and across.json()["right"]["id"] == second["data.json"]["id"]
    missing = admin.get(f"{API}/runs/arts/v1/steps/make/compare", params={"name": "ghost.txt"})
    assert missing.status_code == 404
    filtered = admin.get(f"{API}/runs/arts/v1/artifacts", params={"name": "data.json", "attempt": 1}).json()
    assert [a["id"] for a in filtered] == [found["data.json"]["id"]]
    assert admin.get(f"{API}/runs/arts/v1/artifacts", params={"archived": True}).json() == []
