"""``run_local``: a pipeline run by the real runtime in this process, its tasks on the caller's thread."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import JsonValue

from lockgate.engine.state import RunState, RunStatus, StepStatus, TaskPurpose
from lockgate.errors import InvalidInputError
from lockgate.handlers.registry import default_registry
from lockgate.sdk._answers import AnswerBook, Answers
from lockgate.spec.nodes import HumanNode, WaitNode
from lockgate.spec.pipeline import PipelineSpec

if TYPE_CHECKING:
    from lockgate.handlers.code_tasks import Next
    from lockgate.sdk._pipeline import Pipeline

__all__ = ["Job", "LocalRun", "LocalStep", "WaitingTask", "run_local"]


@dataclass(frozen=True, slots=True)
class LocalStep:
    """One step of a local run (a ``for_each`` node has one per item, ``node[0]``, besides its own)."""

    key: str
    node_id: str
    status: StepStatus
    output: JsonValue
    attempt: int
    error: str | None = None  # ``kind: message`` of a failed step


@dataclass(frozen=True, slots=True)
class WaitingTask:
    """A human task the run waits for: no answer was given for it and no terminal could ask."""

    step: str
    node_id: str
    asks: TaskPurpose
    task: str


@dataclass(frozen=True, slots=True)
class LocalRun:
    """What ``run_local`` gives back: the run's status and output, and each step's."""

    status: RunStatus
    output: JsonValue
    steps: Mapping[str, LocalStep]
    number: int
    run_id: str
    home: Path | None  # None: a temporary home, removed after the run
    errors: tuple[str, ...] = ()  # the run's error, then each failed step's (``node: kind: message``)
    waiting: tuple[WaitingTask, ...] = ()

    @property
    def succeeded(self) -> bool:
        """The run succeeded."""
        return self.status is RunStatus.SUCCEEDED


@dataclass(frozen=True, slots=True)
class Job:
    """What one ``run_local`` call asks of the runner."""

    spec: PipelineSpec
    input: Mapping[str, JsonValue]
    answers: AnswerBook
    replay: str | None
    prompt: bool


def run_local(
    pipe: Pipeline,
    *,
    input: Mapping[str, JsonValue] | None = None,
    answers: Answers | None = None,
    stub: Mapping[str, JsonValue | Next] | None = None,
    replay: int | str | None = None,
    home: str | Path | None = None,
    prompt: bool | None = None,
) -> LocalRun:
    """Run a pipeline here, on the real runtime, with its task functions called on this thread.

    A ``breakpoint()`` (or an IDE breakpoint) in a task stops there. Steps run as under ``lockgate run``:
    the local executor, a SQLite database in ``home``. People's tasks take ``answers``; without one, a
    terminal on stdin asks for it, else the result says what the run waits for.

    Args:
        pipe: the pipeline.
        input: the run's input.
        answers: node id → an answer to its human tasks: a form's values (``{"ok": True}``), or
            ``"approve"`` / ``"reject"`` for a review; a list answers its tasks in order (the last repeats).
        stub: node id → the output each of its attempts gives without running (a ``Next`` routes too);
            for nodes a handler runs (agent, http, script, task).
        replay: an earlier run in ``home`` (its number, ``"vN"`` or its id): agent steps answer from its recording.
        home: keep the database and artifacts here (the default: a temporary folder, removed after the run).
        prompt: ask in the terminal for what ``answers`` leaves open; None: when stdin is a terminal
            (``prompt=False`` in a test run with ``pytest -s``, so an unanswered task returns instead).

    Returns:
        The run: status, output, each step, and what it waits for if it waits.

    Raises:
        InvalidInputError: the input, an answer, a stub or the replayed run is wrong (each named).
        DefinitionErrors: the pipeline is not valid.
        RuntimeError: called inside a running event loop (``run_local`` runs its own).
    """
    if replay is not None and home is None:
        raise InvalidInputError(["replay: give home= too, the folder holding the run to replay"])
    spec = pipe.spec()
    book = AnswerBook(spec, answers)
    stubs = dict(stub or {})
    _check_stubs(spec, stubs)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError("run_local runs its own event loop: call it outside async code (or in a thread)")
    if prompt is None:
        prompt = sys.stdin is not None and sys.stdin.isatty()
    job = Job(spec, dict(input or {}), book, None if replay is None else str(replay), prompt)
    from lockgate.sdk._runner import run_in  # the runtime only when a run starts: `import lockgate` stays light

    if home is not None:
        return _result(run_in(Path(home), pipe.__lockgate_tasks__(), stubs, job), Path(home))
    folder = Path(tempfile.mkdtemp(prefix="lockgate-local-"))
    try:
        return _result(run_in(folder, pipe.__lockgate_tasks__(), stubs, job), None)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _check_stubs(spec: PipelineSpec, stubs: Mapping[str, object]) -> None:
    nodes = {node.id: node for node in spec.nodes}
    registry = default_registry()
    problems: list[str] = []
    for node_id in stubs:
        node = nodes.get(node_id)
        if node is None:
            problems.append(f"stub[{node_id!r}]: no such node (nodes: {', '.join(nodes)})")
        elif isinstance(node, HumanNode):
            problems.append(f"stub[{node_id!r}]: a human node takes answers=, not a stub")
        elif isinstance(node, WaitNode):
            problems.append(f"stub[{node_id!r}]: a wait node is a timer the engine keeps, never run: it takes no stub")
        elif registry.get(node.kind).inline is not None:
            problems.append(f"stub[{node_id!r}]: a {node.kind} node is evaluated in place, never run: it takes no stub")
    if problems:
        raise InvalidInputError(problems)


def _result(state: RunState, home: Path | None) -> LocalRun:
    steps = {
        key: LocalStep(key, s.node_id, s.status, s.output, s.attempt,
                       f"{s.error.kind}: {s.error.message}" if s.error is not None else None)
        for key, s in sorted(state.steps.items())
    }  # fmt: skip
    errors = [f"{state.error.kind}: {state.error.message}"] if state.error is not None else []
    errors += [f"{s.key}: {s.error}" for s in steps.values() if s.error is not None and s.status is StepStatus.FAILED]
    waiting = tuple(WaitingTask(s.key, s.node_id, s.waiting, s.task) for s in state.steps.values()
                    if s.status is StepStatus.WAITING and s.waiting is not None and s.task is not None)  # fmt: skip
    return LocalRun(state.status, state.output, steps, state.number, state.run_id, home, tuple(errors), waiting)
