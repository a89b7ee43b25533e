"""Runtime test bodies of ``test_runtime.py`` again, with the Celery executor and a real ``lockgate worker``.

The server is the test's in-process Runtime (``LOCKGATE_EXECUTOR=celery``); steps run in one worker process
over the session's Redis. The bodies are the same functions: what a user checks does not depend on where
steps run.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

import pytest
from tests.integration.helpers import fast_settings, poll, spawn_cli
from tests.integration.test_celery import LEASE, _worker_env, _worker_rows, broker
from tests.integration.test_runtime import (
    anyio_backend,
    test_cancel_kills_the_running_script,
    test_for_each_fan_out_keeps_item_order,
    test_linear_pipeline_succeeds_and_projections_match,
    test_on_error_continue_lets_successors_see_the_error,
    test_timeout_kills_the_script,
    work,
)

from lockgate.settings import ExecutorKind
from lockgate.store.database import Database
from lockgate.store.migrate import upgrade

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from lockgate.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

__all__ = [
    "anyio_backend",
    "broker",
    "test_cancel_kills_the_running_script",
    "test_for_each_fan_out_keeps_item_order",
    "test_linear_pipeline_succeeds_and_projections_match",
    "test_on_error_continue_lets_successors_see_the_error",
    "test_timeout_kills_the_script",
    "work",
]


@pytest.fixture
def settings(tmp_path: Path, database_url: str, broker: str) -> Iterator[Settings]:
    """The server's settings, with one ``lockgate worker`` running the steps for as long as the test."""
    home = tmp_path / "home"
    db = Database(database_url)
    upgrade(db)  # before the worker and the server start together
    db.dispose()
    proc = spawn_cli(home, database_url, "worker", "--concurrency", "8", log=tmp_path / "worker.log",
                     env=_worker_env(broker))  # fmt: skip
    try:
        poll(lambda: _worker_rows(database_url) or None, timeout=40, what="the worker to register")
        yield fast_settings(home, database_url, executor=ExecutorKind.CELERY, broker_url=broker, lease_ttl=LEASE)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except Exception:  # noqa: BLE001 - whatever hangs is killed
            proc.kill()
            proc.wait()
