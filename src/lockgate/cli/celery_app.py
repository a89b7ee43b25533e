"""``celery -A lockgate.cli.celery_app worker``: Lockgate's Celery app, configured from ``LOCKGATE_*``."""

from __future__ import annotations

from typing import Any

from lockgate.cli.celery_host import worker_app
from lockgate.settings import Settings

__all__ = ["app"]

app: Any = worker_app(Settings())
