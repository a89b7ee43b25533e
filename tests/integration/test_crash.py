"""Crash recovery: SIGKILL ``lockgate run`` at chosen points, then ``lockgate resume`` finishes the run.

Nothing committed runs again, nothing is lost: outputs, artifacts (sha256), a contiguous event log, and
the killed process's attempts marked ``lost``. The kill points are found by polling the shared log, marker
files and the database, never by sleeping; scripts wait on "hold" files so that the test decides what is
in flight when the process dies.
"""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from tests.integration.helpers import (
    cli,
    contiguous_seqs,
    crash_when,
    pid_alive,
    poll,
    select_rows,
    sha256,
    spawn_cli,
    write_pipeline,
)

from lockgate.store.tables import artifacts, attempts, runs, steps, timers, workers

ITEMS = 6
BASE = 10

# Every script: its attempt number from its workspace's name (exec_v1_<step>_<attempt>), hold files, a log.
PRELUDE = """
import json, os, sys, time
from pathlib import Path
WORK = Path(work)
ATTEMPT = int(Path.cwd().name.rsplit("_", 1)[1])

def started(key):
    (WORK / f"started-{key}-{ATTEMPT}").touch()

def hold(*names):
    deadline = time.monotonic() + 50
    while any((WORK / f"hold-{n}").exists() for n in names) and time.monotonic() < deadline:
        time.sleep(0.02)

def done(key):
    with (WORK / "log.txt").open("a") as log:
        log.write(f"{key} {ATTEMPT} done\\n")
        log.flush()
        os.fsync(log.fileno())
"""

FIRST = """
started("first")
hold("first")
Path("first.txt").write_text("first artifact")
output = {"value": base}
done("first")
"""

FAN = """
key = f"fan[{item}]"
started(key)
hold("fan", *(["fan-late"] if item >= 2 else []))
Path("item.txt").write_text(f"item {item}")
output = value + item
done(key)
"""

FLAKY = """
marker = WORK / "flaky-failed-once"
if not marker.exists():
    marker.touch()
    sys.exit(75)
started("flaky")
hold("flaky")
Path("flaky.json").write_text(json.dumps(values))
output = sum(values)
done("flaky")
"""

LAST = """
started("last")
Path("summary.txt").write_text(f"total {total}")
output = {"total": total}
done("last")
"""


def _script(node_id: str, body: str, inputs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": "script", "inputs": {"work": "{{ input.work }}", **inputs},
            "config": {"code": PRELUDE + body}, **extra}  # fmt: skip


PIPELINE: dict[str, Any] = {
    "name": "crashy",
    "input": {"work": {"type": "string", "required": True}},
    "nodes": [
        _script("first", FIRST, {"base": BASE}),
        _script("fan", FAN, {"item": "{{ item }}", "value": "{{ nodes.first.output.value }}"},
                for_each=f"{{{{ range({ITEMS}) | list }}}}", max_parallel=2),
        _script("flaky", FLAKY, {"values": "{{ nodes.fan.output }}"},
                retry={"max_attempts": 3, "initial_delay": "3s", "jitter": 0}),
        _script("last", LAST, {"total": "{{ nodes.flaky.output }}"}),
    ],
    "edges": [{"source": "first", "target": "fan"}, {"source": "fan", "target": "flaky"},
              {"source": "flaky", "target": "last"}],
}  # fmt: skip

VALUES = [BASE + i for i in range(ITEMS)]
EXPECTED_OUTPUTS: dict[str, Any] = {
    "first": {"value": BASE},
    **{f"fan[{i}]": BASE + i for i in range(ITEMS)},
    "fan": VALUES,
    "flaky": sum(VALUES),
    "last": {"total": sum(VALUES)},
}
EXPECTED_FILES = {
    "first": {"first.txt": "first artifact"},
    **{f"fan[{i}]": {"item.txt": f"item {i}"} for i in range(ITEMS)},
    "flaky": {"flaky.json": json.dumps(VALUES)},
    "last": {"summary.txt": f"total {sum(VALUES)}"},
}
SCRIPTED = [k for k in EXPECTED_OUTPUTS if k != "fan"]


@dataclass
class Crash:
    """Where to kill: the hold files present at the start, and what to wait for before the kill."""

    holds: list[str]
    ready: Callable[[Path, str], bool]
    description: str
    expect_lost: bool = True


