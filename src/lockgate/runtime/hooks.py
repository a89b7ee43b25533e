"""Named hooks the runtime emits (Dramatiq's broker middleware): services attach to these, not to the runtime.

A service gets only what it uses (storage, layout, clock, settings, a report callback) when it is built, and
the runtime tells it when it has started, after each commit and when it stops. Nothing here knows the runtime.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lockgate.security.credentials import CredentialCipher

if TYPE_CHECKING:
    from lockgate.runtime.applier import Applied

__all__ = ["Boot", "Hook", "Hooks"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Boot:
    """What exists only once the runtime has started, handed to every hook's ``on_start``."""

    worker: str  # this process's id in the workers table
    cipher: CredentialCipher
    spawn: Callable[[Coroutine[Any, Any, None], str], None]  # a loop the runtime watches (alive) and stops


class Hook:
    """A service told about the runtime's life. Every method does nothing unless overridden."""

    async def on_start(self, boot: Boot) -> None:
        """The database is current and this process registered; nothing has been dispatched yet."""

    def after_commit(self, applied: Applied) -> None:
        """A transition was committed (before the runtime acts on its commands); must not block."""

    async def on_stop(self) -> None:
        """Running steps have finished or been cancelled; finish or drop background work."""


class Hooks:
    """The registered hooks, emitted in the order they were added (and stopped in reverse)."""

    def __init__(self) -> None:
        self._hooks: list[Hook] = []

    def add(self, hook: Hook) -> None:
        self._hooks.append(hook)

    async def emit_start(self, boot: Boot) -> None:
        for hook in self._hooks:
            await hook.on_start(boot)

    def emit_after_commit(self, applied: Applied) -> None:
        for hook in self._hooks:
            try:
                hook.after_commit(applied)
            except Exception:  # the committer goes on: the rows are written, recovery heals the rest
                log.exception("%s after a commit of run %s failed", type(hook).__name__, applied.run_id)

    async def emit_stop(self) -> None:
        for hook in reversed(self._hooks):
            try:
                await hook.on_stop()
            except Exception:  # one service failing to stop must not keep the others running
                log.exception("stopping %s failed", type(hook).__name__)
