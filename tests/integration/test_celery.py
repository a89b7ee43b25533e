"""The Celery executor over real Redis and PostgreSQL, with real ``lockgate worker`` processes.

The server is a Runtime in this process with ``LOCKGATE_EXECUTOR=celery``; steps run in worker processes that
claim their attempts in the database and apply their results themselves. A local HTTP server counts the side
effects scripts have: never more than the attempts the database records.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil
import pytest
from tests.integration.celery_fixtures import (
    anyio_backend,
    attempts_of,
    broker,
    celery_settings,
    counter,
    kill_tree,
    pg_url,
    pid_of,
    worker_env,
    worker_rows,
    workers_running,
)
from tests.integration.helpers import poll_async, running, select_rows

from lockgate.engine import DispatchStep, RunCancelled
from lockgate.executors.celery import TASK, Invocation, celery_app
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.tables import attempts, steps, workers

if TYPE_CHECKING:
    from lockgate.runtime.applier import Applied

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

__all__ = ["anyio_backend", "broker", "counter", "pg_url"]  # fixtures from celery_fixtures.py, used by name


SCRIPT = """
import urllib.request
from pathlib import Path
urllib.request.urlopen(f"{url}/hit/{name}").read()
output = {"name": name, "double": n * 2}
"""


@pytest.mark.timeout(90)
async def test_a_pipeline_runs_through_two_workers(tmp_path: Path, pg_url: str, broker: str, counter: Any) -> None:
    count, url = counter
    spec = PipelineSpec.model_validate({
        "name": "spread",
        "nodes": [
            {"id": "make", "kind": "transform", "config": {"value": [1, 2, 3, 4, 5, 6]}},
            {"id": "fan", "kind": "script", "for_each": "{{ nodes.make.output }}",
             "inputs": {"url": url, "name": "fan-{{ item }}", "n": "{{ item }}"}, "config": {"code": SCRIPT}},
            {"id": "total", "kind": "transform",
             "config": {"value": "{{ nodes.fan.output | map(attribute='double') | sum }}"}},
            {"id": "last", "kind": "script", "inputs": {"url": url, "name": "last", "n": "{{ nodes.total.output }}"},
             "config": {"code": SCRIPT}},
        ],
        "edges": [{"source": "make", "target": "fan"}, {"source": "fan", "target": "total"},
                  {"source": "total", "target": "last"}],
    })  # fmt: skip
    async with (
        workers_running(tmp_path, pg_url, broker, 2),
        running(celery_settings(tmp_path, pg_url, broker)) as runtime,
    ):
        head = await runtime.create_run(spec, {})
        state = await runtime.wait(head.id)
    assert state.status.value == "succeeded", state.error
    assert state.steps["last"].output == {"name": "last", "double": 84}
    rows = select_rows(pg_url, attempts)
    script_rows = [r for r in rows if r["step_key"].startswith("fan[") or r["step_key"] == "last"]
    assert len(script_rows) == 7 and all(r["status"] == "succeeded" and r["fence"] == 1 for r in script_rows)
    worker_ids = {r["id"] for r in select_rows(pg_url, workers, workers.c.kind == "worker")}
    assert {r["worker"] for r in script_rows} <= worker_ids  # run in the workers, never in the server
    assert sorted(count.hits.values()) == [1] * 7


HOLD = """
import time, urllib.request
from pathlib import Path
attempt = int(Path.cwd().name.rsplit("_", 1)[1])
urllib.request.urlopen(f"{url}/hit/{attempt}").read()
Path(work, f"started-{attempt}").touch()
while attempt == 1 and not Path(work, "release").exists():
    time.sleep(0.05)
