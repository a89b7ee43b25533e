"""A step whose output no database can keep (a lone surrogate) fails; the run stays readable."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.security.hostile import API

if TYPE_CHECKING:
    from tests.security.hostile import Hostile

# The template's Jinja string literal makes the surrogate; the definition itself is clean JSON.
_TRANSFORM = {"id": "made", "kind": "transform", "config": {"value": "{{ '\\ud800' }}"}}
_SCRIPT = {"id": "printed", "kind": "script", "config": {"code": 'print(\'{"a": "\\\\ud800"}\')'}}


def test_an_output_with_a_lone_surrogate_fails_its_step_and_the_run_reads(hostile: Hostile) -> None:
    for node in (_TRANSFORM, _SCRIPT):
        run = hostile.save_and_run({"name": f"unstorable-{node['id']}", "nodes": [node]})
        assert run["status"] == "failed", run
        step = run["steps"][0]
        assert step["error"]["kind"] == "invalid_output", step
        assert "cannot be stored" in step["error"]["message"]
        with hostile.client("viewer") as viewer:  # every read of the run answers, as it did not before
            assert viewer.get(f"{API}/runs/{run['id']}").status_code == 200
            assert viewer.get(f"{API}/runs/{run['id']}/events", params={"limit": 1000}).status_code == 200
            assert viewer.get(f"{API}/runs").status_code == 200
    hostile.assert_intact()
