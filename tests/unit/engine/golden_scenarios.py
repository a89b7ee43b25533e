"""The scenarios behind ``golden/*.jsonl``, and how a log is written, read and summarised.

A golden file is one JSON document per line: a header ``{"pipeline": …, "run": …}``, then every event
as it was applied ``{"at": iso, "event": …}``, and last the expected summary ``{"expected": …}``.
``test_golden.py`` replays the events with today's engine and compares the summary.

When semantics change on purpose, regenerate the files and review the diff like code::

    cd /work/main && .venv/bin/python -m tests.unit.engine.golden_scenarios
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.unit.engine.driver import Driver

from lockgate.compile import Plan, compile_pipeline
from lockgate.engine import (
    EVENT_ADAPTER,
    ArchiveOutputs,
    CancelStep,
    CloseHumanTask,
    Command,
    DispatchStep,
    Event,
    KeepAttempt,
    OpenHumanTask,
    RunCancelled,
    RunFinished,
    RunPaused,
    RunResumed,
    RunRolledBack,
    RunState,
    StartTimer,
    StepSucceeded,
    TaskAction,
    initial_state,
    replay_transitions,
)
from lockgate.spec import spec_from_data

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from pydantic import JsonValue

__all__ = ["GOLDEN", "SCENARIOS", "read_log", "summary", "write_all"]

GOLDEN = Path(__file__).parent / "golden"


def _retry(driver: Driver) -> None:
    driver.succeed("fetch", {"n": 3})
    driver.started("flaky")
    driver.fire_next_timer()  # its 5 s timeout: attempt 1 cancelled, retried after a jittered backoff
    driver.fire_next_timer()
    driver.fail("flaky", "rate_limited", retryable=True, retry_after=timedelta(seconds=30))
    driver.fire_next_timer()
    driver.succeed("flaky", "ok on 3")
    driver.fail("doomed", "server_error", retryable=True)
    driver.fire_next_timer()
    driver.fail("doomed", "server_error", retryable=True)  # out of attempts; on_error: continue
    driver.run()


def _for_each(driver: Driver) -> None:
    driver.succeed("list", ["a", "b", "c", "d"])
    driver.succeed("each[1]", "B")
    driver.fail("each[0]", "flaky", retryable=True)
    driver.succeed("each[2]", "C")
    driver.fire_next_timer()
    driver.succeed("each[3]", "D")
    driver.succeed("each[0]", "A")
    driver.run()


def _pause_cancel(driver: Driver) -> None:
    driver.send(RunPaused(by="ann"))
    driver.succeed("left", 1)  # running steps finish while paused; "after" is held
    driver.send(RunResumed(by="ann"))
    driver.succeed("after", 2)
    driver.send(RunCancelled(by="bob", reason="enough"))
    driver.send(StepSucceeded(step="right", attempt=1, output="too late"))


def _review(driver: Driver) -> None:
    driver.succeed("prepare", {"points": 3})
    driver.succeed("draft", "draft 1")
    driver.answer("draft", TaskAction.REVISE, by="ed", feedback="shorter")
    driver.succeed("draft", "draft 2")
    driver.answer("draft", TaskAction.APPROVE, by="ed")
    driver.answer("sign_off", TaskAction.SUBMIT, by="ann", values={"headline": "Hi"})
    driver.succeed("sign_off", {"headline": "Hi"})
    driver.succeed("publish", "published")
    driver.send(RunRolledBack(rollback="rb1", node="draft", by="ann", reason="start over"))
    driver.succeed("draft", "draft 3")
    driver.answer("draft", TaskAction.APPROVE, by="ed")
    driver.answer("sign_off", TaskAction.SUBMIT, by="ann", values={"headline": "Hello"})
    driver.succeed("sign_off", {"headline": "Hello"})
    driver.run()


_TIMEOUT_RETRY = {"max_attempts": 3, "initial_delay": "2s", "factor": 2, "jitter": 0.3}
SCENARIOS: dict[str, tuple[dict[str, Any], Callable[[Driver], None]]] = {
    "retry": (
        {
            "name": "retry",
            "nodes": [
                {"id": "fetch", "kind": "noop"},
                {"id": "flaky", "kind": "noop", "timeout": "5s", "retry": _TIMEOUT_RETRY},
                {"id": "doomed", "kind": "noop", "on_error": "continue", "retry": {"max_attempts": 2}},
                {"id": "report", "kind": "noop", "inputs": {"doomed": "{{ nodes.doomed.status }}"}},
            ],
            "edges": [
                {"source": "fetch", "target": "flaky"},
                {"source": "fetch", "target": "doomed"},
                {"source": "flaky", "target": "report"},
                {"source": "doomed", "target": "report"},
            ],
        },
        _retry,
    ),
    "for_each": (
        {
            "name": "fan-out",
            "nodes": [
                {"id": "list", "kind": "noop"},
                {
                    "id": "each",
                    "kind": "noop",
                    "for_each": "{{ nodes.list.output }}",
                    "max_parallel": 2,
                    "inputs": {"letter": "{{ item }}"},
                    "retry": {"max_attempts": 2},
                },
                {"id": "join", "kind": "noop", "inputs": {"all": "{{ nodes.each.output | join('') }}"}},
            ],
            "edges": [{"source": "list", "target": "each"}, {"source": "each", "target": "join"}],
        },
        _for_each,
    ),
    "pause_cancel": (
        {
            "name": "pause-cancel",
            "nodes": [{"id": i, "kind": "noop"} for i in ("left", "right", "after", "last")],
            "edges": [
                {"source": "left", "target": "after"},
                {"source": "after", "target": "last"},
                {"source": "right", "target": "last"},
            ],
        },
        _pause_cancel,
    ),
    "review": (
        {
            "name": "review",
            "nodes": [
                {"id": "prepare", "kind": "noop"},
                {"id": "draft", "kind": "noop", "review": {"approve_complete": True, "max_revisions": 2}},
                {"id": "sign_off", "kind": "human", "config": {"fields": [{"name": "headline", "required": True}]}},
                {"id": "publish", "kind": "noop", "inputs": {"headline": "{{ nodes.sign_off.output.headline }}"}},
            ],
            "edges": [
                {"source": "prepare", "target": "draft"},
                {"source": "draft", "target": "sign_off"},
                {"source": "sign_off", "target": "publish"},
            ],
        },
        _review,
    ),
}


def _command(command: Command) -> str:
    if isinstance(command, DispatchStep):
        return f"dispatch {command.step}#{command.attempt} {json.dumps(command.inputs, sort_keys=True)}"
    if isinstance(command, StartTimer):
        return f"timer {command.purpose.value} {command.step}#{command.attempt} at {command.fire_at.isoformat()}"
    if isinstance(command, CancelStep):
        return f"cancel {command.step}#{command.attempt}"
    if isinstance(command, OpenHumanTask):
        return f"open {command.purpose.value} {command.step}#{command.attempt} task {command.number}"
    if isinstance(command, CloseHumanTask):
        return f"close {command.step} {command.outcome.value} by {command.by} ({command.feedback})"
    if isinstance(command, KeepAttempt):
        return f"keep {command.step}#{command.attempt} {command.moves}"
    if isinstance(command, ArchiveOutputs):
        return f"archive {command.folder} {[s.key for s in command.steps]}"
    assert isinstance(command, RunFinished), command
    return f"finished {command.status.value}"


def summary(state: RunState, commands: Iterable[Command]) -> dict[str, JsonValue]:
    """What a person would check after the run: its end, each step's end, and every decision taken."""
    steps: dict[str, JsonValue] = {
        key: {
            "status": step.status.value,
            "attempt": step.attempt,
            "failures": step.failures,
            "output": step.output,
            "error": step.error.kind if step.error else None,
        }
        for key, step in sorted(state.steps.items())
    }
    result: dict[str, JsonValue] = {
        "status": state.status.value,
        "output": state.output,
        "error": state.error.model_dump(mode="json", exclude_none=True) if state.error else None,
        "steps": steps,
        "commands": [_command(c) for c in commands],
    }
    parsed: dict[str, JsonValue] = json.loads(json.dumps(result))
    return parsed


