"""Deadline notifications out: POST the overdue task, then report how it went as an event.

The engine decides when to send and when to try again (``engine/notify.py``); this only delivers, in the
background, so that a slow or dead receiver never holds a transition. Every delivery, good or bad, comes
back as a ``deadline_notification_attempted`` event: the run's record of each try.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

from lockgate.engine.commands import NotifyDeadline
from lockgate.engine.events import DeadlineNotificationAttempted
from lockgate.runtime.credentials import signing_secret
from lockgate.runtime.hooks import Boot, Hook
from lockgate.store.credential_grants import UseRow
from lockgate.store.runs import find_run
from lockgate.triggers.webhook import sign

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from lockgate.executors.base import Report
    from lockgate.runtime.applier import Applied
    from lockgate.runtime.clock import Clock
    from lockgate.runtime.storage import Storage
    from lockgate.security.credentials import CredentialCipher

__all__ = ["SIGNATURE_HEADER", "Notifier"]

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Lockgate-Signature"
TIMEOUT = 10.0  # seconds a receiver has to answer; well under the engine's watchdog


class Notifier(Hook):
    def __init__(self, storage: Storage, clock: Clock, report: Report) -> None:
        self._storage = storage
        self._clock = clock
        self._report = report
        self._cipher: CredentialCipher | None = None
        self._background: set[asyncio.Task[Any]] = set()

    async def on_start(self, boot: Boot) -> None:
        self._cipher = boot.cipher

    def after_commit(self, applied: Applied) -> None:
        for command in applied.commands:
            if isinstance(command, NotifyDeadline):
                self.notify(command)

    def notify(self, command: NotifyDeadline) -> None:
        task = asyncio.create_task(self._deliver(command))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _deliver(self, command: NotifyDeadline) -> None:
        body = json.dumps({"event": "human_task_deadline", "task": command.task, "run_id": command.run_id,
                           "step": command.step, "deadline_at": command.deadline_at.isoformat(),
                           "delivery": command.delivery, "deliveries": command.deliveries}).encode()  # fmt: skip
        status, error = await self._post(command, body)
        delivered = error is None and status is not None and 200 <= status < 300
        if not delivered:
            log.warning("deadline notification %d/%d of task %s to %s failed: %s", command.delivery,
                        command.deliveries, command.task, command.url, error or f"HTTP {status}")  # fmt: skip
        self._report(command.run_id, DeadlineNotificationAttempted(
            task=command.task, step=command.step, delivery=command.delivery, url=command.url, delivered=delivered,
            status_code=status, error=error,
        ))  # fmt: skip

    async def _post(self, command: NotifyDeadline, body: bytes) -> tuple[int | None, str | None]:
        headers = {"Content-Type": "application/json", "User-Agent": "Lockgate"}
        if command.secret is not None:
            value, problem = await self._secret(command)
            if value is None:
                return None, problem
            headers[SIGNATURE_HEADER] = sign(value, body)
        import httpx  # with the first notification: a server that sends none never imports it

        try:
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                response = await client.post(command.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:500]
        return response.status_code, None

    async def _secret(self, command: NotifyDeadline) -> tuple[str | None, str | None]:
        """The signing value if the credential exists and is granted to the run's pipeline; the use is recorded."""
        name, cipher, now = command.secret or "", self._cipher, self._clock.now()
        if cipher is None:
            return None, "the runtime has not started: no credentials can be read"

        def reveal(conn: Connection) -> tuple[str | None, str | None]:
            head = find_run(conn, command.run_id)
            node_id = command.step.split("[", 1)[0]  # a map item's key is node[i]
            use = UseRow(name, "notify", head.pipeline, command.run_id, command.step, node_id, command.delivery)
            return signing_secret(conn, cipher, name, use, now)

        return await self._storage.write(reveal)

    async def on_stop(self) -> None:
        """Deliveries in flight are dropped: their reports never come, so the engine's watchdog sends again."""
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
