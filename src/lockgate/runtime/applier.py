"""Apply events under the run lock: load (cache), advance, write events and rows, commit. Sync; one thread."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict, defaultdict, deque
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import ValidationError

from lockgate.compile import Plan, compile_pipeline
from lockgate.engine import (
    Command,
    DispatchStep,
    ErrorInfo,
    Event,
    ExpressionBudgets,
    ExpressionTimedOut,
    RunFinished,
    RunMadeLatest,
    RunPaused,
    RunResumed,
    RunStarted,
    RunState,
    StepFailed,
    StepSucceeded,
    TimerFired,
    Transition,
    advance,
    initial_state,
    replay,
)
from lockgate.engine.children import child_ended
from lockgate.errors import LockgateError, StaleFenceError
from lockgate.executors.output import INVALID_OUTPUT, OUTPUT_TOO_LARGE, output_flaw, output_problem
from lockgate.expressions import ExpressionLimits, expression_budget
from lockgate.store.children import parent_of
from lockgate.store.journal import JournalBatch
from lockgate.store.leases import fence_current
from lockgate.store.pipelines import get_version
from lockgate.store.runs import RunHead, load_events, lock_run

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from sqlalchemy import Connection

    from lockgate.executors.base import Fence
    from lockgate.handlers.registry import HandlerRegistry
    from lockgate.store.database import Database

__all__ = ["Applied", "AppliedBatch", "Applier"]

log = logging.getLogger(__name__)
_RUN_EVENTS = (RunStarted, RunPaused, RunResumed, RunMadeLatest, ExpressionTimedOut)
# Templates of one run that may run past the time budget: the next one fails the run instead (each of them took
# a transaction's whole time budget while the write lock was held).
MAX_TIMEOUTS = 3
# States kept in memory: the most recently applied runs. A run waiting days for a person costs a cache
# miss (its events are replayed from the database) when it is answered, not memory until then.
STATE_CACHE = 4096


@dataclass(frozen=True, slots=True)
class Applied:
    """The outcome of one event: its transition, or the error that refused it (never both)."""

    run_id: str
    event: Event
    at: datetime
    transition: Transition | None
    error: Exception | None = None
    commands: tuple[Command, ...] = ()  # what the runtime still has to do (inline dispatches are done)
    plan: Plan | None = None
    deferred: bool = False  # not applied: the transaction had used its time; apply it next, before newer events


@dataclass(frozen=True, slots=True)
class AppliedBatch:
    """What one transaction applied: each event's outcome, and the states its runs reached."""

    results: list[Applied]
    states: dict[str, RunState]


@dataclass(frozen=True, slots=True)
class _Advanced:
    state: RunState  # what the event was advanced from (ExpressionTimedOut events may have come first)
    transition: Transition | None
    error: Exception | None = None
    deferred: bool = False  # a template ran out of time (now recorded): the event goes to the next transaction


