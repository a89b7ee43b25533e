"""Human tasks over HTTP: who may answer, the inbox, answers refused, deadlines, approvals to start, rejection."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from tests.integration.api.people import API, events, open_task, wait_run, wait_status
from tests.local_http import QuietHandler, serving

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.integration.api.conftest import Server


def save(
    client: httpx.Client, name: str, nodes: list[dict[str, Any]], edges: list[dict[str, Any]] | None = None
) -> None:
    response = client.post(f"{API}/pipelines", json={"name": name, "nodes": nodes, "edges": edges or []})
    assert response.status_code in {200, 201}, response.text


def start(client: httpx.Client, name: str) -> str:
    created = client.post(f"{API}/pipelines/{name}/runs", json={})
    assert created.status_code == 201, created.text
    run_id: str = created.json()["id"]
    return run_id


def reviewed(review: dict[str, Any], **node: Any) -> list[dict[str, Any]]:
    return [{"id": "work", "kind": "transform", "config": {"value": "v1"}, "review": review, **node},
            {"id": "after", "kind": "noop"}]  # fmt: skip


CHAIN = [{"source": "work", "target": "after"}]


def user_client(server: Server, admin: httpx.Client, name: str, role: Role) -> httpx.Client:
    assert admin.post(f"{API}/users", json={"name": name, "role": role.value}).status_code == 201
    key = admin.post(f"{API}/keys", json={"user": name, "name": "test"}).json()["key"]
    return httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def test_who_may_answer_a_task(server: Server, admin: httpx.Client) -> None:
    save(admin, "assigned", reviewed({"approve_complete": True, "assignees": ["alice", "role:editor"]}), CHAIN)
    run = start(admin, "assigned")
    task = open_task(admin, run, "work")
    with (
        server.client(Role.VIEWER) as viewer,
        server.client(Role.OPERATOR) as operator,
        user_client(server, admin, "alice", Role.OPERATOR) as alice,
    ):
        before = events(admin, run)
        for client, who in ((viewer, "viewer"), (operator, "operator")):
            refused = client.post(f"{API}/tasks/{task['id']}/approve")
            assert refused.status_code == 403, who
            assert refused.json()["code"] == "permission_denied"
        assert operator.post(f"{API}/tasks/{task['id']}/revise", json={"feedback": "x"}).status_code == 403
        assert events(admin, run) == before and admin.get(f"{API}/tasks/{task['id']}").json()["status"] == "open"
        assert [t["id"] for t in operator.get(f"{API}/tasks").json()["items"]] == []  # not in the operator's inbox
        listed = operator.get(f"{API}/tasks", params={"assigned": "any"}).json()["items"]
        assert [(t["id"], t["can_answer"]) for t in listed] == [(task["id"], False)]
        assert viewer.get(f"{API}/tasks").json()["items"] == []
        mine = alice.get(f"{API}/tasks").json()["items"]
        assert [(t["id"], t["can_answer"]) for t in mine] == [(task["id"], True)]
        answered = alice.post(f"{API}/tasks/{task['id']}/approve", json={"comment": "fine by me"})
        assert answered.status_code == 200 and answered.json()["closed_by"] == "alice"
    wait_run(admin, run)
    (answer,) = admin.get(f"{API}/runs/{run}/interactions").json()
    assert (answer["by"], answer["action"], answer["feedback"]) == ("alice", "approve", "fine by me")


def test_a_role_assignee_and_an_admin_may_answer(server: Server, admin: httpx.Client) -> None:
    save(admin, "by-role", reviewed({"approve_complete": True, "assignees": ["role:editor"]}), CHAIN)
    first, second = start(admin, "by-role"), start(admin, "by-role")
    with server.client(Role.EDITOR) as editor:
        task = open_task(editor, first, "work")
        assert editor.post(f"{API}/tasks/{task['id']}/approve").status_code == 200
    assert admin.post(f"{API}/tasks/{open_task(admin, second, 'work')['id']}/approve").status_code == 200
    wait_run(admin, first)
    wait_run(admin, second)


def test_the_inbox_filters_and_pages(server: Server, admin: httpx.Client) -> None:
    save(admin, "inbox", reviewed({"approve_complete": True}), CHAIN)
    runs = [start(admin, "inbox") for _ in range(3)]
    tasks = [open_task(admin, r, "work")["id"] for r in runs]
    page = admin.get(f"{API}/tasks", params={"limit": 2, "pipeline": "inbox"}).json()
    assert [t["id"] for t in page["items"]] == tasks[:2] and page["next_cursor"]
    rest = admin.get(f"{API}/tasks", params={"limit": 2, "pipeline": "inbox", "cursor": page["next_cursor"]}).json()
    assert [t["id"] for t in rest["items"]] == tasks[2:] and rest["next_cursor"] is None
    assert [t["id"] for t in admin.get(f"{API}/tasks", params={"run": runs[1]}).json()["items"]] == [tasks[1]]
    assert admin.get(f"{API}/tasks", params={"purpose": "form"}).json()["items"] == []
    admin.post(f"{API}/tasks/{tasks[0]}/reject", json={"reason": "no"})
    rejected = admin.get(f"{API}/tasks", params={"status": "rejected"}).json()["items"]
    assert [(t["id"], t["closed_by"]) for t in rejected] == [(tasks[0], "admin")]
    assert len(admin.get(f"{API}/tasks", params={"status": "any", "pipeline": "inbox"}).json()["items"]) == 3
    assert admin.get(f"{API}/tasks", params={"cursor": "junk"}).status_code == 422
    assert admin.get(f"{API}/tasks/nope").status_code == 404
    assert admin.post(f"{API}/tasks/nope/approve").status_code == 404
    detail = admin.get(f"{API}/runs/{runs[1]}").json()
    assert {s["key"]: s["open_task"] for s in detail["steps"]} == {"work": tasks[1]}
    assert {s["key"]: s["status"] for s in detail["steps"]} == {"work": "waiting"}


def test_revisions_run_out_then_only_approve_or_reject(admin: httpx.Client) -> None:
    save(admin, "limited", reviewed({"approve_complete": True, "max_revisions": 1}), CHAIN)
    run = start(admin, "limited")
    first = open_task(admin, run, "work")
    assert admin.post(f"{API}/tasks/{first['id']}/revise", json={"feedback": "again"}).status_code == 200
    second = open_task(admin, run, "work", not_in={first["id"]})
    assert second["actions"] == ["approve", "reject"]
    before = events(admin, run)
    refused = admin.post(f"{API}/tasks/{second['id']}/revise", json={"feedback": "more"})
    assert refused.status_code == 409 and refused.json()["code"] == "answer_not_allowed"
    assert admin.post(f"{API}/tasks/{second['id']}/revise", json={"feedback": ""}).status_code == 422
    assert events(admin, run) == before
    rejected = admin.post(f"{API}/tasks/{second['id']}/reject", json={"reason": "off topic"})
    assert rejected.json()["status"] == "rejected" and rejected.json()["comment"] == "off topic"
    failed = wait_status(admin, run, {"failed"})
    assert failed["error"]["kind"] == "rejected" and "rejected by admin: off topic" in failed["error"]["message"]


def test_a_rejection_can_take_the_error_branch(admin: httpx.Client) -> None:
    nodes = [*reviewed({"approve_complete": True}, on_error="branch"), {"id": "rework", "kind": "noop"}]
    save(admin, "branchy", nodes, [*CHAIN, {"source": "work", "target": "rework", "branch": "error"}])
    run = start(admin, "branchy")
    admin.post(f"{API}/tasks/{open_task(admin, run, 'work')['id']}/reject")
    done = wait_run(admin, run)
    assert {s["key"]: s["status"] for s in done["steps"]} == {"work": "failed", "after": "skipped",
                                                              "rework": "succeeded"}  # fmt: skip


def test_approval_to_start_before_anything_runs(admin: httpx.Client) -> None:
    nodes = [{"id": "work", "kind": "script", "review": {"approve_start": True},
              "config": {"code": "open('ran.txt', 'w').write('x'); output = 1"}}]  # fmt: skip
    save(admin, "gated", nodes)
    run = start(admin, "gated")
    task = open_task(admin, run, "work")
    assert task["purpose"] == "approve_start" and task["attempt"] == 0
    step = admin.get(f"{API}/runs/{run}/steps/work").json()
    assert step["status"] == "waiting" and step["attempts"] == []  # nothing was dispatched
    admin.post(f"{API}/tasks/{task['id']}/approve")
    assert wait_run(admin, run)["output"] == {"work": 1}
    assert [a["name"] for a in admin.get(f"{API}/runs/{run}/artifacts").json()] == ["ran.txt"]


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

    with serving(Handler) as url:
        yield f"{url}/hook", received


def test_deadlines_reject_approve_or_notify(admin: httpx.Client, receiver: tuple[str, list[dict[str, Any]]]) -> None:
    url, received = receiver
    save(admin, "late-reject", reviewed({"approve_complete": True, "deadline": "0.5s"}), CHAIN)
    save(admin, "late-approve", reviewed({"approve_complete": True, "deadline": "0.5s", "on_deadline": "approve"}),
         CHAIN)  # fmt: skip
    notify = {"approve_complete": True, "deadline": "0.5s", "on_deadline": "notify", "notify_url": url}
    save(admin, "late-notify", reviewed(notify), CHAIN)
    rejected, approved, notified = (
        start(admin, "late-reject"),
        start(admin, "late-approve"),
        start(admin, "late-notify"),
    )
    assert wait_status(admin, rejected, {"failed"})["error"]["kind"] == "rejected"
    wait_run(admin, approved)
    task = open_task(admin, notified, "work")
    wait_status(admin, notified, {"running"})
    for _ in range(200):
        if received:
            break
        wait_status(admin, notified, {"running"}, timeout=0.1)
    assert received and received[0]["task"] == task["id"] and received[0]["event"] == "human_task_deadline"
    assert admin.get(f"{API}/tasks/{task['id']}").json()["status"] == "open"  # still waiting for a person
    closed = admin.get(f"{API}/tasks", params={"status": "any", "pipeline": "late-reject"}).json()["items"]
    assert [(t["status"], t["closed_by"]) for t in closed] == [("rejected", "deadline")]


def test_a_rollback_while_a_step_runs_cancels_it_first(admin: httpx.Client) -> None:
    slow = "import time\nopen('started.txt', 'w').write('x')\ntime.sleep(30)\noutput = 'slow'"
    nodes = [{"id": "first", "kind": "transform", "config": {"value": 1}},
             {"id": "slow", "kind": "script", "config": {"code": slow}, "retry": {"max_attempts": 1}}]  # fmt: skip
    save(admin, "rolling", nodes, [{"source": "first", "target": "slow"}])
    run = start(admin, "rolling")
    for _ in range(600):
        attempts = admin.get(f"{API}/runs/{run}/steps/slow").json().get("attempts", [])
        if attempts and attempts[-1]["status"] == "running":
            break
        wait_status(admin, run, {"running"}, timeout=0.1)
    rolled = admin.post(f"{API}/runs/{run}/rollback", json={"node": "first"})
    assert rolled.status_code == 201, rolled.text
    assert rolled.json()["cancelled"] == ["slow"] and [s["key"] for s in rolled.json()["steps"]] == ["first", "slow"]
    step = admin.get(f"{API}/runs/{run}/steps/slow").json()
    assert [(a["number"], a["status"], a["archived"]) for a in step["attempts"]][:1] == [(1, "cancelled", True)]
    assert step["attempt"] == 2 and step["status"] in {"queued", "running"}
    admin.post(f"{API}/runs/{run}/cancel")
    assert wait_status(admin, run, {"cancelled"})["status"] == "cancelled"


def test_a_wrong_kind_of_answer_names_the_answers_the_task_takes(admin: httpx.Client) -> None:
    form = {"id": "form", "kind": "human", "config": {"fields": [{"name": "headline", "type": "text"},
                                                                 {"name": "n", "type": "integer"}]}}  # fmt: skip
    save(admin, "asks", [*reviewed({"approve_complete": True}), form], [*CHAIN, {"source": "after", "target": "form"}])
    run = start(admin, "asks")
    review = open_task(admin, run, "work")
    before = events(admin, run)
    # values for a task that has no form: refused for what it is, before any value is looked at
    for values in ({"title": "x"}, {}):
        submitted = admin.post(f"{API}/tasks/{review['id']}/submit", json={"values": values})
        assert submitted.status_code == 409, submitted.text
        assert submitted.json() == {"code": "answer_not_allowed", "detail": (
            f"submit is not an answer to task {review['id']}: it reviews the step's output (approve_complete). "
            "It takes approve, revise or reject; it has no form")}  # fmt: skip
    assert events(admin, run) == before
    assert admin.post(f"{API}/tasks/{review['id']}/approve").status_code == 200
    filling = open_task(admin, run, "form")
    for action, body in (("approve", None), ("revise", {"feedback": "shorter"})):
        refused = admin.post(f"{API}/tasks/{filling['id']}/{action}", json=body)
        assert refused.status_code == 409, refused.text
        assert refused.json()["detail"] == (
            f"{action} is not an answer to task {filling['id']}: it is a form to fill in (form). "
            "It takes submit (fields: headline, n) or reject"
        )
    assert admin.post(f"{API}/tasks/{filling['id']}/submit", json={"values": {"headline": "ok"}}).status_code == 200
    assert wait_run(admin, run)["status"] == "succeeded"
