"""Choosing the Celery executor: a broker is required, and without the extra the error names it."""

from __future__ import annotations

import sys
from datetime import timedelta

import pytest
from pydantic import ValidationError

from lockgate.errors import MissingExtraError
from lockgate.executors.celery import celery_app
from lockgate.settings import ExecutorKind, Settings


def test_without_the_celery_extra_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "celery", None)  # what an environment without the extra imports
    with pytest.raises(MissingExtraError, match=r"pip install 'lockgate\[celery\]'"):
        celery_app("redis://127.0.0.1:1/0", timedelta(hours=1))


def test_the_celery_executor_needs_a_broker() -> None:
    with pytest.raises(ValidationError, match="LOCKGATE_BROKER_URL"):
        Settings(executor=ExecutorKind.CELERY)


def test_the_app_acknowledges_late_and_prefetches_one() -> None:
    app = celery_app("redis://127.0.0.1:1/0", timedelta(seconds=90))
    assert app.conf.task_acks_late is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.broker_transport_options == {"visibility_timeout": 90}