output = attempt
"""


def _hold_spec(work: Path, url: str) -> PipelineSpec:
    return PipelineSpec.model_validate({
        "name": "held",
        "nodes": [{"id": "held", "kind": "script", "inputs": {"url": url, "work": str(work)},
                   "config": {"code": HOLD}}],
    })  # fmt: skip


@pytest.mark.timeout(90)
async def test_a_duplicate_delivery_runs_the_step_once(tmp_path: Path, pg_url: str, broker: str, counter: Any) -> None:
    count, url = counter
    work = tmp_path / "work"
    work.mkdir()
    (work / "release").touch()
    commands: list[DispatchStep] = []

    def seen(applied: Applied) -> None:
        commands.extend(c for c in applied.commands if isinstance(c, DispatchStep))

    async with running(celery_settings(tmp_path, pg_url, broker)) as runtime:
        runtime.listen(seen)
        head = await runtime.create_run(_hold_spec(work, url), {})
        await poll_async(lambda: commands or None, 10, what="the dispatch")
        # The same invocation a second time, on purpose, before any worker is up: both wait in the queue.
        app = celery_app(broker, timedelta(hours=1))
        app.send_task(TASK, args=[Invocation(command=commands[0]).model_dump_json()], queue="lockgate")
        async with workers_running(tmp_path, pg_url, broker, 1, concurrency=2) as procs:
            state = await runtime.wait(head.id)
            log = tmp_path / "worker-0.log"
            await poll_async(lambda: "dropped held#1" in log.read_text() or None, 20, what="the duplicate dropped")
            assert procs[0].poll() is None
    assert state.status.value == "succeeded"
    rows = attempts_of(pg_url, "held")
    assert [(r["number"], r["status"], r["fence"]) for r in rows] == [(1, "succeeded", 1)]
    assert count.hits == {"/hit/1": 1}


@pytest.mark.timeout(90)
async def test_a_worker_killed_mid_step_loses_the_attempt_and_the_other_runs_it(
    tmp_path: Path, pg_url: str, broker: str, counter: Any
) -> None:
    count, url = counter
    work = tmp_path / "work"
    work.mkdir()
    async with (
        workers_running(tmp_path, pg_url, broker, 2, concurrency=1),
        running(celery_settings(tmp_path, pg_url, broker)) as runtime,
    ):
        head = await runtime.create_run(_hold_spec(work, url), {})
        await poll_async(lambda: (work / "started-1").exists() or None, 30, what="attempt 1 to start")
        victim = attempts_of(pg_url, "held")[0]["worker"]
        kill_tree(pid_of(pg_url, victim))
        state = await runtime.wait(head.id)
    assert state.status.value == "succeeded"
    assert state.steps["held"].output == 2
    rows = attempts_of(pg_url, "held")
    assert [(r["number"], r["status"]) for r in rows] == [(1, "lost"), (2, "succeeded")]
    assert rows[1]["worker"] != victim
    succeeded = select_rows(pg_url, steps, steps.c.key == "held")
    assert [s["status"] for s in succeeded] == ["succeeded"]
    lost = sum(r["status"] == "lost" for r in rows)
    assert sum(count.hits.values()) <= 1 + lost  # no side effect beyond the attempts recorded lost
    assert count.hits == {"/hit/1": 1, "/hit/2": 1}


@pytest.mark.timeout(90)
async def test_a_late_result_with_a_stale_fence_is_ignored(
    tmp_path: Path, pg_url: str, broker: str, counter: Any
) -> None:
    count, url = counter
    work = tmp_path / "work"
    work.mkdir()
    async with (
        workers_running(tmp_path, pg_url, broker, 2, concurrency=1),
        running(celery_settings(tmp_path, pg_url, broker)) as runtime,
    ):
        head = await runtime.create_run(_hold_spec(work, url), {})
        await poll_async(lambda: (work / "started-1").exists() or None, 30, what="attempt 1 to start")
        stopped = psutil.Process(pid_of(pg_url, attempts_of(pg_url, "held")[0]["worker"]))
        stopped.suspend()  # SIGSTOP past its lease: recovery calls the attempt lost, the other worker runs it
        state = await runtime.wait(head.id)
        assert state.status.value == "succeeded" and state.steps["held"].output == 2
        (work / "release").touch()
        stopped.resume()  # SIGCONT: attempt 1 finishes now, and its result comes back with fence 1
        log_path = runtime.layout.log_path("held", head.number, "held", 1)
        await poll_async(lambda: (log_path.exists() and "fence 1 is stale" in log_path.read_text()) or None, 30,
                         what="the late result to be ignored")  # fmt: skip
    rows = attempts_of(pg_url, "held")
    assert [(r["number"], r["status"]) for r in rows] == [(1, "lost"), (2, "succeeded")]
    assert [s["output"] for s in select_rows(pg_url, steps, steps.c.key == "held")] == [2]  # not the late one
    assert count.hits == {"/hit/1": 1, "/hit/2": 1}


def _gone(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


SPAWN = """
import subprocess, sys, time
from pathlib import Path
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
Path(work, "pids").write_text(f"{child.pid}")
while True:
    time.sleep(0.05)
