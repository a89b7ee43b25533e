"""The shell around the core: a committer that applies events in batches, then runs the commands."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, assert_never

from lockgate.artifacts.layout import ArtifactLayout
from lockgate.engine import (
    ArchiveOutputs,
    CancelStep,
    CloseHumanTask,
    Command,
    DispatchStep,
    Event,
    KeepAttempt,
    NotifyDeadline,
    OpenHumanTask,
    PointLatest,
    RecordReuse,
    RunFinished,
    RunState,
    StartChildRun,
    StartTimer,
    StepSucceeded,
)
from lockgate.executors.base import ExecutorLink, Fence
from lockgate.executors.factory import build_executor
from lockgate.handlers.code_tasks import load_tasks
from lockgate.handlers.confinement import ALLOW_SETTING, confinement
from lockgate.handlers.registry import HandlerRegistry, default_registry
from lockgate.runtime.admission import FlowControl
from lockgate.runtime.agents import AgentPlatform
from lockgate.runtime.applier import Applied, Applier
from lockgate.runtime.archiving import Archiving
from lockgate.runtime.children import ChildRuns
from lockgate.runtime.clock import Clock, SystemClock
from lockgate.runtime.credentials import attempt_secrets, credential_problems
from lockgate.runtime.hooks import Boot, Hook, Hooks
from lockgate.runtime.live_redis import build_live
from lockgate.runtime.maintenance import Maintenance
from lockgate.runtime.models import model_problems
from lockgate.runtime.notifications import Notifier
from lockgate.runtime.scheduler import Scheduler
from lockgate.runtime.slots import StepGate, slot_of
from lockgate.runtime.starting import Claim, ExtendRequest, RunRequest, RunStarter, StartedRun, StartQueue
from lockgate.runtime.storage import Storage
from lockgate.runtime.subpipelines import subpipeline_problems
from lockgate.runtime.timers import TimerQueue
from lockgate.security.credentials import CredentialCipher, load_cipher
from lockgate.security.redaction import Redactor
from lockgate.store import credentials as credential_store
from lockgate.store import runs as run_store
from lockgate.store import workers as worker_store
from lockgate.store.conversations import RunOptions
from lockgate.store.database import Database
from lockgate.store.migrate import upgrade

if TYPE_CHECKING:
    from collections.abc import Coroutine, Mapping

    from pydantic import JsonValue
    from sqlalchemy import Connection

    from lockgate.compile import Plan
    from lockgate.errors import DefinitionError
    from lockgate.executors.base import Executor
    from lockgate.runtime.live import LiveChannel
    from lockgate.security.grants import AttemptSecrets
    from lockgate.settings import Settings
    from lockgate.spec.pipeline import PipelineSpec
    from lockgate.store.children import ChildLink

__all__ = ["Claim", "ExtendRequest", "Listener", "Runtime"]

log = logging.getLogger(__name__)
# How long the committer may wait for more events once a batch holds several runs' (group commit): a fraction of
# a commit's fsync, which the events that join then share.
GROUP_WINDOW = 0.002
P = ParamSpec("P")
T = TypeVar("T")
Listener = Callable[[Applied], None]
_Item = tuple[str, Event, "asyncio.Future[Applied] | None"]


class Runtime:
    """One per process. Any number of processes may share a database (DESIGN rule 3).

    The executor is injected (``executor``; default: the one ``LOCKGATE_EXECUTOR`` names, built by
    ``executors.factory.build_executor``). Services attach as hooks (``add_hook``): told when the runtime has
    started, after every commit and when it stops; none of them holds the runtime.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        executor: Executor | None = None,
        registry: HandlerRegistry | None = None,
        clock: Clock | None = None,
        kind: str = "local",
        scope: set[str] | None = None,
        scheduler: bool = False,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.storage = Storage(Database(settings.db_url, synchronous=settings.sqlite_synchronous))
        self.db = self.storage.db
        self.layout = ArtifactLayout(settings.home)
        self.kind = kind
        self.scope = scope  # recover only these runs (None: every run)
        self._registry = registry or default_registry(load_tasks(settings.tasks))
        self.executor: Executor = executor or build_executor(settings, self._registry, self.layout)
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._deferred: list[_Item] = []  # not applied by the last transaction (out of time): applied first next
        self._fences: dict[int, Fence] = {}  # by id(event): the claims distributed attempts' events carry
        self._listeners: list[Listener] = []
        self._finished: dict[str, list[asyncio.Future[None]]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Task[None]] = set()
        self.worker = ""
        self.applier = Applier(self.db, self.worker, self._registry, limits=settings.expression_limits,
                               max_output_bytes=settings.max_output_bytes, clock=self.clock.now)  # fmt: skip
        self.cipher: CredentialCipher
        self.timers = TimerQueue(self.clock, self.report)
        # agents' tokens and commits' wake-ups, never stored: within this process, or to all of them over Redis
        self.live: LiveChannel = build_live(settings)
        self.hooks = Hooks()
        self.archiving = Archiving(self.storage, self.layout)
        self.notifier = Notifier(self.storage, self.clock, self.report)
        self.starter = RunStarter(self.applier, self.layout, settings, self.clock)
        self._starts = StartQueue(self.starter, self.storage)  # runs started at once: one commit
        self.maintenance = Maintenance(self.storage, self.layout, self.clock, settings, self.report, self.timers,
                                       self.starter.restart, scope)  # fmt: skip
        # fires cron schedules (servers)
        self.scheduler = Scheduler(self.storage, self.clock, self.starter, self._started_later) if scheduler else None
        flow = FlowControl(self.storage, settings, self.starter.admission, self.starter.restart, self.report)
        self.gate = StepGate(self.storage, settings, self.clock, self._dispatch)  # nodes' max_concurrent
        self.children = ChildRuns(self.storage, settings, self.clock, self.report, self._start_child, scope)
        for hook in (self.archiving, self.children, self.notifier, self.maintenance, flow, self.gate,
                     self.scheduler):  # fmt: skip
            if hook is not None:
                self.add_hook(hook)

    def add_hook(self, hook: Hook) -> None:
        """Attach a service (before ``start``): hooks are told in the order they were added."""
        self.hooks.add(hook)

    async def db_call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run store work on the one database thread (SQLite likes a single writer per process)."""
        return await self.storage.call(fn, *args, **kwargs)

    async def start(self) -> None:
        self.settings.home.mkdir(parents=True, exist_ok=True)
        await self.db_call(upgrade, self.db)
        secret = self.settings.secret_key
        self.cipher = load_cipher(secret.get_secret_value() if secret else None, self.settings.home)
        self.worker = await self.db_call(self._register)
        self.applier.worker = self.worker
        self._tasks = [asyncio.create_task(self._commit_loop(), name="lockgate-committer"),
                       asyncio.create_task(self.timers.run(), name="lockgate-timers")]  # fmt: skip
        agents = AgentPlatform(self.storage, self.settings, self.clock, self.cipher, self.live)
        link = ExecutorLink(self.worker, self.report, self.attempt_secrets, agents.services, self.report_fenced,
                            self.apply_fenced)  # fmt: skip
        await self.executor.start(link)
        # Nothing is dispatched before a hook reports something: archiving heals first (folders where the rows
        # say), then recovery and the scheduler start their loops.
        await self.hooks.emit_start(Boot(self.worker, self.cipher, self._spawn))
        if self.kind != "local":  # a server or worker says at start whether it can run script steps
            await self._report_confinement()

    def _spawn(self, loop: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.append(asyncio.create_task(loop, name=name))

    async def _report_confinement(self) -> None:
        decided = await confinement(self.settings.sandbox, self.settings.script_policy)
        if decided.refusal is not None:
            log.warning("script steps will fail (sandbox_unavailable): %s", decided.refusal)
        elif decided.warning is not None:
            log.warning("script steps are %s (allowed by %s)", decided.warning, ALLOW_SETTING)
        else:
            log.info("script steps: %s; processes: %s; memory: %s", decided.sandbox, decided.processes, decided.memory)

    @property
    def alive(self) -> bool:
        return bool(self._tasks) and not any(t.done() for t in self._tasks)

    def _register(self) -> str:
        with self.db.write() as conn:
            return worker_store.register_worker(conn, self.kind, self.clock.now())

    async def stop(self, grace: float | None = None) -> None:
        """Let running steps finish (up to ``grace``), record what they report, then step down."""
        wait = self.settings.shutdown_grace.total_seconds() if grace is None else grace
        await self.executor.stop(wait)
        await self._drain()
        await self.hooks.emit_stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.live.stop()  # after the committer: the last commits' wake-ups go out
        with contextlib.suppress(Exception):
            await self.db_call(self._unregister)
        self.storage.close()

    def _unregister(self) -> None:
        with self.db.write() as conn:
            worker_store.stop_worker(conn, self.worker, self.clock.now())

    async def _drain(self) -> None:
        for _ in range(100):
            if self._queue.empty() and not self._deferred:
                return
            await asyncio.sleep(0.01)

    # ---- events in -------------------------------------------------------------------------------

    def report(self, run_id: str, event: Event) -> None:
        """Fire and forget (executors, timers, recovery)."""
        self._queue.put_nowait((run_id, event, None))

    async def apply(self, run_id: str, event: Event) -> Applied:
        """Apply one event and wait for its commit; raises what refused it (e.g. InvalidTransitionError)."""
        future: asyncio.Future[Applied] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((run_id, event, future))
        applied = await future
        if applied.error is not None:
            raise applied.error
        return applied

    def report_fenced(self, run_id: str, event: Event, fence: Fence) -> None:
        """Fire and forget an event of a claimed attempt: applied only while its fence is current."""
        self._fences[id(event)] = fence
        self.report(run_id, event)

    async def apply_fenced(self, run_id: str, event: Event, fence: Fence) -> Exception | None:
        """Apply an attempt's result with its fence, waiting: None, or what refused it (StaleFenceError)."""
        self._fences[id(event)] = fence
        future: asyncio.Future[Applied] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((run_id, event, future))
        try:
            return (await future).error
        finally:
            self._fences.pop(id(event), None)

    def listen(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def _commit_loop(self) -> None:
        while True:
            if self._deferred:  # before anything newer: each run's events stay in order
                items, self._deferred = self._deferred, []
            else:
                items = [await self._queue.get()]
            self._take_queued(items)
            if len({run_id for run_id, _, _ in items}) > 1:  # other runs are busy: more is on its way
                await self._gather(items)
            try:
                fences = {id(e): self._fences[id(e)] for _, e, _ in items if id(e) in self._fences}
                results = await self.db_call(self.applier.apply, [(r, e) for r, e, _ in items], self.clock.now(),
                                             fences)  # fmt: skip
            except Exception as exc:  # noqa: BLE001 - the store is unreachable: keep reported events, retry
                log.warning("applying %d events failed (%s); retrying", len(items), exc)
                for run_id, event, future in items:
                    if future is not None:
                        future.set_exception(exc)
                    else:
                        self._queue.put_nowait((run_id, event, None))
                await asyncio.sleep(0.5)
                continue
            self._after_commit(items, results)

    def _take_queued(self, items: list[_Item]) -> None:
        while len(items) < self.settings.batch_size and not self._queue.empty():
            items.append(self._queue.get_nowait())

    async def _gather(self, items: list[_Item]) -> None:
        """Group commit: let the steps just dispatched report before committing, so that runs share an fsync.

        Only when the batch already holds several runs' events: a lone chain commits at once.
        """
        if len(items) < self.settings.batch_size:
            await asyncio.sleep(GROUP_WINDOW)  # one timed wait, not a spin: executors' tasks get to report
            self._take_queued(items)

    def _after_commit(self, items: list[_Item], results: list[Applied]) -> None:
        # Deferred events (the transaction ran out of time) are applied first next time, in the order given,
        # with their futures; inline steps' results among them were never in the queue.
        waiting = {id(event): (run_id, event, future) for run_id, event, future in items}
        deferred = [a for a in results if a.deferred]
        self._deferred.extend(waiting.get(id(a.event), (a.run_id, a.event, None)) for a in deferred)
        later = {id(a.event) for a in deferred}
        by_event = {id(a.event): a for a in results if not a.deferred}
        for _, event, future in items:
            if id(event) in later:
                continue
            if future is None:  # a waiter's fence is dropped by apply_fenced, once it has the outcome
                self._fences.pop(id(event), None)
            applied = by_event.get(id(event))
            if future is not None and not future.done():
                if applied is None:  # a no-op: nothing recorded, nothing to do
                    future.set_result(Applied("", event, self.clock.now(), None))
                else:
                    future.set_result(applied)
        self._act_on(results)

    def _act_on(self, results: list[Applied]) -> None:
        reached: dict[str, int] = {}
        for applied in results:
            if applied.transition is None:
                continue
            self.hooks.emit_after_commit(applied)  # before dispatching: a revision's folders move first
            for command in applied.commands:
                self._run_command(command, applied.transition.state, applied.plan)
            for listener in list(self._listeners):
                listener(applied)
            reached[applied.run_id] = max(applied.transition.state.seq, reached.get(applied.run_id, 0))
        for run_id, seq in reached.items():  # one wake-up per run and transaction, to feeds in every process
            self.live.committed(run_id, seq)

    # ---- commands out ----------------------------------------------------------------------------

    def _run_command(self, command: Command, state: RunState, plan: Plan | None) -> None:
        match command:
            case DispatchStep():
                slot = slot_of(plan, command) if plan is not None else None
                if slot is None:
                    self._dispatch(command)
                else:
                    self.gate.dispatch(command, slot)
            case StartTimer():
                self.timers.schedule(command.run_id, command.step, command.attempt, command.purpose, command.fire_at)
            case CancelStep():
                self.executor.cancel(command.run_id, command.step, command.attempt)
            case RunFinished():
                self._run_finished(command, state)
            case PointLatest():
                with contextlib.suppress(OSError):
                    self.layout.point_latest(command.pipeline, command.run_number)
            case KeepAttempt() | ArchiveOutputs() | NotifyDeadline():
                pass  # archiving and the notifier act on these from their after-commit hooks
            case OpenHumanTask() | CloseHumanTask() | RecordReuse():
                pass  # rows only, written with the transition
            case StartChildRun():
                pass  # the child-runs hook starts it, from its after-commit
            case _:
                assert_never(command)

    def _dispatch(self, command: DispatchStep) -> None:
        if command.idempotency_key is None:
            self.executor.submit(command)
            return
        task = asyncio.create_task(self._dispatch_idempotent(command))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _run_finished(self, command: RunFinished, state: RunState) -> None:
        if command.status.value == "succeeded":
            with contextlib.suppress(OSError):
                self.layout.point_latest(state.pipeline, state.number)
        for waiter in self._finished.pop(command.run_id, []):
            if not waiter.done():
                waiter.set_result(None)

    async def _dispatch_idempotent(self, command: DispatchStep) -> None:
        key = command.idempotency_key or ""
        row = await self.db_call(self._lookup, key)
        if row is None:
            self.executor.submit(command)
            return
        self.report(command.run_id, StepSucceeded(step=command.step, attempt=command.attempt, output=row.output,
                                                  reused=True))  # fmt: skip

    async def attempt_secrets(self, command: DispatchStep) -> AttemptSecrets:
        """The node's credentials if still granted, each use recorded: only for the executor, never logged."""

        def reveal() -> AttemptSecrets:
            with self.db.write() as conn:
                return attempt_secrets(conn, self.cipher, command, self.clock.now())

        return await self.db_call(reveal)

    async def known_secrets(self) -> Redactor:
        """Every credential and the environment's model keys: what is served from files is redacted of them too."""

        def reveal() -> dict[str, str]:
            with self.db.read() as conn:
                return credential_store.reveal_all(conn, self.cipher)

        redactor = Redactor.of(await self.db_call(reveal))
        for name, key in (("openai-api-key", self.settings.openai_api_key),
                          ("anthropic-api-key", self.settings.anthropic_api_key)):  # fmt: skip
            redactor.add(name, key.get_secret_value() if key is not None else None)
        return redactor

    def check_credentials(self, conn: Connection, spec: PipelineSpec) -> list[DefinitionError]:
        """Every credential the definition names exists and is granted to it (saving and validating)."""
        return credential_problems(conn, spec)

    def _lookup(self, key: str) -> Any:
        with self.db.read() as conn:
            return worker_store.lookup_idempotent(conn, key)

    # ---- runs ------------------------------------------------------------------------------------

    async def start_run(
        self,
        pipeline: PipelineSpec | str,
        version: int | None = None,
        input_: Mapping[str, JsonValue] | None = None,
        options: RunOptions | None = None,
        extend: ExtendRequest | None = None,
        *,
        claim: Claim | None = None,
        draft: bool = False,
        pins: Mapping[str, JsonValue] | None = None,
    ) -> run_store.RunHead:
        """Check the input, create the run (vN) and start it, in one transaction; then act on what it decided.

        ``pipeline`` is a definition (saved as a version if new) or a stored pipeline's name with its
        ``version`` number (None: the latest). With ``extend``, the run reuses the steps of an earlier run before
        ``extend.start_at``. Raises InvalidInputError (input, extend) or DefinitionErrors (an agent step's model
        is not configured) and then nothing is created. ``claim`` writes in the transaction that creates the
        run; what it raises undoes the run (a webhook delivery seen before). A ``draft`` run (of a definition from
        the editor's draft) is kept apart from published runs and takes the outputs ``pins`` give its nodes.
        """
        request = RunRequest(pipeline, version, input_ or {}, options or RunOptions(), extend, claim, draft,
                             pins or {})  # fmt: skip
        started = await self._starts.start(request, self.clock.now())
        await self.started(started)
        return started.head

    async def _start_child(self, link: ChildLink, claim: Claim) -> run_store.RunHead:
        # A child run is an ordinary run of a stored pipeline, created with its link claimed.
        return await self.start_run(link.pipeline, link.version, link.input, claim=claim)

    async def create_run(
        self,
        spec: PipelineSpec,
        input_: Mapping[str, JsonValue],
        options: RunOptions | None = None,
        extend: ExtendRequest | None = None,
        claim: Claim | None = None,
    ) -> run_store.RunHead:
        """``start_run`` of a definition (the spelling the tests and examples use)."""
        return await self.start_run(spec, None, input_, options, extend, claim=claim)

    async def started(self, started: StartedRun) -> None:
        """Act on a committed start (dispatch its first steps, tell hooks and listeners) as on any transition."""
        waiter: asyncio.Future[Applied] = asyncio.get_running_loop().create_future()
        self._act(started, waiter)
        applied = await waiter  # at once, unless the start ran out of time and went to the committer
        if applied.error is not None:
            raise applied.error

    def _started_later(self, started: StartedRun) -> None:
        # From a service (the scheduler) that started runs in its own transaction: act, without waiting.
        self._act(started, None)

    def _act(self, started: StartedRun, waiter: asyncio.Future[Applied] | None) -> None:
        done = [a for a in started.results if not a.deferred]
        later = [a for a in started.results if a.deferred]  # the transaction ran out of time: the committer's now
        deferred_start = any(a.event is started.event for a in later)
        self._after_commit([] if deferred_start else [(started.head.id, started.event, waiter)], done)
        # Queued now, before this run can have any newer event (its commands act later, on the event loop).
        for applied in later:
            self._queue.put_nowait((applied.run_id, applied.event, waiter if applied.event is started.event else None))

    def check_models(self, conn: Connection, spec: PipelineSpec) -> list[DefinitionError]:
        """Every agent step's model is configured (validation, before a run is created)."""
        return model_problems(conn, self.settings, spec)

    def check_subpipelines(self, conn: Connection, spec: PipelineSpec) -> list[DefinitionError]:
        """Every sub-pipeline step names a stored pipeline and gives it an input it takes; no cycle, bounded depth."""
        return subpipeline_problems(conn, self.settings, spec)

    async def run_state(self, run_id: str) -> RunState:
        def read() -> RunState:
            with self.db.read() as conn:
                return self.applier.read_state(conn, run_store.lock_run(conn, run_id))[1]

        return await self.db_call(read)

    async def wait(self, run_id: str) -> RunState:
        """Until the run is finished (by this process or any other)."""
        while True:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._finished.setdefault(run_id, []).append(waiter)
            state = await self.run_state(run_id)
            if state.status.terminal:
                return state
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter, timeout=self.settings.maintenance_interval.total_seconds())
