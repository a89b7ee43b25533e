"""Runtime test bodies of ``test_runtime.py`` again, with the Celery executor and a real ``lockgate worker``.

The server is the test's in-process Runtime (``LOCKGATE_EXECUTOR=celery``); steps run in one worker process
over the session's Redis. The bodies are the same functions: what a user checks does not depend on where
steps run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from tests.integration.celery_fixtures import broker, celery_settings, stop_workers, worker_env, worker_rows
from tests.integration.helpers import poll, spawn_cli
from tests.integration.test_runtime import (
    anyio_backend,
    test_cancel_kills_the_running_script,
    test_for_each_fan_out_keeps_item_order,
    test_linear_pipeline_succeeds_and_projections_match,
    test_on_error_continue_lets_successors_see_the_error,
    test_timeout_kills_the_script,
    work,
)

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
                     env=worker_env(broker))  # fmt: skip
    try:
        poll(lambda: worker_rows(database_url) or None, timeout=40, what="the worker to register")
        yield celery_settings(home, database_url, broker)
    finally:
        stop_workers([proc])
