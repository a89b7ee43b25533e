"""examples/editorial.yaml end to end over HTTP: reviews with two revisions, a form, rollback, extend, latest.

Every answer comes from the role a real team would use: editors review drafts (the draft's assignees are
``role:editor``), an operator signs off. Files are checked on disk, where a person would look for them.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from tests.integration.api.people import API, events, load_editorial, open_task, wait_run, wait_status

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.integration.api.conftest import Server

SIGN_OFF = {"headline": "Durable pipelines, reviewed", "publish_on": "2026-12-01", "channel": "newsletter"}
NOTE = b"a note for the newsletter\n"


@dataclass
class Team:
    admin: httpx.Client
    editor: httpx.Client
    operator: httpx.Client
    viewer: httpx.Client
    home: Path

    def run_dir(self, number: int) -> Path:
        return self.home / "pipelines" / "editorial" / "runs" / f"v{number}"


@pytest.fixture
def team(server: Server) -> Iterator[Team]:
    clients = {role: server.client(role) for role in (Role.ADMIN, Role.EDITOR, Role.OPERATOR, Role.VIEWER)}
    try:
        yield Team(clients[Role.ADMIN], clients[Role.EDITOR], clients[Role.OPERATOR], clients[Role.VIEWER],
                   home=server.settings.home)  # fmt: skip
    finally:
        for client in clients.values():
            client.close()


def review(team: Team, run: str, seen: set[str]) -> dict[str, Any]:
    task = open_task(team.editor, run, "draft", not_in=seen)
    seen.add(task["id"])
    detail: dict[str, Any] = team.editor.get(f"{API}/tasks/{task['id']}").json()
    assert detail["purpose"] == "approve_complete" and detail["can_answer"] is True
    return detail


def revise_twice_then_approve(team: Team, run: str) -> set[str]:
    seen: set[str] = set()
    first = review(team, run, seen)
    assert first["output"]["feedback"] is None and first["output"]["points"] == 4
    assert first["actions"] == ["approve", "revise", "reject"] and first["assignees"] == ["role:editor"]
    assert [a["name"] for a in first["artifacts"]] == ["draft.md"]
    answered = team.editor.post(f"{API}/tasks/{first['id']}/revise", json={"feedback": "Shorter, please"})
    assert answered.status_code == 200 and answered.json()["status"] == "revision_requested"
    second = review(team, run, seen)
    assert second["output"]["feedback"] == "Shorter, please" and second["output"]["points"] == 2
    assert second["attempt"] == 2 and second["revisions"] == 1
    attempts = second["step_detail"]["attempts"]
    assert [(a["number"], a["feedback"]) for a in attempts] == [(1, None), (2, "Shorter, please")]
    assert second["step_detail"]["attempts"][0]["output"]["points"] == 4  # the first attempt's output is kept
    team.editor.post(f"{API}/tasks/{second['id']}/revise", json={"feedback": "Thank the readers"})
    third = review(team, run, seen)
    assert third["output"]["text"].endswith("Editor's note: Thank the readers")
    assert {(a["name"], a["attempt"]) for a in third["artifacts"]} == {("draft.md", n) for n in (1, 2, 3)}
    approved = team.editor.post(f"{API}/tasks/{third['id']}/approve", json={"comment": "good"}).json()
    assert approved["status"] == "approved" and approved["closed_by"] == "editor" and approved["actions"] == []
    return seen


def compare_attempts(team: Team, run: str) -> None:
    compared = team.viewer.get(f"{API}/runs/{run}/steps/draft/compare",
                               params={"name": "draft.md", "attempt": 1, "other_attempt": 2}).json()  # fmt: skip
    assert compared["kind"] == "text" and compared["identical"] is False
    assert "-Every run is numbered" in compared["diff"] and "@@" in compared["diff"]
    assert compared["left"]["attempt"] == 1 and compared["right"]["attempt"] == 2
    earlier = (team.run_dir(1) / ".attempts" / "draft" / "1" / "draft.md").read_text()
    assert "Every run is numbered" in earlier  # the first attempt's file is kept on disk


def sign_off(team: Team, run: str, *, with_file: bool = True) -> dict[str, Any]:
    task = open_task(team.operator, run, "sign_off")
    detail: dict[str, Any] = team.operator.get(f"{API}/tasks/{task['id']}").json()
    assert detail["purpose"] == "form" and detail["title"].startswith("Sign off: Durable pipelines")
    assert [f["name"] for f in detail["form"]] == ["headline", "publish_on", "channel", "attachment"]
    assert detail["form"][0]["default"] == "Durable pipelines for engineers"
    values: dict[str, Any] = dict(SIGN_OFF)
    if with_file:
        values["attachment"] = {"filename": "note.txt", "content_base64": base64.b64encode(NOTE).decode()}
    submitted = team.operator.post(f"{API}/tasks/{task['id']}/submit", json={"values": values})
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted" and submitted.json()["closed_by"] == "operator"
    return detail


def check_published(team: Team, run: str, number: int) -> dict[str, Any]:
    done: dict[str, Any] = wait_run(team.viewer, run)
    assert done["output"]["published"]["headline"] == SIGN_OFF["headline"]
    article = (team.run_dir(number) / "publish" / "article.md").read_text()
    assert article.startswith("# Durable pipelines, reviewed\n\n_newsletter, 2026-12-01_")
    saved = json.loads((team.run_dir(number) / "sign_off" / "sign_off.json").read_text())
    assert saved["headline"] == SIGN_OFF["headline"]
    return done


def test_the_editorial_pipeline_end_to_end(team: Team) -> None:
    load_editorial(team.admin)
    run = team.operator.post(f"{API}/pipelines/editorial/runs", json={}).json()
    assert run["ref"] == "editorial/v1"
    revise_twice_then_approve(team, run["id"])
    compare_attempts(team, run["id"])
    form = sign_off(team, run["id"])
    done = check_published(team, run["id"], 1)
    assert done["output"]["draft_attempts"] == 3
    assert (team.run_dir(1) / "sign_off" / "attachment" / "note.txt").read_bytes() == NOTE
    assert "Attached: note.txt" in (team.run_dir(1) / "publish" / "article.md").read_text()
    again = team.operator.post(f"{API}/tasks/{form['id']}/submit", json={"values": SIGN_OFF})
    assert again.status_code == 409 and again.json()["code"] == "task_closed"
    answers = team.viewer.get(f"{API}/runs/{run['id']}/interactions").json()
    assert [(a["step"], a["action"], a["by"]) for a in answers] == [
        ("draft", "revise", "editor"),
        ("draft", "revise", "editor"),
        ("draft", "approve", "editor"),
        ("sign_off", "submit", "operator"),
    ]
    assert answers[0]["feedback"] == "Shorter, please" and answers[3]["values"]["channel"] == "newsletter"
    kinds = [e["type"] for e in events(team.viewer, run["id"])]
    assert kinds.count("human_task_answered") == 4

    roll_back_to_draft(team, run["id"])
    extend_v1(team)
    latest_back_to_v1(team)


def roll_back_to_draft(team: Team, run: str) -> None:
    rolled = team.operator.post(f"{API}/runs/{run}/rollback", json={"node": "draft", "reason": "new angle"})
    assert rolled.status_code == 201, rolled.text
    body = rolled.json()
    assert body["kind"] == "run" and body["node"] == "draft" and body["by"] == "operator"
    assert [s["key"] for s in body["steps"]] == ["draft", "publish", "sign_off"]
    assert body["steps"][0]["output"]["attempt"] == 3
    folder = team.home / "pipelines" / "editorial" / body["folder"]
    assert folder.name.startswith(f"rollback_{body['id']}_")
    assert (folder / "draft" / "draft.md").is_file() and (folder / ".attempts" / "draft" / "1" / "draft.md").is_file()
    assert (folder / "publish" / "article.md").is_file() and (folder / "sign_off" / "sign_off.json").is_file()
    manifest = json.loads((folder / "rollback.json").read_text())
    assert manifest["node"] == "draft" and [s["key"] for s in manifest["steps"]] == ["draft", "publish", "sign_off"]
    moved = {a["name"] for a in body["artifacts"]}
    assert {"draft.md", "article.md", "sign_off.json", "attachment/note.txt"} <= moved
    archived = team.viewer.get(f"{API}/runs/{run}/artifacts", params={"archived": True}).json()
    assert {a["name"] for a in archived} == moved
    article = next(a for a in archived if a["name"] == "article.md")
    assert team.viewer.get(f"{API}/artifacts/{article['id']}/content").text.startswith("# Durable pipelines")
    assert team.viewer.get(f"{API}/runs/{run}/steps/prepare").json()["status"] == "succeeded"  # upstream untouched
    seen: set[str] = set()
    redo = review(team, run, seen)
    assert redo["attempt"] == 4 and redo["revisions"] == 0 and redo["output"]["feedback"] is None
    team.editor.post(f"{API}/tasks/{redo['id']}/approve")
    sign_off(team, run, with_file=False)
    done = check_published(team, run, 1)
    assert done["output"]["draft_attempts"] == 4
    attempts = team.viewer.get(f"{API}/runs/{run}/steps/draft").json()["attempts"]
    assert [(a["number"], a["archived"]) for a in attempts] == [(1, True), (2, True), (3, True), (4, False)]
    assert [r["id"] for r in team.viewer.get(f"{API}/runs/{run}/rollbacks").json()] == [body["id"]]


def extend_v1(team: Team) -> None:
    created = team.operator.post(f"{API}/pipelines/editorial/runs", json={"extend": "v1", "start_at": "draft"})
    assert created.status_code == 201, created.text
    v2 = created.json()
    assert v2["ref"] == "editorial/v2" and v2["extends"] == "editorial/v1" and v2["start_at"] == "draft"
    prepare = team.viewer.get(f"{API}/runs/{v2['id']}/steps/prepare").json()
    assert prepare["status"] == "succeeded" and [a["status"] for a in prepare["attempts"]] == ["reused"]
    (notes,) = team.viewer.get(f"{API}/runs/{v2['id']}/artifacts", params={"step": "prepare"}).json()
    (original,) = team.viewer.get(f"{API}/runs/editorial/v1/artifacts", params={"step": "prepare"}).json()
    assert notes["reused_from"] == original["id"] and notes["sha256"] == original["sha256"]
    assert (team.run_dir(2) / "prepare" / "notes.md").read_text() == (
        team.run_dir(1) / "prepare" / "notes.md"
    ).read_text()
    draft = review(team, v2["id"], set())
    assert draft["output"]["previous"] == "Durable pipelines for engineers"  # it read v1's draft.md
    team.editor.post(f"{API}/tasks/{draft['id']}/approve")
    sign_off(team, v2["id"], with_file=False)
    check_published(team, v2["id"], 2)
    across = team.viewer.get(f"{API}/runs/editorial/v1/steps/draft/compare",
                             params={"name": "draft.md", "other_run": "v2"}).json()  # fmt: skip
    assert across["left"]["run_id"] != across["right"]["run_id"]
    assert "+Builds on the earlier draft: Durable pipelines for engineers" in across["diff"]


def latest_back_to_v1(team: Team) -> None:
    latest = team.home / "pipelines" / "editorial" / "runs" / "latest"
    assert latest.readlink().name == "v2"
    assert team.viewer.get(f"{API}/pipelines/editorial").json()["latest_run"] == 2
    pointed = team.operator.post(f"{API}/pipelines/editorial/latest", json={"run": "v1", "reason": "v2 was wrong"})
    assert pointed.status_code == 201, pointed.text
    assert pointed.json()["kind"] == "latest" and pointed.json()["previous_latest"] == 2
    assert latest.readlink().name == "v1"
    assert team.viewer.get(f"{API}/pipelines/editorial").json()["latest_run"] == 1
    history = team.viewer.get(f"{API}/pipelines/editorial/rollbacks").json()
    assert [r["kind"] for r in history] == ["latest", "run"]
    assert events(team.viewer, "editorial/v1")[-1]["type"] == "run_made_latest"
    assert (team.run_dir(2) / "publish" / "article.md").is_file()  # nothing deleted


def test_a_refused_submission_names_each_field_and_changes_nothing(team: Team) -> None:
    load_editorial(team.admin)
    run = team.operator.post(f"{API}/pipelines/editorial/runs", json={}).json()["id"]
    draft = review(team, run, set())
    team.editor.post(f"{API}/tasks/{draft['id']}/approve")
    task = open_task(team.operator, run, "sign_off")
    before = events(team.viewer, run)
    bad = {"headline": "Hi", "publish_on": "1 Dec", "channel": "fax", "ghost": 1,
           "attachment": {"filename": "x.txt", "content_base64": "not base64!"}}  # fmt: skip
    refused = team.operator.post(f"{API}/tasks/{task['id']}/submit", json={"values": bad})
    assert refused.status_code == 422
    errors = {e["field"]: e["message"] for e in refused.json()["errors"]}
    assert set(errors) == {"values.headline", "values.publish_on", "values.channel", "values.ghost",
                           "values.attachment"}  # fmt: skip
    assert "at least 5 characters" in errors["values.headline"] and "not base64" in errors["values.attachment"]
    missing = team.operator.post(f"{API}/tasks/{task['id']}/submit", json={"values": {}})
    assert {e["field"] for e in missing.json()["errors"]} == {"values.publish_on"}  # headline has its default
    assert team.operator.get(f"{API}/tasks/{task['id']}").json()["status"] == "open"
    assert events(team.viewer, run) == before
    assert not (team.home / "pipelines" / "editorial" / ".uploads" / task["id"]).exists()
    wrong = team.operator.post(f"{API}/tasks/{task['id']}/approve")
    assert wrong.status_code == 409 and wrong.json()["code"] == "answer_not_allowed"
    assert events(team.viewer, run) == before
    wait_status(team.viewer, run, {"running"})
