"""Tasks of a paused run: listed (marked ``run_paused``) and answerable; the step moves on when the run resumes.

DESIGN.md: pause stops dispatching, resume goes on. A person's answer is not dispatching: it is taken and
recorded at once, and what it sets going (the next step, or the revised attempt) is held until resume.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from tests.integration.api.people import API, open_task, wait_run, wait_status

if TYPE_CHECKING:
    import httpx

WORK = {"id": "work", "kind": "transform", "config": {"value": "{{ run.number }}"},
        "review": {"approve_complete": True}}  # fmt: skip
PIPELINE = {"name": "pausable", "nodes": [WORK, {"id": "after", "kind": "noop"}],
            "edges": [{"source": "work", "target": "after"}]}  # fmt: skip


def _step(admin: httpx.Client, run: str, step: str) -> dict[str, Any]:
    body: dict[str, Any] = admin.get(f"{API}/runs/{run}/steps/{step}").json()
    return body


def test_a_paused_runs_task_is_listed_answered_and_its_step_waits_for_resume(admin: httpx.Client) -> None:
    assert admin.post(f"{API}/pipelines", json=PIPELINE).status_code in {200, 201}
    run = admin.post(f"{API}/pipelines/pausable/runs", json={}).json()["id"]
    first = open_task(admin, run, "work")
    assert first["run_paused"] is False
    assert admin.post(f"{API}/runs/{run}/pause").status_code == 200
    (listed,) = admin.get(f"{API}/tasks", params={"run": run}).json()["items"]
    assert (listed["id"], listed["run_paused"], listed["can_answer"]) == (first["id"], True, True)
    assert admin.get(f"{API}/tasks/{first['id']}").json()["run_paused"] is True

    revised = admin.post(f"{API}/tasks/{first['id']}/revise", json={"feedback": "once more"})
    assert revised.status_code == 200, revised.text
    assert (revised.json()["status"], revised.json()["run_paused"]) == ("revision_requested", False)
    time.sleep(1.0)  # nothing runs while paused: the revised attempt is held
    held = _step(admin, run, "work")
    assert held["status"] == "pending" and len(held["attempts"]) == 1
    assert admin.get(f"{API}/runs/{run}").json()["status"] == "paused"
    (answer,) = admin.get(f"{API}/runs/{run}/interactions").json()
    assert (answer["action"], answer["feedback"]) == ("revise", "once more")

    assert admin.post(f"{API}/runs/{run}/resume").status_code == 200
    second = open_task(admin, run, "work", not_in={first["id"]})
    assert second["run_paused"] is False and second["attempt"] == 2
    assert admin.post(f"{API}/runs/{run}/pause").status_code == 200
    assert admin.post(f"{API}/tasks/{second['id']}/approve", json={}).status_code == 200
    time.sleep(0.5)
    assert _step(admin, run, "after")["status"] == "pending"  # held, not run
    assert wait_status(admin, run, {"paused"})["status"] == "paused"
    assert admin.post(f"{API}/runs/{run}/resume").status_code == 200
    assert wait_run(admin, run)["status"] == "succeeded"
