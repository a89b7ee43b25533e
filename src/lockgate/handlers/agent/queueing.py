"""Requests to one model server beyond its profile's ``max_concurrency`` wait in a queue instead of being sent.

Servers that serve one request at a time (llama.cpp's, many local ones) interrupt the stream they are
answering when another request arrives; a team whose members speak at once would break its own answers.
The queue is per process and per event loop: every step of a run served by this process shares it.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from lockgate.handlers.agent.services import ModelProfileData

__all__ = ["server_slot"]

_QUEUES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, int], asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)


@contextlib.asynccontextmanager
async def server_slot(profile: ModelProfileData) -> AsyncIterator[None]:
    """Hold one of the server's request slots while the block runs (no limit: at once)."""
    limit = profile.max_concurrency
    if limit is None:
        yield
        return
    queues = _QUEUES.setdefault(asyncio.get_running_loop(), {})
    # profiles on one server share its slots, whatever model they name
    key = (profile.base_url or f"{profile.provider.value}:{profile.model_id}", limit)
    semaphore = queues.setdefault(key, asyncio.Semaphore(limit))
    async with semaphore:
        yield
