"""``lockgate run`` of a pipeline whose script routes; ``lockgate runs show`` says which successors it chose."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.integration.helpers import cli, write_pipeline

if TYPE_CHECKING:
    from pathlib import Path


def _router(name: str, choice: str) -> dict[str, Any]:
    code = f"import lockgate_step\nlockgate_step.route({choice})\noutput = 'routed'"
    return {
        "name": name,
        "nodes": [
            {"id": "route", "kind": "script", "config": {"code": code}},
            {"id": "pay", "kind": "transform", "config": {"value": "paid"}},
            {"id": "review", "kind": "transform", "config": {"value": "reviewed"}},
        ],
        "edges": [{"source": "route", "target": "pay"}, {"source": "route", "target": "review"}],
    }


def test_runs_show_names_the_chosen_successors(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "home"
    ran = cli(home, database_url, "run", str(write_pipeline(tmp_path, _router("orders", "['review']"))), "-q")
    assert ran.returncode == 0, ran.stderr
    shown = cli(home, database_url, "runs", "show", "orders/v1")
    assert shown.returncode == 0, shown.stderr
    line = next(x for x in shown.stdout.splitlines() if x.strip().startswith("route"))
    assert "next: review" in line
    assert "skipped" in next(x for x in shown.stdout.splitlines() if x.strip().startswith("pay"))
