"""Apply events under the run lock: load (cache), advance, write events and rows, commit. Sync; one thread."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from lockgate.compile import Plan, compile_pipeline
from lockgate.engine import (
    Event,
    RunPaused,
    RunResumed,
    RunStarted,
    RunState,
    TimerFired,
    Transition,
    advance,
    initial_state,
    replay,
)
from lockgate.errors import LockgateError
from lockgate.store.journal import JournalBatch
from lockgate.store.pipelines import get_version
from lockgate.store.runs import RunHead, load_events, lock_run

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from lockgate.store.database import Database

__all__ = ["Applied", "Applier"]

log = logging.getLogger(__name__)
_RUN_EVENTS = (RunStarted, RunPaused, RunResumed)


@dataclass(frozen=True, slots=True)
class Applied:
    """The outcome of one event: its transition, or the error that refused it (never both)."""

    run_id: str
    event: Event
    at: datetime
    transition: Transition | None
    error: Exception | None = None
    plan: Plan | None = None


class Applier:
    def __init__(self, db: Database, worker: str) -> None:
        self.db = db
        self.worker = worker
        self._plans: dict[str, Plan] = {}
        self._states: dict[str, RunState] = {}

    def plan(self, conn: Connection, version_id: str) -> Plan:
        plan = self._plans.get(version_id)
        if plan is None:
            plan = compile_pipeline(get_version(conn, version_id).spec())
            self._plans[version_id] = plan
        return plan

    def state(self, conn: Connection, head: RunHead, plan: Plan) -> RunState:
        """The cached state if it is current, else caught up from the events table (rule 2: the DB is the truth)."""
        cached = self._states.get(head.id)
        if cached is not None and cached.seq == head.last_seq:
            return cached
        if cached is None or cached.seq > head.last_seq:
            cached = initial_state(head.id, head.pipeline, head.number, len(plan.nodes))
        state = replay(plan, cached, load_events(conn, head.id, cached.seq))
        self._states[head.id] = state
        return state

    def read_state(self, conn: Connection, head: RunHead) -> tuple[Plan, RunState]:
        plan = self.plan(conn, head.version_id)
        return plan, self.state(conn, head, plan)

    def apply(self, batch: list[tuple[str, Event]], now: datetime) -> list[Applied]:
        groups: dict[str, list[Event]] = defaultdict(list)
        for run_id, event in batch:
            groups[run_id].append(event)
        journal = JournalBatch(self.worker)
        results: list[Applied] = []
        states: dict[str, RunState] = {}
        idempotent: dict[str, frozenset[str]] = {}
        with self.db.write() as conn:
            for run_id in sorted(groups):  # a fixed lock order: no deadlocks between processes
                self._apply_run(conn, run_id, groups[run_id], now, journal, results, states, idempotent)
            journal.flush(conn, idempotent)
        self._states.update(states)  # only once committed
        return results

    def _apply_run(
        self,
        conn: Connection,
        run_id: str,
        events: list[Event],
        now: datetime,
        journal: JournalBatch,
        results: list[Applied],
        states: dict[str, RunState],
        idempotent: dict[str, frozenset[str]],
    ) -> None:
        try:
            head = lock_run(conn, run_id)
            plan, state = self.read_state(conn, head)
        except LockgateError as exc:
            results.extend(Applied(run_id, e, now, None, exc) for e in events)
            return
        idempotent[run_id] = frozenset(n for n, p in plan.nodes.items() if p.node.idempotency_key is not None)
        for event in events:
            try:
                transition = advance(plan, state, event, now)
            except LockgateError as exc:
                results.append(Applied(run_id, event, now, None, exc))
                continue
            except Exception as exc:  # a bug in the core must not take the other events of the batch down
                log.exception("advance failed on %s for run %s", event.type, run_id)
                results.append(Applied(run_id, event, now, None, exc))
                continue
            if self._noop(state, transition, event):
                if isinstance(event, TimerFired):
                    journal.fired_timers.append({"b_run": run_id, "b_step": event.step, "b_number": event.attempt,
                                                 "b_purpose": event.purpose.value})  # fmt: skip
                continue
            journal.add(run_id, event, now, transition)
            state = transition.state
            results.append(Applied(run_id, event, now, transition, plan=plan))
        states[run_id] = state

    @staticmethod
    def _noop(before: RunState, transition: Transition, event: Event) -> bool:
        """A stale step or timer event changes nothing: it is not recorded (replay would ignore it anyway)."""
        if isinstance(event, _RUN_EVENTS):
            return False
        return not transition.changed and not transition.commands and transition.state.status is before.status

    def forget(self, run_id: str) -> None:
        self._states.pop(run_id, None)