def replay_log(plan: Plan, run: dict[str, Any], events: list[tuple[Event, datetime]]) -> dict[str, JsonValue]:
    start = initial_state(run["id"], plan.name, run["number"], len(plan.nodes))
    transitions = replay_transitions(plan, start, events)
    final = transitions[-1].state if transitions else start
    return summary(final, (c for t in transitions for c in t.commands))


def read_log(path: Path) -> tuple[Plan, dict[str, Any], list[tuple[Event, datetime]], dict[str, JsonValue]]:
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    header, *body, footer = lines
    plan = compile_pipeline(spec_from_data(header["pipeline"]))
    events = [(EVENT_ADAPTER.validate_python(e["event"]), datetime.fromisoformat(e["at"])) for e in body]
    return plan, header["run"], events, footer["expected"]


def write_all() -> list[Path]:
    GOLDEN.mkdir(exist_ok=True)
    written = []
    for name, (pipeline, scenario) in SCENARIOS.items():
        plan = compile_pipeline(spec_from_data(pipeline))
        driver = Driver.start(plan, run_id=f"golden-{name}")
        scenario(driver)
        run = {"id": driver.state.run_id, "number": driver.state.number}
        lines: list[dict[str, Any]] = [{"pipeline": pipeline, "run": run}]
        lines += [{"at": at.isoformat(), "event": EVENT_ADAPTER.dump_python(e, mode="json")} for e, at in driver.log]
        lines.append({"expected": summary(driver.state, driver.commands)})
        path = GOLDEN / f"{name}.jsonl"
        path.write_text("".join(json.dumps(line, sort_keys=True) + "\n" for line in lines))
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_all():
        print(f"wrote {written_path}")  # noqa: T201
