"""``run_local(stub=…)``: an executor in front of the real one that answers stubbed nodes without running them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockgate.engine.events import StepStarted, StepSucceeded
from lockgate.executors.base import ExecutorLink
from lockgate.handlers.code_tasks import Next

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pydantic import JsonValue

    from lockgate.engine.commands import DispatchStep
    from lockgate.executors.base import Executor

__all__ = ["StubbingExecutor"]


class StubbingExecutor:
    """Implements ``Executor``: a stubbed node's attempt succeeds at once with its stub; the rest goes on."""

    def __init__(self, inner: Executor, stubs: Mapping[str, JsonValue | Next]) -> None:
        """``stubs``: node id → the output (or the ``Next``) every attempt of that node gives."""
        self._inner = inner
        self._stubs = dict(stubs)
        self._link = ExecutorLink()

    async def start(self, link: ExecutorLink) -> None:
        self._link = link
        await self._inner.start(link)

    def submit(self, command: DispatchStep) -> None:
        if command.node_id not in self._stubs:
            self._inner.submit(command)
            return
        stub = self._stubs[command.node_id]
        started = StepStarted(step=command.step, attempt=command.attempt, worker=self._link.worker)
        self._link.report(command.run_id, started)
        if isinstance(stub, Next):
            done = StepSucceeded(step=command.step, attempt=command.attempt, output=stub.output, next=list(stub.nodes))
        else:
            done = StepSucceeded(step=command.step, attempt=command.attempt, output=stub)
        self._link.report(command.run_id, done)

    def cancel(self, run_id: str, step: str, attempt: int) -> None:
        self._inner.cancel(run_id, step, attempt)

    @property
    def in_flight(self) -> int:
        return self._inner.in_flight

    async def stop(self, grace: float) -> None:
        await self._inner.stop(grace)
