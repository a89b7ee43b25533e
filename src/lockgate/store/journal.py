"""The write path of transitions: events, step and attempt projections, timers, run rows — batched."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, assert_never

from sqlalchemy import Connection, and_, bindparam, delete, select

from lockgate.engine.commands import (
    ArchiveOutputs,
    CancelStep,
    CloseHumanTask,
    Command,
    DispatchStep,
    KeepAttempt,
    NotifyDeadline,
    OpenHumanTask,
    PointLatest,
    RecordReuse,
    RunFinished,
    StartChildRun,
    StartTimer,
)
from lockgate.engine.events import (
    DeadlineNotificationAttempted,
    Event,
    ExpressionTimedOut,
    HumanTaskAnswered,
    RunCancelled,
    RunMadeLatest,
    RunPaused,
    RunResumed,
    RunRolledBack,
    RunStarted,
    StepFailed,
    StepHeartbeat,
    StepLost,
    StepRetryRequested,
    StepStarted,
    StepSucceeded,
    TimerFired,
)
from lockgate.engine.state import RunStatus
from lockgate.store.archives import ArchiveWrites
from lockgate.store.children import ChildWrites
from lockgate.store.ids import new_id
from lockgate.store.journal_sql import OPEN, AttemptUpdates, write_rows
from lockgate.store.tables import artifacts, attempts, idempotency, steps, timers
from lockgate.store.tasks import TaskWrites
from lockgate.store.upsert import insert_ignore, upsert

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from lockgate.engine.advance import Transition
    from lockgate.engine.state import RunState, StepState

__all__ = ["JournalBatch"]


def _step_row(run_id: str, step: StepState) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "key": step.key,
        "node_id": step.node_id,
        "item_index": step.item_index,
        "status": step.status.value,
        "attempt": step.attempt,
        "output": step.output,
        "error": step.error.model_dump(mode="json") if step.error else None,
        "branches": list(step.branches) if step.branches is not None else None,
        "next": list(step.next) if step.next is not None else None,
        "queued_at": step.first_queued_at,
        "started_at": step.started_at,
        "finished_at": step.finished_at,
    }


@dataclass
class JournalBatch:
    """Collects what a batch of transitions writes, then flushes it with one statement per kind of row."""

    worker: str
    events: list[dict[str, Any]] = field(default_factory=list)
    steps: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    new_attempts: dict[tuple[str, str, int], dict[str, Any]] = field(default_factory=dict)
    attempt_updates: AttemptUpdates = field(default_factory=AttemptUpdates)
    new_timers: list[dict[str, Any]] = field(default_factory=list)
    fired_timers: list[dict[str, Any]] = field(default_factory=list)
    finished_runs: list[str] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    remember: list[tuple[str, str, int, Any]] = field(default_factory=list)  # run, step, attempt, output
    removed: set[tuple[str, str]] = field(default_factory=set)  # steps a rollback took out
    tasks: TaskWrites = field(default_factory=TaskWrites)
    archives: ArchiveWrites = field(default_factory=ArchiveWrites)
    children: ChildWrites = field(default_factory=ChildWrites)

    def add(self, run_id: str, event: Event, at: datetime, transition: Transition) -> None:
        state = transition.state
        self.events.append({"run_id": run_id, "seq": state.seq, "type": event.type,
                            "data": event.model_dump(mode="json"), "at": at})  # fmt: skip
        for key in transition.removed:
            self.steps.pop((run_id, key), None)
            self.removed.add((run_id, key))
        for key in transition.changed:
            self.steps[(run_id, key)] = _step_row(run_id, state.steps[key])
        self.runs[run_id] = self._run_row(state, at)
        if transition.changed or transition.commands:  # a stale event changes no attempt either
            self._attempt_effects(run_id, event, at)
        for command in transition.commands:
            self._command_effects(command, state, at)

    @staticmethod
    def _run_row(state: RunState, at: datetime) -> dict[str, Any]:
        return {
            "b_id": state.run_id,
            "status": state.status.value,
            "output": state.output,
            "error": state.error.model_dump(mode="json") if state.error else None,
            "last_seq": state.seq,
            "started_at": state.started_at,
            "finished_at": state.finished_at,
            "updated_at": at,
        }

    def _attempt(self, kind: str, run_id: str, step: str, attempt: int, **values: Any) -> None:
        fresh = self.new_attempts.get((run_id, step, attempt))
        if fresh is not None:  # inserted by this very batch: one row written, not an insert and an update
            if kind in {"started", "cancelled"} and fresh["status"] not in OPEN:
                return
            fresh.update(values)
            return
        self.attempt_updates.add(kind, run_id, step, attempt, values)

    def _attempt_effects(self, run_id: str, event: Event, at: datetime) -> None:
        match event:
            case StepStarted():
                self._attempt("started", run_id, event.step, event.attempt, status="running", started_at=at)
            case StepSucceeded():
                self._succeeded(run_id, event, at)
            case StepFailed():
                self._attempt("finished", run_id, event.step, event.attempt, status="failed",
                              error=event.error.model_dump(mode="json"), finished_at=at)  # fmt: skip
            case StepLost():
                error = {"kind": "lost", "message": event.reason, "retryable": True}
                self._attempt("finished", run_id, event.step, event.attempt, status="lost", error=error,
                              finished_at=at)  # fmt: skip
            case TimerFired():
                self.fired_timers.append({"b_run": run_id, "b_step": event.step, "b_number": event.attempt,
                                          "b_purpose": event.purpose.value})  # fmt: skip
            case (
                RunStarted()
                | StepHeartbeat()
                | RunPaused()
                | RunResumed()
                | RunCancelled()
                | StepRetryRequested()
                | HumanTaskAnswered()
                | DeadlineNotificationAttempted()
                | RunRolledBack()
                | RunMadeLatest()
                | ExpressionTimedOut()
            ):
                pass  # no attempt row changes: the transition's commands say what else is written
            case _:
                assert_never(event)

    def _succeeded(self, run_id: str, event: StepSucceeded, at: datetime) -> None:
        self._attempt("finished", run_id, event.step, event.attempt, status="succeeded", error=None,
                      finished_at=at, output=event.output)  # fmt: skip
        self.artifacts.extend(
            {"id": new_id(), "run_id": run_id, "step_key": event.step, "attempt": event.attempt, "name": a.name,
             "path": a.path, "size": a.size, "sha256": a.sha256, "media_type": a.media_type, "archived": False,
             "created_at": at}
            for a in event.artifacts
        )  # fmt: skip
        if not event.reused:
            self.remember.append((run_id, event.step, event.attempt, event.output))

    def _command_effects(self, command: Command, state: RunState, at: datetime) -> None:  # noqa: C901 - one case per command: mypy checks the match is exhaustive
        match command:
            case DispatchStep():
                self.new_attempts[(command.run_id, command.step, command.attempt)] = {
                    "run_id": command.run_id, "step_key": command.step, "number": command.attempt,
                    "status": "queued", "worker": self.worker, "idempotency_key": command.idempotency_key,
                    "code_hash": command.code_hash,
                    "queued_at": command.queued_at, "started_at": None, "finished_at": None, "error": None,
                    "output": None, "feedback": command.feedback, "archived": False,
                }  # fmt: skip
            case StartTimer():
                self.new_timers.append({"run_id": command.run_id, "step_key": command.step,
                                        "attempt": command.attempt, "purpose": command.purpose.value,
                                        "fire_at": command.fire_at})  # fmt: skip
            case CancelStep():
                self._cancelled(command, state, at)
            case RunFinished():
                self.finished_runs.append(command.run_id)
                if command.status is RunStatus.SUCCEEDED:  # runs/latest follows the newest succeeded run
                    self.archives.latest.append((command.run_id, state.number))
            case OpenHumanTask():
                self.tasks.open(command)
            case CloseHumanTask():
                self.tasks.close(command, at)
            case KeepAttempt() | ArchiveOutputs() | RecordReuse() | PointLatest():
                self.archives.add(command, at)
            case StartChildRun():
                self.children.add(command)  # the runtime starts the child once this commits
            case NotifyDeadline():
                pass  # sent after commit; its outcome comes back as an event
            case _:
                assert_never(command)

    def _cancelled(self, command: CancelStep, state: RunState, at: datetime) -> None:
        step = state.steps.get(command.step)
        error = step.error if step is not None and step.attempt == command.attempt else None
        status = "failed" if error is not None and error.kind in {"timeout", "heartbeat_timeout"} else "cancelled"
        self._attempt("cancelled", command.run_id, command.step, command.attempt, status=status,
                      error=error.model_dump(mode="json") if error else None, finished_at=at)  # fmt: skip

    def flush(self, conn: Connection, idempotent_nodes: Mapping[str, frozenset[str]]) -> None:
        """Write everything; ``idempotent_nodes`` maps run id → node ids that declare an idempotency key."""
        write_rows(conn, "events", self.events)
        if self.removed:
            where = and_(steps.c.run_id == bindparam("b_run"), steps.c.key == bindparam("b_key"))
            conn.execute(delete(steps).where(where), [{"b_run": r, "b_key": k} for r, k in sorted(self.removed)])
        write_rows(conn, "steps", list(self.steps.values()))
        write_rows(conn, "attempts", list(self.new_attempts.values()))
        self.attempt_updates.flush(conn)
        self._flush_timers(conn)
        write_rows(conn, "runs", list(self.runs.values()))
        if self.artifacts:
            conn.execute(artifacts.insert(), [{"reused_from": None, **a} for a in self.artifacts])
        # After the artifact rows of this batch: a revision or rollback moves the rows of earlier attempts.
        self.archives.flush(conn)
        self.tasks.flush(conn)
        self.children.flush(conn)
        self._flush_idempotency(conn, idempotent_nodes)

    def _flush_timers(self, conn: Connection) -> None:
        if self.fired_timers:
            conn.execute(
                delete(timers).where(
                    timers.c.run_id == bindparam("b_run"),
                    timers.c.step_key == bindparam("b_step"),
                    timers.c.attempt == bindparam("b_number"),
                    timers.c.purpose == bindparam("b_purpose"),
                ),
                self.fired_timers,
            )
        upsert(conn, timers, self.new_timers, ("run_id", "step_key", "attempt", "purpose"))
        if self.finished_runs:
            conn.execute(delete(timers).where(timers.c.run_id.in_(self.finished_runs)))

    def _flush_idempotency(self, conn: Connection, idempotent_nodes: Mapping[str, frozenset[str]]) -> None:
        rows = []
        for run_id, step, attempt, output in self.remember:
            if step.split("[", 1)[0] not in idempotent_nodes.get(run_id, frozenset()):
                continue
            key = conn.execute(
                select(attempts.c.idempotency_key).where(
                    attempts.c.run_id == run_id, attempts.c.step_key == step, attempts.c.number == attempt
                )
            ).scalar()
            if key:
                rows.append({"key": key, "output": output, "run_id": run_id, "step_key": step,
                             "created_at": self.runs[run_id]["updated_at"]})  # fmt: skip
        insert_ignore(conn, idempotency, rows)
