"""Two ``lockgate worker`` processes advance the same runs on one database (DESIGN rule 3), on both backends."""

from __future__ import annotations

import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tests.integration.helpers import contiguous_seqs, poll, select_rows, spawn_cli

from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.database import Database
from lockgate.store.migrate import upgrade
from lockgate.store.pipelines import save_version
from lockgate.store.runs import create_run
from lockgate.store.tables import attempts, events, runs, steps, workers

if TYPE_CHECKING:
    from pathlib import Path

RUNS = 20
ITEMS = 4
TERMINAL = {"succeeded", "failed", "lost", "cancelled"}

# Even items fail retryably on their first attempt: their retries go through persisted timers.
ITEM_CODE = """
import sys, time
from pathlib import Path
attempt = int(Path.cwd().name.rsplit("_", 1)[1])
deadline = time.monotonic() + 60
while not Path(go).exists() and time.monotonic() < deadline:  # until both workers are up
    time.sleep(0.02)
with open(log, "a") as out:
    out.write(f"{label} work[{item}] {attempt}\\n")
time.sleep(0.02)
if item % 2 == 0 and attempt == 1:
    sys.exit(75)
output = item * 10
"""


def pipeline(log: Path) -> PipelineSpec:
    return PipelineSpec.model_validate(
        {
            "name": "shared",
            "input": {"label": {"type": "string", "required": True}},
            "nodes": [
                {"id": "numbers", "kind": "transform", "config": {"value": list(range(ITEMS))}},
                {"id": "work", "kind": "script", "for_each": "{{ nodes.numbers.output }}", "max_parallel": 2,
                 "inputs": {"item": "{{ item }}", "label": "{{ input.label }}", "log": str(log),
                            "go": str(log.with_name("go"))},
                 "retry": {"max_attempts": 3, "initial_delay": "200ms", "jitter": 0},
                 "config": {"code": ITEM_CODE}},
                {"id": "total", "kind": "transform", "config": {"value": "{{ nodes.work.output | sum }}"}},
            ],
            "edges": [{"source": "numbers", "target": "work"}, {"source": "work", "target": "total"}],
        }
    )  # fmt: skip


def create_pending_runs(database_url: str, spec: PipelineSpec) -> dict[str, str]:
    """``RUNS`` runs left ``pending``, as if their creator died: any worker's recovery starts them."""
    db = Database(database_url)
    try:
        upgrade(db)
        created = datetime.now(UTC) - timedelta(seconds=30)  # past recovery's grace for a creator to start it
        labels = {}
        with db.write() as conn:
            version = save_version(conn, spec, created)
            for n in range(RUNS):
                label = f"r{n:02d}"
                head = create_run(conn, version.pipeline_id, version.id, {"label": label}, created)
                labels[head.id] = label
        return labels
    finally:
        db.dispose()


def _wait(procs: list[subprocess.Popen[bytes]], logs: list[Path], timeout: float) -> None:
    try:
        for proc in procs:
            proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        for proc in procs:
            proc.kill()
            proc.wait()
        raise AssertionError("workers did not exit:\n" + "\n".join(log.read_text()[-3000:] for log in logs)) from None


def test_two_workers_share_the_runs_without_duplicating_or_losing_work(tmp_path: Path, database_url: str) -> None:
    log = tmp_path / "attempts.log"
    labels = create_pending_runs(database_url, pipeline(log))
    assert {r["status"] for r in select_rows(database_url, runs)} == {"pending"}

    home = tmp_path / "home"
    outs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    procs = [spawn_cli(home, database_url, "worker", "--exit-when-idle", log=out) for out in outs]
    try:
        poll(lambda: len(select_rows(database_url, workers)) == 2, timeout=60, what="both workers to register")
    finally:
        log.with_name("go").touch()  # the scripts wait for this: neither worker can finish alone before the other is up
    _wait(procs, outs, timeout=110)
    assert [p.returncode for p in procs] == [0, 0], [o.read_text() for o in outs]

    # Every run succeeded with the right output.
    run_rows = select_rows(database_url, runs)
    assert {r["id"]: (r["status"], r["output"]) for r in run_rows} == {
        run_id: ("succeeded", {"total": sum(i * 10 for i in range(ITEMS))}) for run_id in labels
    }
    step_rows = select_rows(database_url, steps)
    assert len(step_rows) == RUNS * (3 + ITEMS)
    assert {r["status"] for r in step_rows} == {"succeeded"}

    # Each attempt ran exactly once: one log line per attempt row, no duplicates, none missing.
    lines = log.read_text().splitlines()
    duplicated = [line for line, n in Counter(lines).items() if n > 1]
    assert duplicated == []
    attempt_rows = [a for a in select_rows(database_url, attempts) if a["step_key"].startswith("work[")]
    assert sorted(lines) == sorted(f"{labels[a['run_id']]} {a['step_key']} {a['number']}" for a in attempt_rows)
    expected = {(labels[run_id], f"work[{i}]", n) for run_id in labels for i in range(ITEMS)
                for n in ((1, 2) if i % 2 == 0 else (1,))}  # fmt: skip
    assert {(labels[a["run_id"]], a["step_key"], a["number"]) for a in attempt_rows} == expected

    # Each attempt ended exactly once, in the status its script asked for.
    for a in attempt_rows:
        item = int(a["step_key"][5:-1])
        want = "failed" if item % 2 == 0 and a["number"] == 1 else "succeeded"
        assert a["status"] == want, a
        assert a["status"] in TERMINAL and a["finished_at"] is not None

    # Events: contiguous per run, nothing recorded twice.
    seqs = contiguous_seqs(database_url)
    assert set(seqs) == set(labels)
    for run_id, run_seqs in seqs.items():
        assert run_seqs == list(range(1, len(run_seqs) + 1)), run_id
    event_rows = select_rows(database_url, events)
    keys: Counter[tuple[Any, ...]] = Counter()
    for e in event_rows:
        data = e["data"]
        keys[(e["run_id"], e["type"], data.get("step"), data.get("attempt"), data.get("purpose"))] += 1
    twice = {k: n for k, n in keys.items() if n > 1 and k[1] != "step_heartbeat"}
    assert twice == {}
    assert sum(1 for e in event_rows if e["type"] == "run_started") == RUNS

    # Both processes took part.
    worker_ids = {w["id"] for w in select_rows(database_url, workers) if w["kind"] == "worker"}
    assert len(worker_ids) == 2
    assert all(w["stopped_at"] is not None for w in select_rows(database_url, workers))
    assert {a["worker"] for a in attempt_rows} == worker_ids