def _log_lines(work: Path) -> list[str]:
    path = work / "log.txt"
    return path.read_text().splitlines() if path.exists() else []


def _statuses(database_url: str) -> dict[str, str]:
    return {r["key"]: r["status"] for r in select_rows(database_url, steps)}


def _diagnosis(crash: Crash, tmp_path: Path, database_url: str) -> str:
    try:
        status = _statuses(database_url)
    except sa.exc.DBAPIError as exc:
        status = {"error": str(exc)}
    return (
        f"{crash.description}\n--- run log ---\n{(tmp_path / 'run.log').read_text()}\n--- steps ---\n{status}"
        f"\n--- work ---\n{sorted(p.name for p in (tmp_path / 'work').iterdir())}"
    )


def _ready(crash: Crash, work: Path, database_url: str) -> bool:
    try:
        return crash.ready(work, database_url)
    except sa.exc.DBAPIError:  # the process has not created the tables yet
        return False


def _run_started(work: Path, database_url: str) -> bool:
    # Committed with the run's creation (one transaction): the kill lands between that commit and the first step.
    return [r["status"] for r in select_rows(database_url, runs)] == ["running"]


def _first_running(work: Path, database_url: str) -> bool:
    return (work / "started-first-1").exists()


def _mid_fan_out(work: Path, database_url: str) -> bool:
    status = _statuses(database_url)
    early_done = status.get("fan[0]") == "succeeded" and status.get("fan[1]") == "succeeded"
    return early_done and (work / "started-fan[2]-1").exists() and (work / "started-fan[3]-1").exists()


def _backoff_pending(work: Path, database_url: str) -> bool:
    return any(t["step_key"] == "flaky" and t["purpose"] == "retry" for t in select_rows(database_url, timers))


def _first_just_done(work: Path, database_url: str) -> bool:
    return "first 1 done" in _log_lines(work)


CRASHES = {
    "right_after_the_run_starts": Crash(["first"], _run_started, "the run's start has just committed"),
    "before_first_step_finishes": Crash(["first"], _first_running, "first is running"),
    "mid_fan_out": Crash(["fan-late"], _mid_fan_out, "two items committed, two running, two queued"),
    "retry_backoff_pending": Crash([], _backoff_pending, "flaky failed once, its retry timer pending",
                                   expect_lost=False),
    "right_after_a_step_completes": Crash(["fan"], _first_just_done, "first has just logged its work"),
}  # fmt: skip


def _check_nothing_committed_ran_again(
    work: Path, lines_at_kill: list[str], committed: dict[str, str], final_steps: dict[str, dict[str, Any]]
) -> None:
    """Exactly one "done" line for a step whose success was committed, from the attempt that was committed."""
    lines = _log_lines(work)
    assert lines[: len(lines_at_kill)] == lines_at_kill  # the log only grew
    done_by_step = Counter(line.split(" ")[0] for line in lines)
    for key in SCRIPTED:
        assert done_by_step[key] >= 1, (key, lines)
        assert f"{key} {final_steps[key]['attempt']} done" in lines, (key, lines)
        if committed.get(key) == "succeeded":
            assert done_by_step[key] == 1, (key, "ran again after its success was committed", lines)


def _check_lost_attempts(
    database_url: str,
    open_at_kill: list[tuple[str, int, str]],
    killed_worker: str,
    final_steps: dict[str, dict[str, Any]],
) -> None:
    """The killed process's open attempts are lost and were followed by another; every attempt ended once."""
    final_attempts = {(a["step_key"], a["number"]): a for a in select_rows(database_url, attempts)}
    for step_key, number, worker in open_at_kill:
        assert worker == killed_worker
        assert final_attempts[(step_key, number)]["status"] == "lost", (step_key, number)
        assert final_steps[step_key]["attempt"] > number
    assert all(a["status"] in {"succeeded", "failed", "lost", "cancelled"} for a in final_attempts.values())
    assert final_attempts[("flaky", 1)]["status"] == "failed"
    assert final_attempts[("flaky", 1)]["error"]["kind"] == "script_retry"


