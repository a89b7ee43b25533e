"""A transition in progress: copy-on-write over the old state, collecting commands."""

from __future__ import annotations

from collections import deque
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from immutables import Map

from lockgate.engine.state import ALLOWED, ErrorInfo, RunState, RunStatus, StepState, StepStatus

if TYPE_CHECKING:
    from datetime import datetime

    from pydantic import JsonValue

    from lockgate.compile.plan import Plan, PlanNode
    from lockgate.engine.commands import Command

__all__ = ["Draft"]

_STEP_FIELDS = tuple(f.name for f in fields(StepState))
_STEP_FIELD_SET = frozenset(_STEP_FIELDS)


def _evolved(step: StepState, changes: dict[str, Any]) -> StepState:
    """``dataclasses.replace`` without its walk through ``__init__``: a step changes several times per event."""
    unknown = changes.keys() - _STEP_FIELD_SET
    if unknown:
        raise TypeError(f"StepState has no field {sorted(unknown)[0]!r}")
    new = object.__new__(StepState)
    for name in _STEP_FIELDS:  # frozen: set as its own __init__ does
        object.__setattr__(new, name, changes[name] if name in changes else getattr(step, name))
    return new


class Draft:
    """Mutable only inside one ``advance`` call; the state it started from is never touched."""

    def __init__(self, plan: Plan, state: RunState, now: datetime) -> None:
        self.plan = plan
        self.now = now
        self.base = state
        # A persistent map: each change costs O(log n), so a 10,000-item map stays cheap per event.
        steps = state.steps
        self.steps: Map[str, StepState] = steps if isinstance(steps, Map) else Map(steps)
        floors = state.floors
        self.floors: Map[str, tuple[int, int]] = floors if isinstance(floors, Map) else Map(floors)
        self.status = state.status
        self.input = state.input
        self.unfinished = state.unfinished
        self.output: JsonValue = state.output
        self.error: ErrorInfo | None = state.error
        self.refused = state.refused
        self.started_at = state.started_at
        self.finished_at = state.finished_at
        self.commands: list[Command] = []
        self.changed: set[str] = set()
        self.removed: set[str] = set()  # step keys a rollback took out (some may be back, in ``changed``)
        # Work queued by this transition, drained iteratively so deep graphs never recurse deeply.
        self.to_check: deque[str] = deque()
        self.to_launch: set[str] = set()

    def node(self, node_id: str) -> PlanNode:
        return self.plan.nodes[node_id]

    def put(self, step: StepState) -> StepState:
        old = self.steps.get(step.key)
        if old is not None and old.status is not step.status and step.status not in ALLOWED[old.status]:
            raise AssertionError(f"step {step.key}: {old.status} → {step.status} is not allowed")
        self.steps = self.steps.set(step.key, step)
        self.changed.add(step.key)
        return step

    def new_step(self, key: str, node_id: str, item_index: int | None = None, **fields: Any) -> StepState:
        """A step not started yet; after a rollback its numbering goes on from where the removed one was."""
        attempt, tasks = self.floors.get(key, (0, 0))
        return StepState(key=key, node_id=node_id, item_index=item_index, attempt=attempt, tasks_opened=tasks,
                         **fields)  # fmt: skip

    def remove(self, step: StepState) -> None:
        """Take a step out (rollback): as if it never started, but its numbers are remembered."""
        self.floors = self.floors.set(step.key, (step.attempt, step.tasks_opened))
        self.steps = self.steps.delete(step.key)
        self.changed.discard(step.key)
        self.removed.add(step.key)

    def update(self, step: StepState, **changes: Any) -> StepState:
        return self.put(_evolved(step, changes))

    @property
    def running(self) -> bool:
        return self.status is RunStatus.RUNNING

    @property
    def live(self) -> bool:
        return not self.status.terminal

    def freeze(self) -> RunState:
        return RunState(
            run_id=self.base.run_id,
            pipeline=self.base.pipeline,
            number=self.base.number,
            status=self.status,
            input=self.input,
            steps=self.steps,
            unfinished=self.unfinished,
            seq=self.base.seq + 1,
            output=self.output,
            error=self.error,
            started_at=self.started_at,
            finished_at=self.finished_at,
            extends=self.base.extends,
            reuse=self.base.reuse,
            floors=self.floors,
            refused=self.refused,
            budgets=self.base.budgets,
        )

    def is_status(self, key: str, *statuses: StepStatus) -> bool:
        step = self.steps.get(key)
        return step is not None and step.status in statuses
