"""Child runs of steps that start one (``subpipeline``): started after the commit that asked, recovered after a crash.

The step's transition writes the link (store/children.py); this hook starts the child with a claim on that link,
so each attempt gets one child at most whichever processes try. A child's end reaches its step in the child's own
transaction (runtime/applier.py). Recovery, at start and then each maintenance round: links whose child was never
started (a crash after the parent's commit), and ends not yet told to a step still running that attempt.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from lockgate.engine import (
    CancelStep,
    ErrorInfo,
    Event,
    RunCancelled,
    RunPaused,
    RunResumed,
    RunStatus,
    StartChildRun,
    StepFailed,
    StepStatus,
)
from lockgate.engine.children import child_ended
from lockgate.errors import ConflictError, LockgateError
from lockgate.runtime.hooks import Boot, Hook
from lockgate.store import children as child_store

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from lockgate.executors.base import Report
    from lockgate.runtime.applier import Applied
    from lockgate.runtime.clock import Clock
    from lockgate.runtime.storage import Storage
    from lockgate.settings import Settings
    from lockgate.store.runs import RunHead

__all__ = ["ChildRuns", "StartChild"]

log = logging.getLogger(__name__)

# Starts a run of a stored pipeline (name, version or None, input), writing ``claim`` in the creating transaction.
StartChild = Callable[[child_store.ChildLink, Callable[["Connection", "RunHead"], None]], Awaitable[object]]
GRACE_SECONDS = 2  # a link younger than this is still being started by the process that committed it


def _by(event: Event) -> str | None:
    return event.by if isinstance(event, RunCancelled | RunPaused | RunResumed) else None


class ChildRuns(Hook):
    def __init__(
        self,
        storage: Storage,
        settings: Settings,
        clock: Clock,
        report: Report,
        start: StartChild,
        scope: set[str] | None = None,
    ) -> None:
        self._storage = storage
        self._settings = settings
        self._clock = clock
        self._report = report
        self._start = start
        self._scope = scope  # a process that recovers only some runs recovers their descendants too
        self._starting: set[tuple[str, str, int]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def on_start(self, boot: Boot) -> None:
        await self.once()
        boot.spawn(self._loop(), "lockgate-child-runs")

    async def on_stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def after_commit(self, applied: Applied) -> None:
        for command in applied.commands:
            if isinstance(command, StartChildRun):
                link = child_store.ChildLink(command.run_id, command.step, command.attempt, command.node_id,
                                             command.pipeline, command.version, command.input, 0, None)  # fmt: skip
                self._spawn(link)
            elif isinstance(command, CancelStep) and self._starts_child(applied, command.step):
                # The parent's cancel, a timeout, a rollback: the child goes too.
                cancel = RunCancelled(by=_by(applied.event), reason=f"its parent run {command.run_id} stopped step "
                                      f"{command.step!r}")  # fmt: skip
                self._control(command.run_id, command.step, command.attempt, cancel)
        event = applied.event
        if isinstance(event, RunPaused | RunResumed) and applied.transition is not None:
            for step in applied.transition.state.steps.values():
                if step.status is StepStatus.RUNNING and self._starts_child(applied, step.key):
                    self._control(applied.run_id, step.key, step.attempt, event)

    @staticmethod
    def _starts_child(applied: Applied, step_key: str) -> bool:
        plan = applied.plan
        node = None if plan is None else plan.nodes.get(step_key.split("[", 1)[0])
        return node is not None and node.node.needs.starts_child_run

    def _control(self, run_id: str, step: str, attempt: int, event: Event) -> None:
        """Pass the parent's pause, resume or cancel on to the child of this attempt (once it has one)."""

        async def control() -> None:
            link = await self._storage.call(self._link, run_id, step, attempt)
            if link is not None and link.child_run_id is not None:
                self._report(link.child_run_id, event)  # refused if the child is past it (ended, not paused…)

        task = asyncio.get_running_loop().create_task(control())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _link(self, run_id: str, step: str, attempt: int) -> child_store.ChildLink | None:
        with self._storage.db.read() as conn:
            return child_store.child_of(conn, run_id, step, attempt)

    def _spawn(self, link: child_store.ChildLink) -> None:
        key = (link.parent_run_id, link.step_key, link.attempt)
        if key in self._starting:
            return
        self._starting.add(key)
        task = asyncio.get_running_loop().create_task(self._start_child(link))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: self._starting.discard(key))

    async def _start_child(self, link: child_store.ChildLink) -> None:
        depth = await self._storage.call(self._depth, link)
        limit = self._settings.subpipeline_max_depth
        if depth > limit:
            message = (f"node {link.node_id!r}: a run of {link.pipeline!r} here would nest {depth} deep; "
                       f"LOCKGATE_SUBPIPELINE_MAX_DEPTH is {limit}")  # fmt: skip
            self._refused(link, ErrorInfo(kind="subpipeline_depth", message=message, field="config.pipeline"))
            return
        child: list[str] = []

        def claim(conn: Connection, head: RunHead) -> None:
            child_store.link_child(conn, link, head.id)
            child.append(head.id)

        try:
            await self._start(link, claim)
        except ConflictError:
            return  # another process started it (or this one, before a restart)
        except LockgateError as exc:  # no such pipeline or version, an input its schema refuses, a model…
            self._refused(link, ErrorInfo(kind="child_run_refused", message=f"node {link.node_id!r}: {exc.detail}",
                                          field="config"))  # fmt: skip
            return
        except Exception:  # the store is away: the next recovery round starts it
            log.exception("starting the child run of %s/%s failed", link.parent_run_id, link.step_key)
            return
        if self._scope is not None and link.parent_run_id in self._scope:
            self._scope.update(child)

    def _depth(self, link: child_store.ChildLink) -> int:
        with self._storage.db.read() as conn:
            return child_store.depth_of(conn, link.parent_run_id) + 1

    def _refused(self, link: child_store.ChildLink, error: ErrorInfo) -> None:
        self._report(link.parent_run_id, StepFailed(step=link.step_key, attempt=link.attempt, error=error))

    async def _loop(self) -> None:
        interval = self._settings.maintenance_interval.total_seconds()
        while True:
            await asyncio.sleep(interval)
            try:
                await self.once()
            except Exception:  # recovery must keep going: the next round may succeed
                log.exception("child run recovery failed")

    async def once(self) -> None:
        found = await self._storage.call(self._scan)
        for link in found.unstarted:
            if self._scope is None or link.parent_run_id in self._scope:
                self._spawn(link)
        for ended in found.untold:
            link = ended.link
            if self._scope is not None and link.parent_run_id not in self._scope:
                continue
            error = ErrorInfo.model_validate(ended.error) if ended.error else None
            event = child_ended(link.step_key, link.attempt, ended.child, RunStatus(ended.status), ended.output,
                                error)  # fmt: skip
            self._report(link.parent_run_id, event)
        for child in found.orphans:  # its step stopped while the child was being started
            self._report(child, RunCancelled(reason="the step that started it no longer runs"))

    def _scan(self) -> child_store.Pending:
        now = self._clock.now()
        with self._storage.db.read() as conn:
            if self._scope is not None:
                self._scope.update(child_store.descendants(conn, self._scope))
            return child_store.pending(conn, now, GRACE_SECONDS)
