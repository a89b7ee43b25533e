"""The run's state as the engine sees it: plain frozen values, rebuilt by folding events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from immutables import Map
from pydantic import BaseModel, ConfigDict, JsonValue

from lockgate.engine.records import ExpressionBudgets, ReusedStep, RunRef

__all__ = [
    "ACTIVE",
    "ALLOWED",
    "TERMINAL",
    "ErrorInfo",
    "MapProgress",
    "RunState",
    "RunStatus",
    "StepState",
    "StepStatus",
    "TaskPurpose",
    "initial_state",
    "item_key",
    "people_only",
]


class StepStatus(StrEnum):
    PENDING = "pending"  # ready but held (run paused), or waiting for inputs
    QUEUED = "queued"  # dispatched, not yet started
    RUNNING = "running"
    RETRYING = "retrying"  # failed, waiting for its backoff timer
    WAITING = "waiting"  # for a person (a human task) or for a wait node's instant; holds no worker, thread or lease
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class TaskPurpose(StrEnum):
    """What a human task asks of a person."""

    APPROVE_START = "approve_start"  # may the step start? approve or reject
    FORM = "form"  # fill in the form of a human node: submit or reject
    APPROVE_COMPLETE = "approve_complete"  # review a finished attempt: approve, revise or reject


class RunStatus(StrEnum):
    QUEUED = "queued"  # created, waits for a slot of its pipeline's concurrency (flow control): no event yet
    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED}


TERMINAL = frozenset({StepStatus.SUCCEEDED, StepStatus.FAILED, StepStatus.SKIPPED, StepStatus.CANCELLED})
ACTIVE = frozenset({StepStatus.QUEUED, StepStatus.RUNNING})

_S = StepStatus
ALLOWED: Mapping[StepStatus, frozenset[StepStatus]] = {
    _S.PENDING: frozenset({_S.QUEUED, _S.RUNNING, _S.SUCCEEDED, _S.FAILED, _S.SKIPPED, _S.CANCELLED, _S.WAITING}),
    _S.QUEUED: frozenset(
        {_S.QUEUED, _S.RUNNING, _S.SUCCEEDED, _S.FAILED, _S.RETRYING, _S.PENDING, _S.CANCELLED, _S.WAITING}
    ),
    _S.RUNNING: frozenset({_S.QUEUED, _S.SUCCEEDED, _S.FAILED, _S.RETRYING, _S.PENDING, _S.CANCELLED, _S.WAITING}),
    _S.RETRYING: frozenset({_S.QUEUED, _S.PENDING, _S.FAILED, _S.CANCELLED, _S.WAITING}),
    # A person answered: dispatch (approved start, revision, submitted form), done, rejected; or the run ended.
    _S.WAITING: frozenset({_S.QUEUED, _S.RUNNING, _S.SUCCEEDED, _S.FAILED, _S.PENDING, _S.CANCELLED}),
    _S.SUCCEEDED: frozenset(),
    _S.FAILED: frozenset(),
    _S.SKIPPED: frozenset(),
    _S.CANCELLED: frozenset(),
}


class ErrorInfo(BaseModel):
    """A failure as data: what kind, what happened, whether a retry may help."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    message: str
    retryable: bool = False
    retry_after: timedelta | None = None
    field: str | None = None


@dataclass(frozen=True, slots=True)
class MapProgress:
    total: int
    launched: int = 0
    done: int = 0
    failed: int = 0

    @property
    def active(self) -> int:
        return self.launched - self.done


@dataclass(frozen=True, slots=True)
class StepState:
    key: str
    node_id: str
    item_index: int | None = None
    status: StepStatus = StepStatus.PENDING
    attempt: int = 0  # number of the latest attempt; 0 before the first dispatch
    failures: int = 0  # failed attempts counted by the retry policy (a lost attempt is not)
    lost: int = 0  # lost attempts (worker gone), bounded by the node's max_lost_attempts
    held: bool = False  # ready, but the run is paused
    output: JsonValue = None
    error: ErrorInfo | None = None
    branches: tuple[str, ...] | None = None
    next: tuple[str, ...] | None = None
    first_queued_at: datetime | None = None
    queued_at: datetime | None = None
    started_at: datetime | None = None
    heartbeat_at: datetime | None = None
    finished_at: datetime | None = None
    retry_at: datetime | None = None
    items: MapProgress | None = None
    item_values: tuple[JsonValue, ...] | None = None
    # People (review policies and human nodes):
    waiting: TaskPurpose | None = None  # what the open task asks, while WAITING
    task: str | None = None  # the open task's id
    tasks_opened: int = 0  # tasks opened for this step so far: the next task's number
    task_opened_at: datetime | None = None
    notified: bool = False  # the open task's deadline has notified (once: a timer may be delivered twice)
    notify_sent: int = 0  # deliveries of that notification started so far
    notify_next_at: datetime | None = None  # when the next delivery is due (a retry, or a lost one's re-send)
    start_approved: bool = False
    revisions: int = 0  # revision requests answered by a new attempt
    feedback: str | None = None  # of the latest revision request: attempts after it see it
    answer: JsonValue = None  # a human node's submitted values, until its handler has recorded them
    wake_at: datetime | None = None  # a wait node's step, WAITING until then (a ``wake`` timer)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


@dataclass(frozen=True, slots=True)
class RunState:
    run_id: str
    pipeline: str
    number: int
    status: RunStatus = RunStatus.PENDING
    input: Mapping[str, JsonValue] = field(default_factory=dict)
    steps: Mapping[str, StepState] = field(default_factory=Map)
    unfinished: int = 0  # plan nodes whose step is not terminal yet
    seq: int = 0  # events folded into this state
    output: JsonValue = None
    error: ErrorInfo | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    extends: RunRef | None = None  # the earlier run whose artifacts every step may read
    reuse: Mapping[str, ReusedStep] = field(default_factory=dict)  # node id → what is taken over from it
    # Attempts and tasks already used by step keys a rollback removed: numbering goes on from here,
    # so attempt rows, logs and task ids of the earlier steps are never reused.
    floors: Mapping[str, tuple[int, int]] = field(default_factory=Map)
    # Digests of templates that ran past the time budget (ExpressionTimedOut): they fail at once from then on.
    refused: frozenset[str] = frozenset()
    budgets: ExpressionBudgets | None = None  # the counted budgets of its templates (from RunStarted)


def initial_state(run_id: str, pipeline: str, number: int, node_count: int) -> RunState:
    return RunState(run_id=run_id, pipeline=pipeline, number=number, unfinished=node_count)


def item_key(node_id: str, index: int) -> str:
    return f"{node_id}[{index}]"


def people_only(state: RunState) -> bool:
    """Nothing runs or will run by itself: every open step waits for a person."""
    if state.status is not RunStatus.RUNNING:
        return False
    waiting = False
    for step in state.steps.values():
        if step.status is StepStatus.WAITING and step.wake_at is not None:
            return False  # a wait node's step: it wakes by itself
        if step.status is StepStatus.WAITING:
            waiting = True
        elif step.status in {StepStatus.QUEUED, StepStatus.RETRYING} or (
            step.status is StepStatus.RUNNING and step.items is None
        ):
            return False
    return waiting
