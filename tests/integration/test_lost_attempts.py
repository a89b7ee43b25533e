"""A step whose attempts keep being lost fails after ``max_lost_attempts`` (3 by default), naming its node.

Real lost attempts: the process running the step is SIGKILLed three times (``lockgate run``, then ``resume``
twice), each time once the attempt's script has started; the next ``resume`` finds the third lost and fails
the step instead of dispatching a fourth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.integration.helpers import cli, crash_when, select_rows, spawn_cli, write_pipeline

from lockgate.store.tables import attempts, runs, steps

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

HOLD = """
import time
from pathlib import Path
attempt = int(Path.cwd().name.rsplit("_", 1)[1])
Path(work, f"started-{attempt}").touch()
deadline = time.monotonic() + 50
while time.monotonic() < deadline:
    time.sleep(0.05)
"""
PIPELINE: dict[str, Any] = {
    "name": "doomed",
    "input": {"work": {"type": "string", "required": True}},
    "nodes": [{"id": "victim", "kind": "script", "inputs": {"work": "{{ input.work }}"}, "config": {"code": HOLD}}],
}


def _crash_when_started(proc: subprocess.Popen[bytes], work: Path, attempt: int) -> None:
    crash_when(proc, lambda: (work / f"started-{attempt}").exists(), f"attempt {attempt} to start")


def test_a_step_lost_three_times_fails_with_the_node_and_the_count(tmp_path: Path, database_url: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    home = tmp_path / "home"
    file = write_pipeline(tmp_path, PIPELINE)
    log = tmp_path / "cli.log"
    _crash_when_started(spawn_cli(home, database_url, "run", str(file), "-i", f"work={work}", "-q", log=log), work, 1)
    [run] = select_rows(database_url, runs)
    for attempt in (2, 3):
        _crash_when_started(spawn_cli(home, database_url, "resume", run["id"], "-q", log=log), work, attempt)

    resumed = cli(home, database_url, "resume", run["id"], "-q", timeout=50)
    assert resumed.returncode != 0, resumed.stdout + resumed.stderr
    said = resumed.stdout + resumed.stderr
    assert "victim" in said and "3 attempts" in said and "max_lost_attempts is 3" in said, said
    assert not (work / "started-4").exists()  # the run has ended: nothing can start a fourth any more
    numbers = sorted((a["number"], a["status"]) for a in select_rows(database_url, attempts))
    assert numbers == [(1, "lost"), (2, "lost"), (3, "lost")]
    [step] = select_rows(database_url, steps)
    assert step["status"] == "failed" and step["error"]["kind"] == "lost"
    [run] = select_rows(database_url, runs)
    assert run["status"] == "failed"
