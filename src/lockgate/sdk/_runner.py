"""The runtime side of ``run_local``: start a runtime on a home, run once, answer people, stop."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from lockgate.artifacts.layout import ArtifactLayout
from lockgate.engine.state import RunState, StepStatus, people_only
from lockgate.executors.factory import build_executor
from lockgate.handlers.code_tasks import CodeTasks
from lockgate.handlers.registry import default_registry
from lockgate.runtime import Runtime
from lockgate.sdk._answers import ShownTask, ask
from lockgate.sdk._stubs import StubbingExecutor
from lockgate.settings import ExecutorKind, Settings
from lockgate.spec.forms import FormField
from lockgate.store import runs as run_store
from lockgate.store import tasks as task_store
from lockgate.store.conversations import RunOptions

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

    from pydantic import JsonValue

    from lockgate.handlers.code_tasks import CodeTask, Next
    from lockgate.sdk._local import Job

__all__ = ["run_in"]


def run_in(folder: Path, functions: Iterable[CodeTask], stubs: Mapping[str, JsonValue | Next], job: Job) -> RunState:
    """Run ``job`` on a runtime whose home is ``folder``; sync task functions are called on this thread."""
    settings = Settings(home=folder, database_url=f"sqlite:///{(folder / 'lockgate.db').resolve()}",
                        executor=ExecutorKind.LOCAL)  # fmt: skip
    tasks = CodeTasks(on_caller_thread=True)
    for function in functions:
        tasks.add(function)
    registry = default_registry(tasks)
    executor = build_executor(settings, registry, ArtifactLayout(settings.home))
    runtime = Runtime(settings, executor=StubbingExecutor(executor, stubs) if stubs else executor, registry=registry)
    return asyncio.run(_drive(runtime, job))


async def _drive(runtime: Runtime, job: Job) -> RunState:
    await runtime.start()
    try:
        options = RunOptions(replay_from=None if job.replay is None else await runtime.db_call(_replayed, runtime, job))
        head = await runtime.start_run(job.spec, None, job.input, options)
        changed = asyncio.Event()
        unlisten = runtime.listen(lambda applied: changed.set() if applied.run_id == head.id else None)
        try:
            return await _until_settled(runtime, head.id, job, changed)
        finally:
            unlisten()
    finally:
        await runtime.stop()


async def _until_settled(runtime: Runtime, run_id: str, job: Job, changed: asyncio.Event) -> RunState:
    """Until the run ends, or waits for people whom no answer and no terminal can stand in for."""
    while True:
        changed.clear()  # before reading: a commit after the read sets it again
        state = await runtime.run_state(run_id)
        if state.status.terminal:
            return state
        if people_only(state):
            if not await _answer(runtime, state, job):
                return state
            continue
        # A timeout as well: what another process (or a timer) moves on is not told to this listener.
        waiter = asyncio.ensure_future(changed.wait())
        await asyncio.wait([waiter], timeout=1.0)
        waiter.cancel()


async def _answer(runtime: Runtime, state: RunState, job: Job) -> bool:
    """Answer every open task an answer was given for (or the terminal gives); False: none could be."""
    answered = False
    for step in sorted(state.steps.values(), key=lambda s: s.key):
        if step.status is not StepStatus.WAITING or step.task is None:
            continue
        answer = job.answers.next_event(step)
        if answer is None and job.prompt:
            answer = ask(step, await runtime.db_call(_shown, runtime, step.task))
        if answer is not None:
            await runtime.apply(state.run_id, answer)  # a refused answer raises TaskAnswerError, saying why
            answered = True
    return answered


def _shown(runtime: Runtime, task_id: str) -> ShownTask:
    with runtime.db.read() as conn:
        row = task_store.get_task(conn, task_id)
    form = [FormField.model_validate(f) for f in row.form] if row.form is not None else None
    return ShownTask(str(row.title), row.instructions, form)


def _replayed(runtime: Runtime, job: Job) -> str:
    with runtime.db.read() as conn:
        return run_store.replay_source(conn, job.spec.name, job.replay or "", "replay")
