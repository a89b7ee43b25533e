"""A fake executor around the pure core.

It answers DispatchStep commands with step events and fires timers by sending TimerFired at each
StartTimer's ``fire_at``. Time is an argument, never a clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lockgate.compile import Plan, compile_pipeline
from lockgate.engine import (
    CancelStep,
    CloseHumanTask,
    Command,
    DispatchStep,
    ErrorInfo,
    Event,
    HumanTaskAnswered,
    OpenHumanTask,
    RunStarted,
    RunState,
    StartTimer,
    StepFailed,
    StepLost,
    StepStarted,
    StepStatus,
    StepSucceeded,
    TaskAction,
    TimerFired,
    Transition,
    advance,
    initial_state,
)
from lockgate.expressions import truthy
from lockgate.spec import spec_from_data

if TYPE_CHECKING:
    from pydantic import JsonValue

__all__ = [
    "T0",
    "Driver",
    "Responder",
    "edge",
    "fake_handler",
    "node",
    "plan_of",
    "statuses",
]

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)

Responder = Callable[[DispatchStep], Event]


def node(node_id: str, kind: str = "noop", **fields: Any) -> dict[str, Any]:
    """A node definition as a user writes it (``kind`` defaults to ``noop``)."""
    return {"id": node_id, "kind": kind, **fields}


def edge(source: str, target: str, **fields: Any) -> dict[str, Any]:
    return {"source": source, "target": target, **fields}


def plan_of(nodes: list[dict[str, Any]], edges: list[dict[str, Any]] | None = None, **extra: Any) -> Plan:
    return compile_pipeline(spec_from_data({"name": "t", "nodes": nodes, "edges": edges or [], **extra}))


def fake_handler(command: DispatchStep) -> Event:
    """What the real handlers would answer, in miniature: every attempt succeeds.

    noop → its inputs (or None), transform → ``config.value``, condition → the branches whose rendered
    ``when`` holds (the first, or all with ``match: all``), else ``default``.
    """
    output: JsonValue = command.inputs or None
    branches: list[str] | None = None
    if command.kind == "transform":
        output = command.config["value"]
    elif command.kind == "condition":
        config = command.config
        raw = config["branches"]
        assert isinstance(raw, list)
        picked = [str(b["name"]) for b in raw if isinstance(b, dict) and truthy(b["when"])]
        if config.get("match", "first") == "first":
            picked = picked[:1]
        default = config.get("default")
        branches = picked or ([str(default)] if default else [])
        output = branches[0] if branches else None
    return StepSucceeded(step=command.step, attempt=command.attempt, output=output, branches=branches)


def statuses(state: RunState) -> dict[str, str]:
    return {key: step.status.value for key, step in state.steps.items()}


@dataclass
class Driver:
    """One run, driven event by event. ``send`` is the only way in; everything is recorded."""

    plan: Plan
    state: RunState
    now: datetime = T0
    log: list[tuple[Event, datetime]] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    inflight: dict[str, DispatchStep] = field(default_factory=dict)  # unanswered dispatch per step
    timers: list[StartTimer] = field(default_factory=list)  # started, not fired yet
    tasks: dict[str, OpenHumanTask] = field(default_factory=dict)  # open human task per step

    @classmethod
    def start(cls, plan: Plan, run_input: Mapping[str, JsonValue] | None = None, run_id: str = "r1") -> Driver:
        driver = cls(plan, initial_state(run_id, plan.name, 1, len(plan.nodes)))
        driver.send(RunStarted(input=dict(run_input or {})))
        return driver

    # ------------------------------------------------------------------ sending

    def send(self, event: Event, at: datetime | None = None) -> Transition:
        """Apply one event at ``at`` (default: one second after the previous one)."""
        at = at if at is not None else self.now + SECOND
        self.now = max(self.now, at)
        transition = advance(self.plan, self.state, event, self.now)
        self.state = transition.state
        self.log.append((event, self.now))
        self.transitions.append(transition)
        for command in transition.commands:
            if isinstance(command, DispatchStep):
                self.inflight.pop(command.step, None)
                self.inflight[command.step] = command
            elif isinstance(command, StartTimer):
                self.timers.append(command)
            elif isinstance(command, CancelStep):
                current = self.inflight.get(command.step)
                if current is not None and current.attempt == command.attempt:
                    del self.inflight[command.step]
            elif isinstance(command, OpenHumanTask):
                self.tasks[command.step] = command
            elif isinstance(command, CloseHumanTask) and self._is_open(command.step, command.task):
                del self.tasks[command.step]
        return transition

    def _is_open(self, step: str, task: str) -> bool:
        return step in self.tasks and self.tasks[step].task == task

    def answer(
        self,
        step: str,
        action: TaskAction,
        *,
        by: str | None = "ann",
        values: dict[str, JsonValue] | None = None,
        feedback: str | None = None,
    ) -> Transition:
        """Answer the step's open human task as a person would."""
        task = self.tasks[step].task
        return self.send(HumanTaskAnswered(task=task, step=step, action=action, by=by, values=values,
                                           feedback=feedback))  # fmt: skip

    def take(self, step: str) -> DispatchStep:
        return self.inflight.pop(step)

    def succeed(
        self,
        step: str,
        output: JsonValue = None,
        *,
        next_: list[str] | None = None,
        branches: list[str] | None = None,
        at: datetime | None = None,
    ) -> Transition:
        attempt = self.take(step).attempt
        return self.send(StepSucceeded(step=step, attempt=attempt, output=output, next=next_, branches=branches), at)

    def fail(
        self,
        step: str,
        kind: str = "boom",
        *,
        retryable: bool = False,
        retry_after: timedelta | None = None,
        at: datetime | None = None,
    ) -> Transition:
        attempt = self.take(step).attempt
        error = ErrorInfo(kind=kind, message=f"{kind}!", retryable=retryable, retry_after=retry_after)
        return self.send(StepFailed(step=step, attempt=attempt, error=error), at)

    def started(self, step: str, at: datetime | None = None) -> Transition:
        return self.send(StepStarted(step=step, attempt=self.inflight[step].attempt), at)

    def lost(self, step: str) -> Transition:
        return self.send(StepLost(step=step, attempt=self.take(step).attempt))

    def fire_next_timer(self) -> Transition | None:
        """Fire the earliest pending timer at its ``fire_at`` (stale ones too: the engine must ignore them)."""
        if not self.timers:
            return None
        timer = min(self.timers, key=lambda t: t.fire_at)
        self.timers.remove(timer)
        event = TimerFired(step=timer.step, attempt=timer.attempt, purpose=timer.purpose)
        return self.send(event, max(self.now, timer.fire_at))

    def run(self, respond: Responder = fake_handler, limit: int = 10_000) -> RunState:
        """Answer dispatches first come first served; when none is left, fire the next timer."""
        for _ in range(limit):
            if self.inflight:
                self.send(respond(self.take(next(iter(self.inflight)))))
            elif self.fire_next_timer() is None:
                return self.state
        raise AssertionError("the run did not settle")

    # ------------------------------------------------------------------ reading

    @property
    def commands(self) -> list[Command]:
        return [c for t in self.transitions for c in t.commands]

    def dispatches(self, step: str | None = None) -> list[DispatchStep]:
        return [c for c in self.commands if isinstance(c, DispatchStep) and (step is None or c.step == step)]

    def dispatched_steps(self) -> list[str]:
        return [c.step for c in self.dispatches()]

    def status(self, step: str) -> StepStatus:
        """The step's status now (a call, so that type checkers do not narrow it between events)."""
        return self.state.steps[step].status

    def timers_for(self, step: str) -> list[StartTimer]:
        return [c for c in self.commands if isinstance(c, StartTimer) and c.step == step]
