"""Every 422 names the field in its own member; the message reads on its own (no "field: " at its start)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.integration.api.people import API, open_task
from tests.integration.api.test_runs import TYPED, save
from tests.integration.test_cli import EVERYTHING_WRONG

if TYPE_CHECKING:
    import httpx


def _problems(response: httpx.Response) -> list[tuple[str | None, str]]:
    assert response.status_code == 422, response.text
    errors: list[dict[str, Any]] = response.json()["errors"]
    for e in errors:
        field = e.get("field")
        assert field is None or not e["message"].startswith(f"{field}:"), e  # said once, in its member
        last = (field or "").rsplit(".", 1)[-1]
        assert not last or not e["message"].startswith(f"{last}:"), e
    return [(e.get("field"), e["message"]) for e in errors]


def test_run_inputs_definitions_and_filters_keep_the_field_apart(admin: httpx.Client) -> None:
    save(admin, "typed", [{"id": "a", "kind": "noop"}], input=TYPED)
    inputs = dict(_problems(admin.post(f"{API}/pipelines/typed/runs", json={"input": {"count": "two"}})))
    assert set(inputs) == {"input.topic", "input.count"}
    assert inputs["input.topic"] == "required"

    wrong = _problems(admin.post(f"{API}/pipelines", json=EVERYTHING_WRONG))
    assert len(wrong) == 7
    yaml = "name: y\nnodes:\n  - {id: a, kind: noop, inptus: {}}\n"
    typo = _problems(admin.post(f"{API}/pipelines", content=yaml, headers={"Content-Type": "application/yaml"}))
    assert any("inputs" in message for _, message in typo), typo

    until = _problems(admin.get(f"{API}/runs", params={"since": "2026-12-07", "until": "2026-12-01"}))
    assert [field for field, _ in until] == ["until"]
    start_at = _problems(admin.post(f"{API}/pipelines/typed/runs", json={"input": {"topic": "x"}, "start_at": "a"}))
    assert start_at[0][0] == "start_at"


def test_settings_forms_keep_the_field_apart(admin: httpx.Client) -> None:
    short = _problems(admin.post(f"{API}/credentials", json={"name": "token", "value": "x"}))
    assert short[0][0] == "value" and short[0][1].startswith("at least")
    named = _problems(admin.post(f"{API}/credentials", json={"name": "Bad Name", "value": "s" * 40}))
    assert named[0][0] == "body.name"
    save(admin, "ticking", [{"id": "a", "kind": "noop"}], input=TYPED)
    cron = _problems(admin.post(f"{API}/pipelines/ticking/schedules", json={"cron": "61 * * * *", "input": {}}))
    assert {"body.cron"} <= {field for field, _ in cron}


def test_a_form_answer_puts_each_message_under_its_field(admin: httpx.Client) -> None:
    form = {"fields": [{"name": "headline", "type": "text", "min": 5, "required": True}]}
    save(admin, "asking", [{"id": "ask", "kind": "human", "config": form}])
    run = admin.post(f"{API}/pipelines/asking/runs", json={}).json()["id"]
    task = open_task(admin, run, "ask")
    answer = {"values": {"headline": "Hi", "ghost": 1}}
    problems = dict(_problems(admin.post(f"{API}/tasks/{task['id']}/submit", json=answer)))
    assert set(problems) == {"values.headline", "values.ghost"}
    assert problems["values.ghost"] == "not a field of this form"
