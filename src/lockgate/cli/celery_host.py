"""A Celery worker process for Lockgate: a runtime on its own event-loop thread, Celery's pool feeding it.

The runtime (kind ``worker``) registers the process, renews its leases, recovers as any process does and
applies the results of the attempts it runs; Celery's pool threads hand each invocation to it and wait, so a
message is acknowledged only once its attempt's result is committed (or it was dropped).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING, Any

from lockgate.executors.celery import TASK, CeleryExecutor, celery_app
from lockgate.runtime import Runtime
from lockgate.settings import ExecutorKind

if TYPE_CHECKING:
    from lockgate.settings import Settings

__all__ = ["WorkerHost", "worker_app"]

log = logging.getLogger(__name__)


class WorkerHost:
    """Starts the runtime at the first invocation (or when the worker is ready), once per process."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runtime: Runtime | None = None
        self._executor: CeleryExecutor | None = None

    def ensure(self) -> tuple[asyncio.AbstractEventLoop, CeleryExecutor]:
        with self._lock:
            if self._loop is None or self._executor is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="lockgate-runtime", daemon=True).start()
                runtime = Runtime(self._settings, kind="worker")
                asyncio.run_coroutine_threadsafe(runtime.start(), loop).result()
                executor = runtime.executor
                if not isinstance(executor, CeleryExecutor):
                    raise TypeError("a Lockgate Celery worker needs LOCKGATE_EXECUTOR=celery")
                self._loop, self._runtime, self._executor = loop, runtime, executor
                log.info("lockgate worker %s ready", runtime.worker)
            return self._loop, self._executor

    def run(self, body: str) -> None:
        loop, executor = self.ensure()
        asyncio.run_coroutine_threadsafe(executor.run_invocation(body), loop).result()

    def stop(self) -> None:
        with self._lock:
            if self._loop is not None and self._runtime is not None:
                stopping = asyncio.run_coroutine_threadsafe(self._runtime.stop(), self._loop)
                stopping.result(timeout=self._settings.shutdown_grace.total_seconds() + 10)
                self._loop.call_soon_threadsafe(self._loop.stop)
            self._loop = self._runtime = self._executor = None


def worker_app(settings: Settings) -> Any:
    """Lockgate's Celery app with its task bound to a host of this process (``celery -A`` loads one of these)."""
    if settings.executor is not ExecutorKind.CELERY:
        raise ValueError("a Lockgate Celery worker needs LOCKGATE_EXECUTOR=celery and LOCKGATE_BROKER_URL")
    app = celery_app(settings.broker_url or "", settings.broker_visibility_timeout)  # MissingExtraError first
    from celery import signals

    host = WorkerHost(settings)

    @app.task(name=TASK, acks_late=True)  # type: ignore[untyped-decorator]
    def run_attempt(body: str) -> None:
        host.run(body)

    def ready(sender: Any = None, **_: Any) -> None:
        # Prefork children start theirs at their first invocation; other pools run in this process.
        if "prefork" not in type(getattr(sender, "pool", None)).__module__:
            host.ensure()

    def shutdown(**_: Any) -> None:
        host.stop()

    signals.worker_ready.connect(ready, weak=False)
    signals.worker_shutdown.connect(shutdown, weak=False)
    app.lockgate_host = host
    return app