def _check_artifacts(database_url: str, home: Path, final_steps: dict[str, dict[str, Any]]) -> None:
    """No artifact lost: each step's files under runs/v1/<step>/, as recorded (sha256, size), nothing extra."""
    run_dir = home / "pipelines" / "crashy" / "runs" / "v1"
    rows = select_rows(database_url, artifacts, artifacts.c.archived.is_(False))
    recorded = {(r["step_key"], r["name"]): r for r in rows}
    for key, files in EXPECTED_FILES.items():
        for name, content in files.items():
            row = recorded.pop((key, name))
            assert row["attempt"] == final_steps[key]["attempt"]
            path = run_dir / row["path"]
            assert path.read_text() == content
            assert sha256(path) == row["sha256"]
            assert path.stat().st_size == row["size"]
    assert recorded == {}
    assert (home / "pipelines" / "crashy" / "runs" / "latest").resolve() == run_dir.resolve()


@pytest.mark.parametrize("point", list(CRASHES))
def test_resume_after_sigkill_loses_nothing_and_repeats_nothing_committed(
    tmp_path: Path, database_url: str, point: str
) -> None:
    crash = CRASHES[point]
    work = tmp_path / "work"
    work.mkdir()
    home = tmp_path / "home"
    for name in crash.holds:
        (work / f"hold-{name}").touch()
    file = write_pipeline(tmp_path, PIPELINE)

    proc = spawn_cli(home, database_url, "run", str(file), "-i", f"work={work}", "-q", log=tmp_path / "run.log")
    crash_when(proc, lambda: _ready(crash, work, database_url), lambda: _diagnosis(crash, tmp_path, database_url))

    # What the database had committed when the process died, and what the scripts had done.
    committed = _statuses(database_url)
    open_at_kill = [(a["step_key"], a["number"], a["worker"]) for a in select_rows(database_url, attempts)
                    if a["status"] in {"queued", "running"}]  # fmt: skip
    lines_at_kill = _log_lines(work)
    (killed_worker,) = [w["id"] for w in select_rows(database_url, workers, workers.c.pid == proc.pid)]
    if crash.expect_lost:
        assert open_at_kill, "the kill point should leave attempts in flight"
    if point == "retry_backoff_pending":
        assert committed["flaky"] == "retrying"

    for name in crash.holds:
        (work / f"hold-{name}").unlink()
    resumed = cli(home, database_url, "resume", "crashy/v1", "-q", "--json", timeout=50)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "crashy v1 succeeded" in resumed.stdout

    final_steps = {r["key"]: r for r in select_rows(database_url, steps)}
    assert {k: r["status"] for k, r in final_steps.items()} == dict.fromkeys(EXPECTED_OUTPUTS, "succeeded")
    assert {k: r["output"] for k, r in final_steps.items()} == EXPECTED_OUTPUTS

    _check_nothing_committed_ran_again(work, lines_at_kill, committed, final_steps)
    _check_lost_attempts(database_url, open_at_kill, killed_worker, final_steps)
    _check_artifacts(database_url, home, final_steps)
    ((run_id, seqs),) = contiguous_seqs(database_url).items()
    assert seqs == list(range(1, len(seqs) + 1)), run_id


def test_a_script_does_not_outlive_its_killed_runner(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    code = (
        "import os, time\nfrom pathlib import Path\n"
        "Path(work, 'script.pid').write_text(str(os.getpid()))\ntime.sleep(30)\n"
    )
    definition = {"name": "orphan", "nodes": [{"id": "sleeper", "kind": "script", "inputs": {"work": str(work)},
                                               "config": {"code": code}}]}  # fmt: skip
    proc = spawn_cli(tmp_path / "home", None, "run", str(write_pipeline(tmp_path, definition)), "-q",
                     log=tmp_path / "run.log")  # fmt: skip
    pid_file = work / "script.pid"
    try:
        # `or None`: poll takes an empty string (the file created, its text not yet written) for an answer
        written = poll(lambda: (pid_file.exists() and pid_file.read_text().strip()) or None, timeout=40,
                       what="the script to start")  # fmt: skip
        script_pid = int(written)
        os.kill(proc.pid, signal.SIGKILL)  # only the runner: as the OOM killer would
        proc.wait(timeout=10)
        try:
            poll(lambda: not pid_alive(script_pid), timeout=3, what="the orphaned script to die")
        finally:
            if pid_alive(script_pid):
                os.kill(script_pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
