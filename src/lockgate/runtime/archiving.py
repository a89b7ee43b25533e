"""After a commit: move the folders a revision or rollback displaced, write the rollback's manifest.

The rows already say where the files belong (the journal changed them in the transition's transaction);
every move was recorded as pending first, so ``heal`` at start finishes what a crash interrupted.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from lockgate.engine.commands import ArchiveOutputs, KeepAttempt
from lockgate.runtime.hooks import Boot, Hook
from lockgate.store import archives as archive_store

if TYPE_CHECKING:
    from collections.abc import Coroutine, Sequence

    from lockgate.artifacts.layout import ArtifactLayout
    from lockgate.runtime.applier import Applied
    from lockgate.runtime.storage import Storage

__all__ = ["MANIFEST", "Archiving"]

log = logging.getLogger(__name__)
MANIFEST = "rollback.json"


class Archiving(Hook):
    def __init__(self, storage: Storage, layout: ArtifactLayout) -> None:
        self._storage = storage
        self._layout = layout
        self._background: set[asyncio.Task[Any]] = set()

    async def on_start(self, boot: Boot) -> None:  # noqa: ARG002 - needs nothing of it
        await self._storage.call(self.heal)  # before anything is dispatched: folders where the rows say

    def after_commit(self, applied: Applied) -> None:
        for command in applied.commands:
            if isinstance(command, KeepAttempt | ArchiveOutputs):
                self.moved(command)

    def _spawn(self, job: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(job)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def moved(self, command: KeepAttempt | ArchiveOutputs) -> None:
        """Move now (renames: cheap, and before the step's next attempt is dispatched), then mark them done."""
        self._move(command.pipeline, command.moves)
        if isinstance(command, ArchiveOutputs):
            self._layout.write_manifest(command.pipeline, command.folder, MANIFEST, _manifest(command))
        self._spawn(self._storage.call(self._mark, command.pipeline, command.moves))

    def _move(self, pipeline: str, moves: Sequence[tuple[str, str]]) -> None:
        for source, target in moves:
            try:
                self._layout.move(pipeline, source, target)
            except OSError:  # left pending: the next start tries again
                log.exception("moving %s to %s in %s failed", source, target, pipeline)

    def _mark(self, pipeline: str, moves: Sequence[tuple[str, str]]) -> None:
        with self._storage.db.write() as conn:
            archive_store.mark_moved(conn, pipeline, moves)

    def heal(self) -> int:
        """Finish the moves a crash left undone (at start, before anything is dispatched). Sync: the db thread."""
        with self._storage.db.read() as conn:
            pending = archive_store.pending_moves(conn)
        by_pipeline: dict[str, list[tuple[str, str]]] = {}
        for row in pending:
            by_pipeline.setdefault(row.pipeline, []).append((row.source, row.target))
        for pipeline, moves in by_pipeline.items():
            self._move(pipeline, moves)
            self._mark(pipeline, moves)
        return len(pending)

    async def on_stop(self) -> None:
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)


def _manifest(command: ArchiveOutputs) -> dict[str, Any]:
    """What the rollback displaced, beside the files: outputs included, so nothing is only in the database."""
    return {
        "rollback": command.rollback,
        "run_id": command.run_id,
        "run": f"{command.pipeline}/v{command.run_number}",
        "node": command.node_id,
        "by": command.by,
        "reason": command.reason,
        "at": command.at.isoformat(),
        "steps": [s.model_dump(mode="json") for s in command.steps],
        "cancelled": command.cancelled,
        "moved": [{"from": s, "to": t} for s, t in command.moves],
    }
