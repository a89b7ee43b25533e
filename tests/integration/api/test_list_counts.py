"""Lists say how many there are, over every page; the run list searches and filters by date; bad filters are 422."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tests.integration.api.people import API, open_task
from tests.integration.api.test_runs import TERMINAL, save, wait_for
from tests.integration.api.test_tasks import CHAIN, reviewed, start

if TYPE_CHECKING:
    import httpx


def test_pages_carry_the_total_of_every_page(admin: httpx.Client) -> None:
    for name in ("alpha", "beta", "gamma"):
        save(admin, name, [{"id": "a", "kind": "noop"}])
    page = admin.get(f"{API}/pipelines", params={"limit": 2}).json()
    assert len(page["items"]) == 2 and page["total"] == 3
    assert admin.get(f"{API}/pipelines", params={"q": "ta"}).json()["total"] == 1  # beta only
    ids = [admin.post(f"{API}/pipelines/{p}/runs", json={}).json()["id"] for p in ("alpha", "alpha", "beta")]
    for run_id in ids:
        wait_for(admin, run_id, TERMINAL)
    first = admin.get(f"{API}/runs", params={"limit": 1}).json()
    assert len(first["items"]) == 1 and first["total"] == 3 and first["next_cursor"]
    rest = admin.get(f"{API}/runs", params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert rest["total"] == 3  # the total does not shrink as pages go by
    assert admin.get(f"{API}/runs", params={"pipeline": "alpha"}).json()["total"] == 2
    assert admin.get(f"{API}/runs", params={"pipeline": "nope"}).json()["total"] == 0


def test_the_inbox_total_counts_past_one_page(admin: httpx.Client) -> None:
    save_reviewed = reviewed({"approve_complete": True})
    response = admin.post(f"{API}/pipelines", json={"name": "queue", "nodes": save_reviewed, "edges": CHAIN})
    assert response.status_code == 201, response.text
    for run in [start(admin, "queue") for _ in range(3)]:
        open_task(admin, run, "work")
    page = admin.get(f"{API}/tasks", params={"limit": 1}).json()
    assert len(page["items"]) == 1 and page["total"] == 3


def test_runs_are_found_by_number_reference_name_and_id(admin: httpx.Client) -> None:
    save(admin, "report", [{"id": "a", "kind": "noop"}])
    save(admin, "invoice", [{"id": "a", "kind": "noop"}])
    runs = [admin.post(f"{API}/pipelines/{p}/runs", json={}).json() for p in ("report", "report", "invoice")]
    for run in runs:
        wait_for(admin, run["id"], TERMINAL)

    def found(q: str) -> list[str]:
        page = admin.get(f"{API}/runs", params={"q": q}).json()
        assert page["total"] == len(page["items"]), q
        return sorted(r["ref"] for r in page["items"])

    assert found("2") == found("v2") == ["report/v2"]
    assert found("1") == ["invoice/v1", "report/v1"]
    assert found("report/v1") == ["report/v1"]
    assert found("voi") == ["invoice/v1"]
    assert found(runs[1]["id"]) == ["report/v2"]  # ids share a time-ordered prefix: the whole id is one run
    assert found("nothing-like-it") == []
    assert found("50%_") == []  # LIKE wildcards are text, not patterns


def test_runs_filter_by_creation_date(admin: httpx.Client) -> None:
    save(admin, "dated", [{"id": "a", "kind": "noop"}])
    run = admin.post(f"{API}/pipelines/dated/runs", json={}).json()
    created = datetime.fromisoformat(run["created_at"])
    hour = timedelta(hours=1)

    def total(**params: str) -> int:
        response = admin.get(f"{API}/runs", params=params)
        assert response.status_code == 200, response.text
        count: int = response.json()["total"]
        return count

    assert total(since=(created - hour).isoformat(), until=(created + hour).isoformat()) == 1
    assert total(since=(created + hour).isoformat()) == 0
    assert total(until=(created - hour).isoformat()) == 0
    naive = (created - hour).astimezone(UTC).replace(tzinfo=None).isoformat()
    assert total(since=naive) == 1  # no zone: UTC
    assert total(since=created.date().isoformat()) == 1  # a date alone is its midnight (UTC)


def test_bad_list_filters_are_422_naming_the_field(admin: httpx.Client) -> None:
    for params, field in (
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01"}, "until"),
        ({"until": "0.5"}, "until"),  # not seconds since 1970, though pydantic would read it so
        ({"q": "x" * 101}, "q"),
        ({"since": "2026-12-07T10:00:00Z", "until": "2026-12-07T09:00:00Z"}, "until"),
        ({"since": "0001-01-01T00:00:00+05:00"}, "since"),  # before year 1 in UTC
        ({"until": "9999-12-31T23:59:59-05:00"}, "until"),  # after year 9999 in UTC
    ):
        response = admin.get(f"{API}/runs", params=params)
        assert response.status_code == 422, params
        assert field in response.text, (params, response.text)


def test_runs_count_the_steps_that_failed_under_on_error_continue(admin: httpx.Client) -> None:
    failing = {"code": "raise ValueError('no')"}
    save(admin, "tolerant", [
        {"id": "parse", "kind": "script", "on_error": "continue", "config": failing},
        {"id": "enrich", "kind": "script", "on_error": "continue", "config": failing},
        {"id": "clean", "kind": "noop"},
    ])  # fmt: skip
    save(admin, "clean", [{"id": "a", "kind": "noop"}])
    for name in ("tolerant", "clean"):
        run_id = admin.post(f"{API}/pipelines/{name}/runs", json={}).json()["id"]
        assert wait_for(admin, run_id, TERMINAL)["status"] == "succeeded"
    listed = {r["pipeline"]: (r["status"], r["failed_steps"]) for r in admin.get(f"{API}/runs").json()["items"]}
    assert listed == {"tolerant": ("succeeded", 2), "clean": ("succeeded", 0)}
    assert admin.get(f"{API}/runs/tolerant/v1").json()["failed_steps"] == 2
