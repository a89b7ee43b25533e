"""The executor seam: move invocations to where handlers run, and results back. Decide nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from lockgate.engine.commands import DispatchStep
from lockgate.engine.events import Event
from lockgate.handlers.agent.services import AgentServices
from lockgate.security.grants import AttemptSecrets
from lockgate.security.redaction import Redactor

__all__ = ["ApplyFenced", "Executor", "ExecutorLink", "Fence", "FencedReport", "Report"]

# How an executor hands an event back to the runtime: (run id, event). Never blocks.
Report = Callable[[str, Event], None]


@dataclass(frozen=True, slots=True)
class Fence:
    """The claim an event of a distributed attempt carries: applied only while ``number`` is current."""

    step: str
    attempt: int
    number: int


# Fire and forget with a fence (heartbeats, StepStarted); and applied with a fence, waiting for the outcome:
# None when applied, else what refused it (StaleFenceError: the claim is gone, the result is ignored).
FencedReport = Callable[[str, Event, Fence], None]
ApplyFenced = Callable[[str, Event, Fence], Awaitable[Exception | None]]


def _not_started(run_id: str, event: Event, fence: Fence | None = None) -> None:  # noqa: ARG001
    raise RuntimeError(f"the executor was not started: {event.type} of run {run_id} has nowhere to go")


async def _not_started_apply(run_id: str, event: Event, fence: Fence) -> Exception | None:
    _not_started(run_id, event, fence)
    return None


@dataclass(frozen=True, slots=True)
class ExecutorLink:
    """What the runtime gives an executor when it starts: where results go, and the platform's services."""

    worker: str = ""  # the id attempts run here are recorded under
    report: Report = _not_started
    # An attempt's credentials (checking the grants); the values live only in attempt contexts and redactors.
    credentials: Callable[[DispatchStep], Awaitable[AttemptSecrets]] | None = None
    agent_services: Callable[[DispatchStep, Redactor], AgentServices] | None = None
    report_fenced: FencedReport = _not_started
    apply_fenced: ApplyFenced = _not_started_apply


class Executor(Protocol):
    """Built from settings (``executors.factory.build_executor``) and injected into the runtime."""

    async def start(self, link: ExecutorLink) -> None: ...
    def submit(self, command: DispatchStep) -> None: ...
    def cancel(self, run_id: str, step: str, attempt: int) -> None: ...
    @property
    def in_flight(self) -> int: ...
    async def stop(self, grace: float) -> None: ...
