"""The executor seam: move invocations to where handlers run, and results back. Decide nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from lockgate.engine.events import Event

if TYPE_CHECKING:
    from lockgate.engine.commands import DispatchStep

__all__ = ["Executor", "Report"]

# How an executor hands an event back to the runtime: (run id, event). Never blocks.
Report = Callable[[str, Event], None]


class Executor(Protocol):
    async def start(self) -> None: ...
    def submit(self, command: DispatchStep) -> None: ...
    def cancel(self, run_id: str, step: str, attempt: int) -> None: ...
    @property
    def in_flight(self) -> int: ...
    async def stop(self, grace: float) -> None: ...