"""


@pytest.mark.timeout(90)
async def test_cancelling_a_run_kills_the_step_on_its_worker_within_a_second(
    tmp_path: Path, pg_url: str, broker: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    spec = PipelineSpec.model_validate({
        "name": "stopped", "nodes": [{"id": "long", "kind": "script", "inputs": {"work": str(work)},
                                      "config": {"code": SPAWN}}],
    })  # fmt: skip
    async with (
        workers_running(tmp_path, pg_url, broker, 1),
        running(celery_settings(tmp_path, pg_url, broker)) as runtime,
    ):
        head = await runtime.create_run(spec, {})
        pids = await poll_async(lambda: ((work / "pids").exists() and (work / "pids").read_text()) or None, 30,
                                what="the step to start its child")  # fmt: skip
        child = psutil.Process(int(pids))
        cancelled = time.monotonic()
        await runtime.apply(head.id, RunCancelled(by="test", reason="enough"))
        # The worker sees the attempt ended in its lease loop and kills the step's process group.
        await poll_async(lambda: _gone(child) or None, 10,
                         interval=0.02, what="the step's child to be killed")  # fmt: skip
        took = time.monotonic() - cancelled
        state = await runtime.wait(head.id)
    assert state.status.value == "cancelled"
    assert [r["status"] for r in attempts_of(pg_url, "long")] == ["cancelled"]
    assert took < 1.5, f"the step's processes outlived the cancel by {took:.2f} s"


def _celery_worker(home: Path, db: str, broker: str, queue: str) -> subprocess.Popen[bytes]:
    env = {**worker_env(broker), "LOCKGATE_HOME": str(home), "LOCKGATE_DATABASE_URL": db}
    argv = [str(Path(sys.executable).with_name("celery")), "-A", "lockgate.cli.celery_app", "worker",
            "--queues", queue, "--pool", "threads", "--concurrency", "1"]  # fmt: skip
    with (home / f"{queue}.log").open("ab") as log:
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)


@pytest.mark.timeout(90)
async def test_a_node_queue_routes_its_steps_to_the_workers_serving_it(
    tmp_path: Path, pg_url: str, broker: str, counter: Any
) -> None:
    _, url = counter
    spec = PipelineSpec.model_validate({
        "name": "routed",
        "nodes": [{"id": "cpu", "kind": "script", "inputs": {"url": url, "name": "cpu", "n": 1},
                   "config": {"code": SCRIPT}},
                  {"id": "gpu", "kind": "script", "queue": "gpu", "inputs": {"url": url, "name": "gpu", "n": 2},
                   "config": {"code": SCRIPT}}],
        "edges": [{"source": "cpu", "target": "gpu"}],
    })  # fmt: skip
    # The gpu queue is served by Celery's own command line, the default queue by lockgate worker.
    gpu = _celery_worker(tmp_path, pg_url, broker, "gpu")
    try:
        await poll_async(lambda: worker_rows(pg_url) or None, 40, what="the gpu worker to register")
        gpu_ids = {r["id"] for r in worker_rows(pg_url)}
        async with (
            workers_running(tmp_path, pg_url, broker, 1, concurrency=1),
            running(celery_settings(tmp_path, pg_url, broker)) as runtime,
        ):
            await poll_async(lambda: len(worker_rows(pg_url)) == 2 or None, 40, what="the other worker")
            head = await runtime.create_run(spec, {})
            state = await runtime.wait(head.id)
    finally:
        gpu.send_signal(signal.SIGTERM)
        gpu.wait(timeout=20)
    assert state.status.value == "succeeded"
    assert attempts_of(pg_url, "gpu")[0]["worker"] in gpu_ids
    assert attempts_of(pg_url, "cpu")[0]["worker"] not in gpu_ids


@pytest.mark.timeout(90)
async def test_an_invocation_the_broker_lost_is_published_again(
    tmp_path: Path, pg_url: str, broker: str, counter: Any
) -> None:
    import redis

    count, url = counter
    work = tmp_path / "work"
    work.mkdir()
    (work / "release").touch()
    settings = celery_settings(tmp_path, pg_url, broker, republish_after=timedelta(seconds=1))
    async with running(settings) as runtime:
        head = await runtime.create_run(_hold_spec(work, url), {})
        await poll_async(lambda: attempts_of(pg_url, "held") or None, 10, what="the attempt to be queued")
        client = redis.Redis.from_url(broker)
        await poll_async(lambda: client.llen("lockgate") or None, 10, what="the invocation in Redis")
        client.flushdb()  # as a Redis restarted without persistence would
        client.close()
        async with workers_running(tmp_path, pg_url, broker, 1):
            state = await runtime.wait(head.id)
    assert state.status.value == "succeeded"
    assert [(r["number"], r["status"]) for r in attempts_of(pg_url, "held")] == [(1, "succeeded")]
    assert count.hits == {"/hit/1": 1}