class Applier:
    def __init__(
        self,
        db: Database,
        worker: str,
        registry: HandlerRegistry,
        inline_budget: int = 50_000,
        cache_size: int = STATE_CACHE,
        *,
        limits: ExpressionLimits | None = None,
        max_output_bytes: int = 1 << 20,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock  # read again once a run is locked: its events are stamped when they are applied
        self.worker = worker
        self.registry = registry
        self.inline_budget = inline_budget
        self.cache_size = cache_size
        self.limits = limits or ExpressionLimits()
        self.max_output_bytes = max_output_bytes
        self._until = 0.0  # when the current transaction has used its share of time (monotonic)
        self._busy = False  # an event was applied in the current transaction (the first one always is)
        self._plans: dict[str, Plan] = {}
        self._fences: Mapping[int, Fence] = {}  # the current transaction's, by id(event)
        self._states: OrderedDict[str, RunState] = OrderedDict()

    def budgets(self) -> ExpressionBudgets:
        """What a run starting now records: its templates are counted this way for good, replays included."""
        return ExpressionBudgets(max_iterations=self.limits.max_iterations, max_bytes=self.limits.max_bytes)

    def _remember(self, run_id: str, state: RunState) -> None:
        self._states[run_id] = state
        self._states.move_to_end(run_id)
        while len(self._states) > self.cache_size:
            self._states.popitem(last=False)

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
            self._states.move_to_end(head.id)
            return cached
        if cached is None or cached.seq > head.last_seq:
            cached = initial_state(head.id, head.pipeline, head.number, len(plan.nodes))
            if head.last_seq == 0:  # a run being started: no events to read
                self._remember(head.id, cached)
                return cached
        with expression_budget(self.limits):  # untimed: time-outs were recorded as events, replays agree
            state = replay(plan, cached, load_events(conn, head.id, cached.seq))
        self._remember(head.id, state)
        return state

    def read_state(self, conn: Connection, head: RunHead) -> tuple[Plan, RunState]:
        plan = self.plan(conn, head.version_id)
        return plan, self.state(conn, head, plan)

    def apply(
        self, batch: list[tuple[str, Event]], now: datetime, fences: Mapping[int, Fence] | None = None
    ) -> list[Applied]:
        """``fences``: by ``id(event)``, the claim a distributed attempt's event carries (checked before applying)."""
        with self.db.write() as conn:
            done = self.apply_in(conn, batch, now, fences)
        self.keep(done)  # only once committed
        return done.results

    def apply_in(
        self,
        conn: Connection,
        batch: list[tuple[str, Event]],
        now: datetime,
        fences: Mapping[int, Fence] | None = None,
    ) -> AppliedBatch:
        """Apply in the caller's write transaction; ``keep`` the result once it has committed."""
        self._fences = fences or {}
        groups: dict[str, list[Event]] = defaultdict(list)
        for run_id, event in batch:
            groups[run_id].append(event)
        journal = JournalBatch(self.worker)
        results: list[Applied] = []
        states: dict[str, RunState] = {}
        idempotent: dict[str, frozenset[str]] = {}
        # Templates are evaluated inside this transaction: once it has taken the time budget, no more inline
        # steps, and the events not reached yet wait for the next transaction (other writers get the lock between).
        self._until = time.monotonic() + self.limits.max_time.total_seconds()
        self._busy = False
        for run_id in sorted(groups):  # a fixed lock order: no deadlocks between processes
            self._apply_and_tell(conn, run_id, groups[run_id], now, journal, results, states, idempotent)
        journal.flush(conn, idempotent)
        return AppliedBatch(results, states)

    def keep(self, done: AppliedBatch) -> None:
        """Cache the states a committed batch reached (the next event of those runs starts from them)."""
        for run_id, state in done.states.items():
            self._remember(run_id, state)

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
        *,
        forced: bool = False,
    ) -> None:
        # ``forced``: a child run's end told to its parent, which must commit with it (never left for later).
        if self._out_of_time() and not forced:
            results.extend(Applied(run_id, e, now, None, deferred=True) for e in events)
            return
        try:
            head = lock_run(conn, run_id)
            # The batch's time was read before the lock, which may have been held by another writer for long:
            # a run finished by this transaction is finished when it holds the lock, not when the batch was taken.
            now = max(now, self.clock()) if self.clock is not None else now
            plan, state = self.read_state(conn, head)
        except LockgateError as exc:
            results.extend(Applied(run_id, e, now, None, exc) for e in events)
            return
        state = states.get(run_id, state)  # already advanced by this transaction (a parent its child ended)
        idempotent[run_id] = plan.idempotent
        queue = deque(events)
        budget = self.inline_budget
        while queue:
            if self._out_of_time() and not forced:  # this run's events stay in order: the rest go to the next
                results.extend(Applied(run_id, e, now, None, deferred=True) for e in queue)
                break
            event = queue.popleft()
            stale = self._stale(conn, run_id, event)
            if stale is not None:  # a worker that lost its claim: recorded in the log, never applied
                log.warning("%s", stale.detail)
                results.append(Applied(run_id, event, now, None, stale))
                continue
            self._busy = True
            advanced = self._advance(run_id, plan, state, event, now, journal, results)
            state = advanced.state
            transition = advanced.transition
            if advanced.deferred:
                queue.appendleft(event)
                self._until = 0.0  # nothing more in this transaction: its time went to that template
                continue
            if transition is None:
                results.append(Applied(run_id, event, now, None, advanced.error))
                continue
            if self._noop(state, transition, event):
                if isinstance(event, TimerFired):
                    journal.fired_timers.append({"b_run": run_id, "b_step": event.step, "b_number": event.attempt,
                                                 "b_purpose": event.purpose.value})  # fmt: skip
                continue
            journal.add(run_id, event, now, transition)
            state = transition.state
            commands, inlined = self._inline_all(transition.commands, budget)
            budget -= len(inlined)
            queue.extendleft(inlined)  # each one first, as appendleft did: the last dispatched is applied first
            results.append(Applied(run_id, event, now, transition, commands=commands, plan=plan))
        states[run_id] = state

    def _apply_and_tell(
        self,
        conn: Connection,
        run_id: str,
        events: list[Event],
        now: datetime,
        journal: JournalBatch,
        results: list[Applied],
        states: dict[str, RunState],
        idempotent: dict[str, frozenset[str]],
        *,
        forced: bool = False,
    ) -> None:
        """``_apply_run``, then, if that ended the run, tell the step that started it (if a step did)."""
        first = len(results)
        self._apply_run(conn, run_id, events, now, journal, results, states, idempotent, forced=forced)
        state = states.get(run_id)
        ended = any(isinstance(c, RunFinished) for a in results[first:] if a.run_id == run_id and a.transition
                    for c in a.transition.commands)  # fmt: skip
        if ended and state is not None and state.status.terminal:
            self._tell_parent(conn, state, now, journal, results, states, idempotent)

    def _tell_parent(
        self,
        conn: Connection,
        child: RunState,
        now: datetime,
        journal: JournalBatch,
        results: list[Applied],
        states: dict[str, RunState],
        idempotent: dict[str, frozenset[str]],
    ) -> None:
        """A child run ended: its step learns it in the same transaction, so no crash falls between the two.

        Locks go child → parent, never the other way within one transaction (a parent's cancel reaches its child
        after commit), and a stale attempt's copy changes nothing: the parent advances exactly once.
        """
        link = parent_of(conn, child.run_id)
        if link is None:
            return
        event = child_ended(link.step_key, link.attempt, f"{child.pipeline} v{child.number}", child.status,
                            child.output, child.error)  # fmt: skip
        self._apply_and_tell(conn, link.parent_run_id, [event], now, journal, results, states, idempotent,
                             forced=True)  # fmt: skip

    def _stale(self, conn: Connection, run_id: str, event: Event) -> StaleFenceError | None:
        fence = self._fences.get(id(event))
        if fence is None:
            return None
        current = fence_current(conn, run_id, fence.step, fence.attempt, fence.number)
        if current is None:
            return None
        return StaleFenceError(run_id, fence.step, fence.attempt, fence.number, current)

    def _inline_all(self, commands: tuple[Command, ...], budget: int) -> tuple[tuple[Command, ...], list[Event]]:
        """The commands left for the runtime, and the results of those evaluated here."""
        left: list[Command] = []
        results: list[Event] = []
        for command in commands:
            in_time = len(results) < budget and not self._out_of_time()  # else the executor runs it, outside
            result = self._inline(command) if in_time else None
            if result is None:
                left.append(command)
            else:
                results.append(result)
        return tuple(left), results

    def _out_of_time(self) -> bool:
        return self._busy and time.monotonic() > self._until

    def _advance(
        self,
        run_id: str,
        plan: Plan,
        state: RunState,
        event: Event,
        now: datetime,
        journal: JournalBatch,
        results: list[Applied],
    ) -> _Advanced:
        """``advance`` with its evaluations' deadline; an error refuses the event, as data.

        A template caught running past the deadline is recorded (ExpressionTimedOut) and the event waits for the
        next transaction: there, that template fails at once, as it will when the events are replayed.
        """
        try:
            with expression_budget(self.limits, timed=True) as watch:
                transition = advance(plan, state, event, now)
            if watch is None or watch.blamed is None:
                return _Advanced(state, transition)
            fail = len(state.refused) + 1 >= MAX_TIMEOUTS
            marker = ExpressionTimedOut(template=watch.blamed[0], field=watch.blamed[1], seconds=watch.seconds,
                                        fail_run=fail)  # fmt: skip
            marked = advance(plan, state, marker, now)
        except LockgateError as exc:
            return _Advanced(state, None, exc)
        except Exception as exc:  # a bug in the core must not take the other events of the batch down
            log.exception("advance failed on %s for run %s", event.type, run_id)
            return _Advanced(state, None, exc)
        journal.add(run_id, marker, now, marked)
        results.append(Applied(run_id, marker, now, marked, commands=marked.commands, plan=plan))
        # Failed: the event is not applied, and not refused either (its sender sees the run failed, with why).
        return _Advanced(marked.state, None, deferred=not fail)

    def _inline(self, command: Command) -> Event | None:
        """Evaluate a pure kind in this transaction (Temporal's local-activity idea): no executor round trip.

        A crash before commit loses the dispatch and the result together, so nothing runs twice visibly.
        """
        if not isinstance(command, DispatchStep) or command.idempotency_key is not None:
            return None
        handler = self.registry.get(command.kind)
        if handler.inline is None:
            return None
        try:
            result = handler.inline(handler.config_type.model_validate(command.config), command.inputs)
        except ValidationError as exc:
            error = ErrorInfo(kind="invalid_config", message=str(exc))
            return StepFailed(step=command.step, attempt=command.attempt, error=error)
        flaw = output_flaw(result.output)
        if flaw is not None:
            error = ErrorInfo(kind=INVALID_OUTPUT, message=flaw)
            return StepFailed(step=command.step, attempt=command.attempt, error=error)
        problem = output_problem(result.output, self.max_output_bytes)
        if problem is not None:
            error = ErrorInfo(kind=OUTPUT_TOO_LARGE, message=problem)
            return StepFailed(step=command.step, attempt=command.attempt, error=error)
        return StepSucceeded(step=command.step, attempt=command.attempt, output=result.output, next=result.next,
                             branches=result.branches)  # fmt: skip

    @staticmethod
    def _noop(before: RunState, transition: Transition, event: Event) -> bool:
        """A stale step or timer event changes nothing: it is not recorded (replay would ignore it anyway)."""
        if isinstance(event, _RUN_EVENTS):
            return False
        return not transition.changed and not transition.commands and transition.state.status is before.status

    def forget(self, run_id: str) -> None:
        self._states.pop(run_id, None)
