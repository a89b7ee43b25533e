"""One place that turns settings into an executor; the runtime is handed what it returns (DESIGN rule 6)."""

from __future__ import annotations

from typing import TYPE_CHECKING, assert_never

from lockgate.executors.attempts import AttemptRunner
from lockgate.executors.celery import CeleryExecutor, celery_app
from lockgate.executors.local import LocalExecutor
from lockgate.settings import ExecutorKind
from lockgate.store.database import Database

if TYPE_CHECKING:
    from lockgate.artifacts.layout import ArtifactLayout
    from lockgate.executors.base import Executor
    from lockgate.handlers.registry import HandlerRegistry
    from lockgate.settings import Settings

__all__ = ["build_executor"]


def build_executor(settings: Settings, registry: HandlerRegistry, layout: ArtifactLayout) -> Executor:
    """The executor ``LOCKGATE_EXECUTOR`` names, running ``registry``'s handlers with artifacts under ``layout``."""
    match settings.executor:
        case ExecutorKind.LOCAL:
            return LocalExecutor(registry, layout, max_concurrency=settings.max_concurrency, sandbox=settings.sandbox,
                                 script_policy=settings.script_policy,
                                 max_output_bytes=settings.max_output_bytes)  # fmt: skip
        case ExecutorKind.CELERY:
            runner = AttemptRunner(registry, layout, sandbox=settings.sandbox, script_policy=settings.script_policy,
                                   max_output_bytes=settings.max_output_bytes)  # fmt: skip
            app = celery_app(settings.broker_url or "", settings.broker_visibility_timeout)  # checked by Settings
            db = Database(settings.db_url, synchronous=settings.sqlite_synchronous)
            return CeleryExecutor(runner, db, app, lease=settings.lease_ttl, republish_after=settings.republish_after)
        case _:
            assert_never(settings.executor)
