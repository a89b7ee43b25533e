"""Fixtures for integration tests; the servers themselves are session fixtures in tests/conftest.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from tests.integration.served import Served

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.conftest import RedisServer


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """The session's Redis, emptied after each test so that no test sees another's keys."""
    import redis

    yield redis_server.url()
    client = redis.Redis.from_url(redis_server.url())
    try:
        client.flushall()
    finally:
        client.close()


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path / "home", database_url, tmp_path)
    try:
        yield server
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.proc.terminate()
            server.proc.wait(timeout=30)
