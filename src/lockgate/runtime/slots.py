"""Flow control of steps: a node's ``max_concurrent`` (alone or shared by a ``concurrency_group``).

A dispatch of a limited node first takes a slot in the database; without one its attempt stays queued, with
a reason, and is dispatched by whichever process frees a slot (after a commit that ended an attempt of a
limited pipeline, and every maintenance interval as the net).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from lockgate.engine import RunCancelled, StepFailed, StepLost, StepSucceeded
from lockgate.runtime.hooks import Boot, Hook
from lockgate.store import slots as slot_store

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from typing import Any

    from lockgate.compile import Plan
    from lockgate.engine import DispatchStep
    from lockgate.runtime.applier import Applied
    from lockgate.runtime.clock import Clock
    from lockgate.runtime.storage import Storage
    from lockgate.settings import Settings

__all__ = ["StepGate", "slot_of"]

log = logging.getLogger(__name__)
_ENDINGS = (StepSucceeded, StepFailed, StepLost, RunCancelled)
PLANS_KEPT = 256  # plans whose answer to "does a node have max_concurrent" is remembered


def slot_of(plan: Plan, command: DispatchStep) -> slot_store.Slot | None:
    """The slot a dispatch needs, if its node is limited."""
    planned = plan.nodes.get(command.node_id)
    limit = planned.node.max_concurrent if planned is not None else None
    if planned is None or limit is None:
        return None
    node, pipeline = planned.node, plan.spec.name
    group = node.concurrency_group
    called = f"concurrency_group {group} of pipeline {pipeline}" if group else f"node {node.id} of pipeline {pipeline}"
    return (group or node.id, limit, called)


class StepGate(Hook):
    def __init__(self, storage: Storage, settings: Settings, clock: Clock, submit: Callable[[DispatchStep], None]):
        self._storage = storage
        self._settings = settings
        self._clock = clock
        self._submit = submit  # hands a dispatch to the executor (after the slot was taken)
        self._tasks: set[asyncio.Task[None]] = set()
        self._limited: dict[int, tuple[Plan, bool]] = {}

    async def on_start(self, boot: Boot) -> None:
        boot.spawn(self._loop(), "lockgate-step-slots")

    def dispatch(self, command: DispatchStep, slot: slot_store.Slot) -> None:
        self._spawn(self._acquire(command, slot))

    def after_commit(self, applied: Applied) -> None:
        plan = applied.plan
        if plan is None or not isinstance(applied.event, _ENDINGS):
            return
        if self._limits_nodes(plan):
            self._spawn(self._rebalance())

    def _limits_nodes(self, plan: Plan) -> bool:
        """Whether a node of the plan has max_concurrent: asked at every step's end, so computed once per plan."""
        known = self._limited.get(id(plan))
        if known is None or known[0] is not plan:  # the plan is kept with its answer: its id is not reused
            if len(self._limited) >= PLANS_KEPT:
                self._limited.clear()
            known = (plan, any(p.node.max_concurrent is not None for p in plan.nodes.values()))
            self._limited[id(plan)] = known
        return known[1]

    async def on_stop(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _acquire(self, command: DispatchStep, slot: slot_store.Slot) -> None:
        def take() -> bool:
            with self._storage.db.write() as conn:
                return slot_store.acquire(conn, command, slot, self._clock.now())

        try:
            if await self._storage.call(take):
                self._submit(command)
        except Exception:  # its attempt stays queued: recovery dispatches it again
            log.exception("taking a slot for %s/%s failed", command.run_id, command.step)

    async def _rebalance(self) -> None:
        def rebalance() -> list[DispatchStep]:
            with self._storage.db.write() as conn:
                return slot_store.rebalance(conn)

        try:
            for command in await self._storage.call(rebalance):
                self._submit(command)
        except Exception:  # the next round frees them
            log.exception("freeing step slots failed")

    async def _loop(self) -> None:
        interval = self._settings.maintenance_interval.total_seconds()
        while True:
            await self._rebalance()
            await asyncio.sleep(interval)
