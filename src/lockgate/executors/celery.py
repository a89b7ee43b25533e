"""The distributed executor: invocations carried by Celery to worker processes; the database decides.

A server publishes an invocation once the commit that queued its attempt is done (``submit`` is called after
commit). A worker that receives it claims the attempt in the database (``store/leases.py``); a message whose
attempt is claimed already or no longer current is acknowledged and dropped, so Redis' redelivery after its
visibility timeout is harmless. The worker runs the same ``AttemptRunner`` as the local executor and applies
the result itself through the applier, carrying the claim's fence: a worker that lost its lease has its late
result ignored. One loop per worker renews its leases and watches for attempts that stopped running
(cancelled, timed out) to kill their processes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict

from lockgate.engine.commands import DispatchStep
from lockgate.engine.events import Event, StepStarted
from lockgate.errors import MissingExtraError, StaleFenceError, UnavailableError
from lockgate.executors.base import ExecutorLink, Fence
from lockgate.store import leases

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from datetime import timedelta
    from pathlib import Path

    from sqlalchemy import Connection

    from lockgate.executors.attempts import AttemptRunner
    from lockgate.store.database import Database

__all__ = ["QUEUE", "TASK", "CeleryExecutor", "Invocation", "celery_app"]

log = logging.getLogger(__name__)

QUEUE = "lockgate"  # where steps of nodes without a ``queue`` go
TASK = "lockgate.run_attempt"
_WATCH_EVERY = 0.25  # seconds: a cancelled attempt's processes are killed within about this (well under a second)
_RETRY_FIRST, _RETRY_MAX = 0.1, 2.0  # seconds between tries while the database is unreachable
_Key = tuple[str, str, int]
T = TypeVar("T")


class Invocation(BaseModel):
    """What the broker carries: the attempt to run (the server's dispatch), never a decision."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    command: DispatchStep
    fence: int | None = None  # None: not claimed yet (claims are made by the receiving worker)


def celery_app(broker_url: str, visibility_timeout: timedelta) -> Any:
    """Lockgate's Celery app: late acks, one message prefetched per process, JSON only."""
    try:
        from celery import Celery  # the optional extra: imported only when asked for
    except ImportError as exc:
        raise MissingExtraError("celery") from exc
    app = Celery("lockgate", broker=broker_url, set_as_current=False)
    redis_url = broker_url.startswith(("redis://", "rediss://"))
    app.conf.update(
        # Kombu's Redis transport, made to outlive a Redis restart (executors/redis_channel.py says how).
        broker_transport="lockgate.executors.redis_channel:Transport" if redis_url else None,
        task_acks_late=True,  # a worker killed mid-step leaves its message to be delivered again (then dropped)
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a long step does not hold invocations another worker could run
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        broker_transport_options={"visibility_timeout": int(visibility_timeout.total_seconds())},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
    )
    return app


class CeleryExecutor:
    """Implements ``Executor``: publishes in servers; runs claimed attempts in ``lockgate worker`` processes."""

    def __init__(
        self,
        runner: AttemptRunner,
        db: Database,
        app: Any,
        *,
        lease: timedelta,
        republish_after: timedelta,
    ) -> None:
        self._runner = runner
        self._db = db
        self._app = app
        self._lease = lease
        self._republish_after = republish_after.total_seconds()
        self._link = ExecutorLink()
        self._publisher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lockgate-publish")
        self._published: dict[_Key, tuple[DispatchStep, float]] = {}  # by this process, not claimed yet
        self._running: dict[_Key, asyncio.Task[None]] = {}
        self._watch: asyncio.Task[None] | None = None

    async def start(self, link: ExecutorLink) -> None:
        self._link = link
        self._watch = asyncio.create_task(self._watch_loop(), name="lockgate-leases")

    @property
    def in_flight(self) -> int:
        return len(self._running)

    def submit(self, command: DispatchStep) -> None:
        key = (command.run_id, command.step, command.attempt)
        self._published[key] = (command, time.monotonic())
        self._publish(command)

    def _publish(self, command: DispatchStep) -> None:
        body = Invocation(command=command).model_dump_json()
        send = functools.partial(self._app.send_task, TASK, args=[body], queue=command.queue or QUEUE)
        future = asyncio.get_running_loop().run_in_executor(self._publisher, send)
        future.add_done_callback(functools.partial(self._published_or_not, command))

    @staticmethod
    def _published_or_not(command: DispatchStep, future: asyncio.Future[Any]) -> None:
        if not future.cancelled() and future.exception() is not None:  # republished after republish_after
            log.warning("publishing %s#%d of run %s failed: %s", command.step, command.attempt, command.run_id,
                        future.exception())  # fmt: skip

    def cancel(self, run_id: str, step: str, attempt: int) -> None:
        task = self._running.get((run_id, step, attempt))
        if task is not None:
            task.cancel()

    async def stop(self, grace: float) -> None:
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
        tasks = list(self._running.values())
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._publisher.shutdown(wait=True)
        self._db.dispose()

    # ---- in worker processes ---------------------------------------------------------------------

    async def run_invocation(self, body: str) -> None:
        """Claim the attempt, run it, apply its result; returns when the message may be acknowledged."""
        command = Invocation.model_validate_json(body).command
        key = (command.run_id, command.step, command.attempt)
        claim = functools.partial(leases.claim_attempt, run_id=command.run_id, step=command.step,
                                  attempt=command.attempt, worker=self._link.worker, lease=self._lease)  # fmt: skip
        what = f"claiming {command.step}#{command.attempt} of run {command.run_id}"
        fence = await _until_reached(lambda: self._write(lambda conn: claim(conn, now=datetime.now(UTC))), what)
        if fence is None:
            log.info("dropped %s#%d of run %s: claimed already or no longer queued", command.step, command.attempt,
                     command.run_id)  # fmt: skip
            return
        task = asyncio.create_task(self._run(command, Fence(command.step, command.attempt, fence)))
        self._running[key] = task
        try:
            await asyncio.wait([task])
        finally:
            self._running.pop(key, None)

    async def _run(self, command: DispatchStep, fence: Fence) -> None:
        link = self._link

        def report(run_id: str, event: Event) -> None:
            link.report_fenced(run_id, event, fence)

        report(command.run_id, StepStarted(step=command.step, attempt=command.attempt, worker=link.worker))
        result = await self._runner.run(command, link, report, datetime.now(UTC))
        # Until it is committed or refused: the message is acknowledged when this returns, and a result lost
        # with the database would run the step again once its lease ran out.
        what = f"applying the result of {command.step}#{command.attempt} of run {command.run_id}"
        refused = await _until_reached(lambda: link.apply_fenced(command.run_id, result, fence), what)
        if isinstance(refused, StaleFenceError):  # the attempt's log says so, where its user looks
            path = self._runner.log_path(command)
            line = f"{datetime.now(UTC).isoformat()} WARNING {refused.detail}\n"
            await asyncio.to_thread(_append, path, line)
        elif refused is not None:
            log.warning("the result of %s#%d of run %s was refused: %s", command.step, command.attempt,
                        command.run_id, refused)  # fmt: skip

    # ---- one loop per process: leases, cancellations, republishing ----------------------------------

    async def _watch_loop(self) -> None:
        renew_every = max(self._lease.total_seconds() / 3, _WATCH_EVERY)
        renewed = 0.0
        while True:
            try:
                if self._running and time.monotonic() - renewed >= renew_every:
                    renewed, running = time.monotonic(), set(self._running)
                    await self._write(functools.partial(self._renew, keys=running))
                await self._stop_finished()
                await self._republish()
            except Exception:  # the next round may reach the database again
                log.exception("the lease loop failed")
            await asyncio.sleep(_WATCH_EVERY)

    def _renew(self, conn: Connection, keys: set[_Key]) -> None:
        # Only what runs here: a claim whose attempt does not run (its claim's commit was never confirmed) expires.
        leases.renew_leases(conn, self._link.worker, keys, datetime.now(UTC), self._lease)

    async def _stop_finished(self) -> None:
        keys = set(self._running)
        if not keys:
            return
        for key in await self._read(lambda conn: leases.ended(conn, keys)):
            task = self._running.get(key)
            if task is not None:  # cancelled or timed out: its process group is killed
                log.info("stopping %s#%d of run %s: the run ended it", key[1], key[2], key[0])
                task.cancel()

    async def _republish(self) -> None:
        now = time.monotonic()
        due = {k for k, (_, at) in self._published.items() if now - at >= self._republish_after}
        if not due:
            return
        queued = await self._read(lambda conn: leases.still_queued(conn, due))
        for key in due:
            command, _ = self._published.pop(key)
            if key in queued:  # lost by the broker, or waiting behind busy workers: a duplicate is dropped
                log.info("republishing %s#%d of run %s (not claimed yet)", key[1], key[2], key[0])
                self.submit(command)

    async def _write(self, fn: Callable[[Connection], T]) -> T:
        def call() -> T:
            with self._db.write() as conn:
                return fn(conn)

        return await asyncio.to_thread(call)

    async def _read(self, fn: Callable[[Connection], T]) -> T:
        def call() -> T:
            with self._db.read() as conn:
                return fn(conn)

        return await asyncio.to_thread(call)


async def _until_reached(call: Callable[[], Awaitable[T]], what: str) -> T:
    """``call()`` again while the database is unreachable (a restart, a failover), backing off."""
    delay = _RETRY_FIRST
    while True:
        try:
            return await call()
        except UnavailableError as exc:
            log.warning("%s failed (%s); retrying", what, exc)
        await asyncio.sleep(delay)
        delay = min(delay * 2, _RETRY_MAX)


def _append(path: Path, line: str) -> None:
    # The attempt may have written no log here (an agent step; or it ran on another machine): start one.
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(line)
