"""Flow control of runs: admit, queue, refuse or make room within a pipeline's ``concurrency``.

Decided in write transactions that first hold the pipeline's row; queued runs are let in when a slot frees.

A new run is judged in the transaction that creates and starts it (``Admission.admit_new``). A queued run is let
in by ``Admission.release``: after a run of a limited pipeline finishes (``FlowControl.after_commit``) and, as
the net for a process that died in between, every maintenance interval in every process.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, assert_never

from lockgate.engine import RunFinished, RunStarted
from lockgate.errors import ConflictError, InvalidInputError
from lockgate.expressions import ExpressionError, expression_budget, render
from lockgate.runtime.hooks import Boot, Hook
from lockgate.spec.concurrency import Concurrency, ConcurrencyPolicy
from lockgate.store import admission as store
from lockgate.store.pipelines import get_version

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from pydantic import JsonValue
    from sqlalchemy import Connection

    from lockgate.executors.base import Report
    from lockgate.expressions import ExpressionLimits
    from lockgate.runtime.applier import Applied
    from lockgate.runtime.storage import Storage
    from lockgate.settings import Settings
    from lockgate.spec.pipeline import PipelineSpec
    from lockgate.store.runs import RunHead

__all__ = ["Admission", "FlowControl", "Verdict"]

log = logging.getLogger(__name__)
MAX_KEY = 200  # characters of a rendered key kept (the column's width)


@dataclass(frozen=True, slots=True)
class Verdict:
    """A new run: started now (``admitted``, after cancelling ``cancel``), or queued with ``reason``."""

    admitted: bool
    reason: str | None = None
    cancel: list[str] = field(default_factory=list)


ADMITTED = Verdict(admitted=True)


def wait_reason(pipeline: str, key: str, open_: int, queued: int, limit: int) -> str:
    keyed = f" with key {key}" if key else ""
    runs = "1 run" if open_ == 1 else f"{open_} runs"
    verb = "is" if open_ == 1 else "are"
    ahead = f", {queued} queued before it" if queued else ""
    return f"waiting: {runs} of pipeline {pipeline}{keyed} {verb} running (max_runs {limit}){ahead}"


class Admission:
    """Sync: on the database thread, inside the caller's write transaction."""

    def __init__(self, limits: ExpressionLimits) -> None:
        self._limits = limits
        self._specs: dict[str, Concurrency | None] = {}

    def key(self, concurrency: Concurrency, input_: Mapping[str, JsonValue]) -> str:
        """The rendered key (bounded like every template); a template error refuses the run, naming the field."""
        if concurrency.key is None:
            return ""
        try:
            with expression_budget(self._limits, timed=True):
                value = render(concurrency.key, {"input": dict(input_)}, "concurrency.key")
        except ExpressionError as exc:
            raise InvalidInputError([f"concurrency.key: {exc}"]) from None
        text = value if isinstance(value, str) else str(value)
        return text[:MAX_KEY]

    def admit_new(
        self, conn: Connection, spec: PipelineSpec, head: RunHead, input_: Mapping[str, JsonValue]
    ) -> Verdict:
        """Judge a run just inserted (``create_run`` holds the pipeline's row): raises ConflictError to refuse."""
        concurrency = spec.concurrency
        if concurrency is None:
            return ADMITTED
        key = self.key(concurrency, input_)
        store.set_key(conn, head.id, key)
        open_ = [r for r in store.open_runs_with_key(conn, head.pipeline_id, key) if r != head.id]
        queued = store.queued_with_key(conn, head.pipeline_id, key)
        limit = concurrency.max_runs
        if len(open_) < limit and queued == 0:
            return ADMITTED
        reason = wait_reason(head.pipeline, key, len(open_), queued, limit)
        match concurrency.policy:
            case ConcurrencyPolicy.QUEUE:
                store.set_queued(conn, head.id, reason)
                return Verdict(admitted=False, reason=reason)
            case ConcurrencyPolicy.CANCEL_NEWEST:
                raise ConflictError(
                    f"refused by concurrency (policy cancel_newest): {reason.removeprefix('waiting: ')}"
                )
            case ConcurrencyPolicy.CANCEL_OLDEST:
                made_room = f"cancelled by concurrency (policy cancel_oldest) to make room for run v{head.number}"
                return Verdict(admitted=True, reason=made_room, cancel=open_[: len(open_) - limit + 1])
            case _:
                assert_never(concurrency.policy)

    def release(self, conn: Connection, pipeline_id: str) -> list[str]:
        """Let queued runs take free slots, first come first served per key; their ids (now pending)."""
        store.lock_pipeline(conn, pipeline_id)
        admitted: list[str] = []
        full: set[str] = set()
        for queued in store.queued_runs(conn, pipeline_id):
            if queued.key in full:
                continue  # first come first served: none behind a waiting run overtakes it
            concurrency = self._concurrency(conn, queued.version_id)
            open_ = len(store.open_runs_with_key(conn, pipeline_id, queued.key))
            if concurrency is None or open_ < concurrency.max_runs:
                store.set_admitted(conn, queued.id)
                admitted.append(queued.id)
            else:
                full.add(queued.key)
        return admitted

    def _concurrency(self, conn: Connection, version_id: str) -> Concurrency | None:
        if version_id not in self._specs:  # versions are immutable
            self._specs[version_id] = get_version(conn, version_id).spec().concurrency
        return self._specs[version_id]


class FlowControl(Hook):
    """Lets queued runs in: when a run of a limited pipeline finishes here, and every maintenance interval."""

    def __init__(
        self,
        storage: Storage,
        settings: Settings,
        admission: Admission,
        restart: Callable[[str], RunStarted],
        report: Report,
    ) -> None:
        self._storage = storage
        self._settings = settings
        self._admission = admission
        self._restart = restart  # the RunStarted of a pending run (sync: on the database thread)
        self._report = report
        self._tasks: set[asyncio.Task[None]] = set()

    async def on_start(self, boot: Boot) -> None:
        boot.spawn(self._loop(), "lockgate-flow-control")

    def after_commit(self, applied: Applied) -> None:
        plan = applied.plan
        if plan is None or plan.spec.concurrency is None:
            return
        if any(isinstance(c, RunFinished) for c in applied.commands):
            pipeline_id = applied.transition.state.pipeline if applied.transition else None
            if pipeline_id is not None:
                task = asyncio.get_running_loop().create_task(self._release_named(pipeline_id))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def on_stop(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _loop(self) -> None:
        interval = self._settings.maintenance_interval.total_seconds()
        while True:
            try:
                for pipeline_id in await self._storage.call(self._queued_pipelines):
                    await self._release(pipeline_id)
            except Exception:  # the next round may succeed
                log.exception("letting queued runs in failed")
            await asyncio.sleep(interval)

    def _queued_pipelines(self) -> list[str]:
        with self._storage.db.read() as conn:
            return store.pipelines_with_queued(conn)

    async def _release_named(self, pipeline: str) -> None:
        try:
            await self._release(await self._storage.call(self._pipeline_id, pipeline))
        except Exception:  # the loop lets them in later
            log.exception("letting queued runs of %s in failed", pipeline)

    def _pipeline_id(self, name: str) -> str:
        with self._storage.db.read() as conn:
            return store.pipeline_id(conn, name)

    async def _release(self, pipeline_id: str) -> None:
        def admit() -> list[str]:
            with self._storage.db.write() as conn:
                return self._admission.release(conn, pipeline_id)

        for run_id in await self._storage.call(admit):
            self._report(run_id, await self._storage.call(self._restart, run_id))
