"""One door for a run to start: check it, insert it and apply its RunStarted in one write transaction.

Every caller (API, webhooks, schedules, the CLI, tests) comes here; none checks the input itself. A refusal
(input, model, extend) raises before anything is written, and whatever raises later in the transaction (a
webhook delivery seen before) undoes the run: a run exists started, or not at all. The pending-run scan
of maintenance stays only as the net for a run whose start was deferred and then lost with its process.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import JsonValue

from lockgate.compile import validate_input
from lockgate.engine import RunCancelled, RunStarted
from lockgate.errors import DefinitionErrors, InvalidInputError
from lockgate.runtime.admission import Admission
from lockgate.runtime.applier import AppliedBatch
from lockgate.runtime.extend import first_event, resolve_extend, start_event
from lockgate.runtime.models import model_problems
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store import listing
from lockgate.store import pipelines as pipeline_store
from lockgate.store import runs as run_store
from lockgate.store.conversations import RunOptions, save_run_options

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Connection

    from lockgate.artifacts.layout import ArtifactLayout
    from lockgate.runtime.applier import Applied, Applier
    from lockgate.runtime.clock import Clock
    from lockgate.runtime.storage import Storage
    from lockgate.settings import Settings

__all__ = ["Claim", "ExtendRequest", "RunRequest", "RunStarter", "StartQueue", "StartedRun"]

# Written in the transaction that creates the run, or undoes it by raising (a webhook delivery seen before).
Claim = Callable[["Connection", run_store.RunHead], None]


@dataclass(frozen=True, slots=True)
class ExtendRequest:
    """Start a run that extends an earlier one: reuse its steps before ``start_at``, read its artifacts."""

    run: str  # vN, pipeline/vN or a run id
    start_at: str | None = None


@dataclass(frozen=True, slots=True)
class RunRequest:
    """What to start: a definition (saved as a version if new) or a stored pipeline's version (None: latest)."""

    pipeline: PipelineSpec | str
    version: int | None = None
    input: Mapping[str, JsonValue] = field(default_factory=dict)
    options: RunOptions = field(default_factory=RunOptions)
    extend: ExtendRequest | None = None
    claim: Claim | None = None
    # A draft run (from the editor's draft): flagged, its definition kept as a draft version, and its nodes with a
    # pinned output take the pin instead of running (but the node it starts at runs). Published runs have no pins.
    draft: bool = False
    pins: Mapping[str, JsonValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StartedRun:
    """A run inserted and started in one transaction: what the runtime acts on once it has committed."""

    head: run_store.RunHead
    event: RunStarted
    batch: AppliedBatch

    @property
    def results(self) -> list[Applied]:
        return self.batch.results


class RunStarter:
    """Sync: runs on the database thread, inside a write transaction."""

    def __init__(self, applier: Applier, layout: ArtifactLayout, settings: Settings, clock: Clock) -> None:
        self._applier = applier
        self._clock = clock
        self._layout = layout
        self._settings = settings
        self.admission = Admission(settings.expression_limits)

    def start_alone(self, request: RunRequest, now: datetime) -> StartedRun:
        """``start`` in a transaction of its own (committed on return)."""
        with self._applier.db.write() as conn:
            version = self._version(conn, request, now)
            started = self.start(conn, version, request, now)
        self.committed(started)
        return started

    def start_many(self, requests: list[tuple[RunRequest, datetime]]) -> list[StartedRun | Exception]:
        """Each request ``start``ed in one shared transaction (one commit for runs started at once).

        Each start is a savepoint of its own: what refuses one (its input, a claim seen before, admission) undoes
        that run only, and comes back in its place. A failure of the transaction itself raises for all.
        """
        if len(requests) == 1:
            request, now = requests[0]
            try:
                return [self.start_alone(request, now)]
            except Exception as exc:  # noqa: BLE001 - the caller's to raise, as it would have from start_alone
                return [exc]
        outcomes: list[StartedRun | Exception] = []
        with self._applier.db.write() as conn:
            for request, now in requests:
                try:
                    with conn.begin_nested():
                        outcomes.append(self.start(conn, self._version(conn, request, now), request, now))
                except Exception as exc:  # noqa: BLE001 - refused, rolled back to its savepoint: this start only
                    outcomes.append(exc)
        for outcome in outcomes:
            if isinstance(outcome, StartedRun):
                self.committed(outcome)
        return outcomes

    def start(
        self, conn: Connection, version: pipeline_store.VersionRecord, request: RunRequest, now: datetime
    ) -> StartedRun:
        """Check, insert and start the run in the caller's transaction; call ``committed`` once it commits.

        Raises InvalidInputError (the input, extend, start_at) or DefinitionErrors (an agent step's model)
        before writing anything.
        """
        spec = version.spec()
        input_ = validate_input(spec, request.input)
        problems = model_problems(conn, self._settings, spec)
        if problems:
            raise DefinitionErrors(problems)
        source, start_at = None, None
        if request.extend is not None:
            plan = self._applier.plan(conn, version.id)
            start_at = request.extend.start_at
            source = resolve_extend(conn, spec.name, plan, request.extend.run, start_at)
        head = run_store.create_run(conn, version.pipeline_id, version.id, input_, now,
                                    source.id if source else None, start_at, draft=request.draft)  # fmt: skip
        if request.claim is not None:
            request.claim(conn, head)
        # The run starts once the pipeline's row is ours (create_run took it): a start that waited behind other
        # servers' must not be stamped with the instant it asked, or runs would seem to overlap past max_runs.
        now = max(now, self._clock.now())
        verdict = self.admission.admit_new(conn, spec, head, input_)  # raises to refuse (cancel_newest)
        options = request.options
        if options.budget is None and spec.budget is not None:
            options = dataclasses.replace(options, budget=spec.budget.model_dump(exclude_none=True))
        if request.draft and request.pins:  # durable with the run: a deferred start reads them back (start_event)
            options = dataclasses.replace(options, pins=dict(request.pins))
        if options != RunOptions():
            save_run_options(conn, head.id, options)
        if not verdict.admitted:  # queued: started later by flow control, as a pending run is by recovery
            queued = dataclasses.replace(head, status="queued")
            return StartedRun(queued, RunStarted(input=input_), AppliedBatch([], {}))
        event = first_event(conn, self._applier, self._layout, head, input_, source, start_at,
                            request.pins if request.draft else {})  # fmt: skip
        cancels = [(run_id, RunCancelled(reason=verdict.reason)) for run_id in verdict.cancel]
        batch = self._applier.apply_in(conn, [*cancels, (head.id, event)], now)
        for applied in batch.results:
            if applied.event is event and applied.error is not None:
                raise applied.error  # refused: the run is not created either
        return StartedRun(head, event, batch)

    def committed(self, started: StartedRun) -> None:
        """The transaction that started the run has committed: the applier may cache the run's state."""
        self._applier.keep(started.batch)

    def restart(self, run_id: str) -> RunStarted:
        """The RunStarted of a run whose start was lost with its process (recovery reports it)."""
        with self._applier.db.write() as conn:
            return start_event(conn, self._applier, self._layout, run_id)

    @staticmethod
    def _version(conn: Connection, request: RunRequest, now: datetime) -> pipeline_store.VersionRecord:
        if isinstance(request.pipeline, PipelineSpec):
            if request.version is not None:
                raise InvalidInputError(["version: only with a stored pipeline, not with a definition"])
            return pipeline_store.save_version(conn, request.pipeline, now, draft=request.draft)
        row = listing.version_by_number(conn, request.pipeline, request.version)
        return pipeline_store.get_version(conn, row.id)


class StartQueue:
    """Runs started at once share a transaction (group commit), a lone start goes at once as before.

    Requests made while one batch of starts is on the database thread go together in the next.
    """

    def __init__(self, starter: RunStarter, storage: Storage) -> None:
        self._starter = starter
        self._storage = storage
        self._pending: list[tuple[RunRequest, datetime, asyncio.Future[StartedRun]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def start(self, request: RunRequest, now: datetime) -> StartedRun:
        """Check, create and start the run (committed on return); raises what refused it."""
        future: asyncio.Future[StartedRun] = asyncio.get_running_loop().create_future()
        self._pending.append((request, now, future))
        if self._draining is None:
            self._draining = asyncio.create_task(self._drain(), name="lockgate-run-starts")
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                # a caller cancelled before its batch was taken: its run is never created (as db_call promises)
                batch = [item for item in self._pending if not item[2].cancelled()]
                self._pending = []
                if batch:
                    await self._start(batch)
        finally:
            self._draining = None

    async def _start(self, batch: list[tuple[RunRequest, datetime, asyncio.Future[StartedRun]]]) -> None:
        try:
            outcomes = await self._storage.call(self._starter.start_many, [(r, now) for r, now, _ in batch])
        except Exception as exc:  # noqa: BLE001 - the transaction failed: every start in it is refused
            outcomes = [exc] * len(batch)
        for (_, _, future), outcome in zip(batch, outcomes, strict=True):
            if future.cancelled():
                continue
            if isinstance(outcome, StartedRun):
                future.set_result(outcome)
            else:
                future.set_exception(outcome)
