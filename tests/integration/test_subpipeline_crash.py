"""A child run that finishes while its parent's process is dead advances the parent exactly once.

``lockgate run`` of a pipeline whose step runs another pipeline is SIGKILLed while the child's script holds;
then the child alone is resumed by another process. The child's end reaches the parent's step in the child's own
transaction, so the parent has moved on (and, its last step being inline, finished) before anyone resumes it;
resuming the parent afterwards changes nothing: one child run, one success of the step, nothing ran twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tests.integration.helpers import cli, crash_when, select_rows, spawn_cli, write_pipeline

from lockgate.spec.pipeline import PipelineSpec
from lockgate.store import pipelines as pipeline_store
from lockgate.store.child_tables import child_runs
from lockgate.store.database import Database
from lockgate.store.migrate import upgrade
from lockgate.store.tables import events, pipelines, runs

if TYPE_CHECKING:
    from pathlib import Path

HOLD = """
import os, time
from pathlib import Path
work = Path(work)
(work / f"started-{os.getpid()}").touch()
deadline = time.monotonic() + 50
while (work / "hold").exists() and time.monotonic() < deadline:
    time.sleep(0.02)
with (work / "log.txt").open("a") as log:
    log.write("child done\\n")
output = {"greeting": f"hello {who}"}
"""
INNER: dict[str, Any] = {
    "name": "inner",
    "input": {"work": {"type": "string", "required": True}, "who": {"type": "string", "required": True}},
    "nodes": [{"id": "slow", "kind": "script", "inputs": {"work": "{{ input.work }}", "who": "{{ input.who }}"},
               "config": {"code": HOLD}}],
    "output": "{{ nodes.slow.output }}",
}  # fmt: skip
OUTER: dict[str, Any] = {
    "name": "outer",
    "input": {"work": {"type": "string", "required": True}},
    "nodes": [
        {"id": "call", "kind": "subpipeline",
         "config": {"pipeline": "inner", "input": {"work": "{{ input.work }}", "who": "ada"}}},
        {"id": "after", "kind": "transform", "config": {"value": "{{ nodes.call.output.greeting }}!"}},
    ],
    "edges": [{"source": "call", "target": "after"}],
}  # fmt: skip


def _store_inner(database_url: str) -> None:
    db = Database(database_url)
    try:
        upgrade(db)
        with db.write() as conn:
            pipeline_store.save_version(conn, PipelineSpec.model_validate(INNER), datetime.now(UTC))
    finally:
        db.dispose()


def _run_of(database_url: str, name: str) -> list[dict[str, Any]]:
    [pipeline] = select_rows(database_url, pipelines, pipelines.c.name == name)
    return select_rows(database_url, runs, runs.c.pipeline_id == pipeline["id"])


def _child_running(work: Path) -> bool:
    return any(p.name.startswith("started-") for p in work.iterdir())


def test_a_child_finishing_while_the_parent_process_is_dead_advances_it_once(tmp_path: Path, database_url: str) -> None:
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    (work / "hold").touch()
    _store_inner(database_url)
    file = write_pipeline(tmp_path, OUTER)
    proc = spawn_cli(home, database_url, "run", str(file), "-i", f"work={work}", "-q", log=tmp_path / "run.log")
    crash_when(proc, lambda: _child_running(work), lambda: (tmp_path / "run.log").read_text())
    [parent] = _run_of(database_url, "outer")
    [child] = _run_of(database_url, "inner")
    assert (parent["status"], child["status"]) == ("running", "running")

    (work / "hold").unlink()
    resumed = cli(home, database_url, "resume", child["id"], "-q", timeout=50)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    # Nobody resumed the parent: the child's end moved it, in the child's transaction.
    [parent] = _run_of(database_url, "outer")
    assert (parent["status"], parent["output"]) == ("succeeded", {"after": "hello ada!"})

    again = cli(home, database_url, "resume", parent["id"], "-q", timeout=50)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "outer v1 succeeded" in again.stdout
    assert [r["status"] for r in _run_of(database_url, "inner")] == ["succeeded"]  # one child run
    [link] = select_rows(database_url, child_runs)
    assert (link["step_key"], link["attempt"], link["child_run_id"]) == ("call", 1, child["id"])
    rows = select_rows(database_url, events, events.c.run_id == parent["id"])
    told = [r["data"]["step"] for r in rows if r["type"] == "step_succeeded"]
    assert told.count("call") == 1
    assert (work / "log.txt").read_text().splitlines() == ["child done"]  # the script finished once
