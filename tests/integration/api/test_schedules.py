"""Schedules: CRUD with validation, and the server's scheduler firing each slot once."""

from __future__ import annotations

import itertools
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from tests.integration.api.test_webhooks import save_pipeline

from lockgate.security.api_keys import Role
from lockgate.store.database import Database
from lockgate.store.tables import runs, schedule_firings

if TYPE_CHECKING:
    from tests.integration.api.conftest import Server

TYPED = {"topic": {"type": "string", "required": True}}


def test_crud_and_next_fire_at(server: Server) -> None:
    save_pipeline(server, "daily", "{{ input.topic }}", input=TYPED)
    body = {"cron": "0 9 * * 1-5", "timezone": "Europe/Berlin", "input": {"topic": "news"}}
    with server.client(Role.EDITOR) as editor:
        created = editor.post("/api/v1/pipelines/daily/schedules", json=body)
        assert created.status_code == 201, created.text
        item = created.json()
        assert item["missed"] == "skip"
        assert item["enabled"] is True
        assert item["last_fire_at"] is None
        next_at = datetime.fromisoformat(item["next_fire_at"])
        assert next_at.utcoffset() is not None
        assert next_at.minute == 0
        assert next_at.hour in {7, 8}  # 09:00 in Berlin, CEST or CET

        patched = editor.patch(f"/api/v1/schedules/{item['id']}", json={"missed": "catch_up", "enabled": False})
        assert patched.status_code == 200, patched.text
        assert (patched.json()["missed"], patched.json()["enabled"], patched.json()["next_fire_at"]) == (
            "catch_up", False, None,
        )  # fmt: skip
        assert editor.patch(f"/api/v1/schedules/{item['id']}", json={"cron": "nope"}).status_code == 422
        assert editor.patch(f"/api/v1/schedules/{item['id']}", json={"input": {"topic": 3}}).status_code == 422
        assert editor.patch("/api/v1/schedules/unknown", json={"enabled": True}).status_code == 404
    with server.client(Role.VIEWER) as viewer:
        listed = viewer.get("/api/v1/pipelines/daily/schedules")
        assert [s["id"] for s in listed.json()] == [item["id"]]
        assert viewer.post("/api/v1/pipelines/daily/schedules", json=body).status_code == 403
        assert viewer.delete(f"/api/v1/schedules/{item['id']}").status_code == 403
    with server.client(Role.EDITOR) as editor:
        assert editor.delete(f"/api/v1/schedules/{item['id']}").status_code == 204
        assert editor.delete(f"/api/v1/schedules/{item['id']}").status_code == 404
        assert editor.get("/api/v1/pipelines/daily/schedules").json() == []


def _fields(response: Any) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


def test_validation_names_the_field(server: Server) -> None:
    save_pipeline(server, "checked", "{{ input.topic }}", input=TYPED)
    url = "/api/v1/pipelines/checked/schedules"
    with server.client(Role.EDITOR) as editor:
        bad_cron = editor.post(url, json={"cron": "61 * * * *", "input": {"topic": "x"}})
        bad_zone = editor.post(url, json={"cron": "* * * * *", "timezone": "Mars/Olympus", "input": {"topic": "x"}})
        bad_missed = editor.post(url, json={"cron": "* * * * *", "missed": "sometimes", "input": {"topic": "x"}})
        bad_input = editor.post(url, json={"cron": "* * * * *", "input": {}})
        unknown = editor.post("/api/v1/pipelines/nope/schedules", json={"cron": "* * * * *"})
    assert (bad_cron.status_code, bad_zone.status_code, bad_missed.status_code, bad_input.status_code) == (422,) * 4
    assert "body.cron" in _fields(bad_cron)
    assert "body.timezone" in _fields(bad_zone)
    assert "body.missed" in _fields(bad_missed)
    assert "input.topic" in _fields(bad_input)
    assert unknown.status_code == 404


def test_the_scheduler_fires_each_second_once_with_the_schedule_input(server: Server) -> None:
    save_pipeline(server, "tick", "{{ input.topic }}", input=TYPED)
    with server.client(Role.EDITOR) as editor:
        created = editor.post("/api/v1/pipelines/tick/schedules",
                              json={"cron": "* * * * * *", "input": {"topic": "t"}})  # fmt: skip
        assert created.status_code == 201, created.text
        schedule_id = created.json()["id"]
        time.sleep(3.5)
        assert editor.patch(f"/api/v1/schedules/{schedule_id}", json={"enabled": False}).status_code == 200
        time.sleep(0.5)  # a round that read the schedule before the patch may still finish
        listed = editor.get("/api/v1/pipelines/tick/schedules").json()
    db = Database(server.settings.db_url)
    try:
        with db.read() as conn:
            firings = conn.execute(
                sa.select(schedule_firings.c.fire_at, schedule_firings.c.run_id)
                .where(schedule_firings.c.schedule_id == schedule_id)
                .order_by(schedule_firings.c.fire_at)
            ).all()
            run_rows = conn.execute(sa.select(runs.c.id, runs.c.input)).all()
    finally:
        db.dispose()
    assert 2 <= len(firings) <= 5, firings
    times = [f.fire_at for f in firings]
    assert all(t.microsecond == 0 for t in times)
    assert all((b - a).total_seconds() == 1 for a, b in itertools.pairwise(times))
    assert {f.run_id for f in firings} == {r.id for r in run_rows}
    assert len(run_rows) == len(firings)
    assert all(r.input == {"topic": "t"} for r in run_rows)
    assert listed[0]["last_fire_at"] is not None
