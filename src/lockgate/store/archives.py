"""What revisions, rollbacks and extends do to recorded artifacts and attempts; rollback rows; pending folder moves.

Rows change in the transaction of the transition (DESIGN rule 2). The folders move after the commit (the
runtime does it); each move is recorded here first, so that recovery finishes what a crash interrupted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, bindparam, exists, select, update

from lockgate.engine.commands import ArchiveOutputs, KeepAttempt, PointLatest, RecordReuse
from lockgate.engine.paths import run_folder
from lockgate.store.ids import new_id
from lockgate.store.tables import artifact_moves, artifacts, attempts, pipelines, rollbacks, runs

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["ArchiveWrites", "list_rollbacks", "mark_moved", "pending_moves"]


def _pipeline_id(conn: Connection, run_id: str) -> str:
    return str(conn.execute(select(runs.c.pipeline_id).where(runs.c.id == run_id)).scalar_one())


def _moved(path: str, moves: Sequence[tuple[str, str]]) -> str | None:
    """Where a file (relative to the pipeline's folder) ends up, if one of the folder moves takes it."""
    for source, target in moves:
        if path.startswith(source + "/"):
            return target + path[len(source) :]
    return None


@dataclass
class ArchiveWrites:
    """Collected per batch; flushed after the batch's artifact rows are in (their order matters, see flush)."""

    ops: list[tuple[object, datetime]] = field(default_factory=list)
    latest: list[tuple[str, int]] = field(default_factory=list)  # run id, number: runs/latest follows it

    def add(self, command: object, at: datetime) -> None:
        self.ops.append((command, at))

    def flush(self, conn: Connection) -> None:
        for command, at in self.ops:
            if isinstance(command, KeepAttempt):
                self._keep(conn, command, at)
            elif isinstance(command, ArchiveOutputs):
                self._archive(conn, command)
            elif isinstance(command, RecordReuse):
                self._reuse(conn, command, at)
            elif isinstance(command, PointLatest):
                self._point(conn, command)
        for run_id, number in self.latest:
            published = ~exists().where(runs.c.id == run_id, runs.c.draft.is_(True))  # a draft run is no release
            conn.execute(
                update(pipelines)
                .where(pipelines.c.id == _pipeline_id(conn, run_id), published)
                .values(latest_run=number)
            )

    @staticmethod
    def _record_moves(conn: Connection, pipeline: str, moves: Sequence[tuple[str, str]], at: datetime) -> None:
        conn.execute(artifact_moves.insert(), [{"pipeline": pipeline, "source": s, "target": t, "done": False,
                                                "created_at": at} for s, t in moves])  # fmt: skip

    def _keep(self, conn: Connection, command: KeepAttempt, at: datetime) -> None:
        """The attempt's files stay in the run folder, under .attempts/: still its artifacts, not archived."""
        self._record_moves(conn, command.pipeline, command.moves, at)
        base = run_folder(command.run_number) + "/"
        rows = conn.execute(
            select(artifacts.c.id, artifacts.c.path).where(
                artifacts.c.run_id == command.run_id, artifacts.c.step_key == command.step,
                artifacts.c.attempt == command.attempt, artifacts.c.archived.is_(False),
            )
        )  # fmt: skip
        changes = []
        for row in rows:
            target = _moved(base + row.path, command.moves)
            if target is not None:
                changes.append({"b_id": row.id, "path": target.removeprefix(base)})
        if changes:
            conn.execute(update(artifacts).where(artifacts.c.id == bindparam("b_id")), changes)

    def _archive(self, conn: Connection, command: ArchiveOutputs) -> None:
        """Move the reset steps' artifact rows into the rollback folder (paths now relative to the pipeline)."""
        self._record_moves(conn, command.pipeline, command.moves, command.at)
        nodes = {s.node_id for s in command.steps} | {command.node_id}
        base = run_folder(command.run_number) + "/"
        rows = conn.execute(
            select(artifacts.c.id, artifacts.c.path, artifacts.c.step_key, artifacts.c.attempt, artifacts.c.name)
            .where(artifacts.c.run_id == command.run_id, artifacts.c.archived.is_(False))
        )  # fmt: skip
        moved, changes = [], []
        for row in rows:
            if row.step_key.split("[", 1)[0] not in nodes:
                continue
            target = _moved(base + row.path, command.moves)
            if target is None:
                continue
            changes.append({"b_id": row.id, "path": target, "archived": True})
            moved.append({"id": row.id, "step_key": row.step_key, "attempt": row.attempt, "name": row.name,
                          "from": base + row.path, "to": target})  # fmt: skip
        if changes:
            conn.execute(update(artifacts).where(artifacts.c.id == bindparam("b_id")), changes)
        self._archive_attempts(conn, command)
        conn.execute(rollbacks.insert().values(
            id=command.rollback, kind="run", pipeline_id=_pipeline_id(conn, command.run_id), run_id=command.run_id,
            node_id=command.node_id, by=command.by, reason=command.reason, folder=command.folder,
            steps=[s.model_dump(mode="json") for s in command.steps], artifacts=moved, cancelled=command.cancelled,
            at=command.at,
        ))  # fmt: skip

    @staticmethod
    def _archive_attempts(conn: Connection, command: ArchiveOutputs) -> None:
        # Only the attempts made before the rollback: the restarted step's new attempt is not archived.
        bounds = [{"b_step": s.key, "b_number": s.attempt} for s in command.steps]
        if bounds:
            conn.execute(
                update(attempts)
                .where(attempts.c.run_id == command.run_id, attempts.c.step_key == bindparam("b_step"))
                .where(attempts.c.number <= bindparam("b_number"))
                .values(archived=True),
                bounds,
            )
        for node_id in {s.node_id for s in command.steps}:  # the items of a map node, all of them
            conn.execute(
                update(attempts)
                .where(attempts.c.run_id == command.run_id, attempts.c.step_key.like(f"{node_id}[%"))
                .where(attempts.c.queued_at < command.at)
                .values(archived=True)
            )

    @staticmethod
    def _reuse(conn: Connection, command: RecordReuse, at: datetime) -> None:
        conn.execute(attempts.insert().values(
            run_id=command.run_id, step_key=command.step, number=command.attempt, status="reused", worker=None,
            output=command.output, queued_at=at, started_at=at, finished_at=at, archived=False,
        ))  # fmt: skip
        if command.artifacts:
            conn.execute(artifacts.insert(), [
                {"id": new_id(), "run_id": command.run_id, "step_key": command.step, "attempt": command.attempt,
                 "name": a.name, "path": a.path, "size": a.size, "sha256": a.sha256, "media_type": a.media_type,
                 "archived": False, "reused_from": a.source, "created_at": at}
                for a in command.artifacts
            ])  # fmt: skip

    @staticmethod
    def _point(conn: Connection, command: PointLatest) -> None:
        pipeline_id = _pipeline_id(conn, command.run_id)
        previous = conn.execute(select(pipelines.c.latest_run).where(pipelines.c.id == pipeline_id)).scalar()
        conn.execute(update(pipelines).where(pipelines.c.id == pipeline_id).values(latest_run=command.run_number))
        conn.execute(rollbacks.insert().values(
            id=command.rollback, kind="latest", pipeline_id=pipeline_id, run_id=command.run_id, by=command.by,
            reason=command.reason, steps=[], artifacts=[], cancelled=[], previous_latest=previous, at=command.at,
        ))  # fmt: skip


# ---- reading, and the moves still to do -------------------------------------------------------------------


def list_rollbacks(conn: Connection, *, pipeline_id: str | None = None, run_id: str | None = None) -> list[Row[Any]]:
    stmt = (
        select(rollbacks, pipelines.c.name.label("pipeline"), runs.c.number.label("run_number"))
        .join(runs, runs.c.id == rollbacks.c.run_id)
        .join(pipelines, pipelines.c.id == rollbacks.c.pipeline_id)
    )
    if pipeline_id is not None:
        stmt = stmt.where(rollbacks.c.pipeline_id == pipeline_id)
    if run_id is not None:
        stmt = stmt.where(rollbacks.c.run_id == run_id)
    return list(conn.execute(stmt.order_by(rollbacks.c.at.desc(), rollbacks.c.id.desc())))


def pending_moves(conn: Connection) -> list[Row[Any]]:
    return list(
        conn.execute(select(artifact_moves).where(artifact_moves.c.done.is_(False)).order_by(artifact_moves.c.id))
    )


def mark_moved(conn: Connection, pipeline: str, moves: Sequence[tuple[str, str]]) -> None:
    if moves:
        conn.execute(
            update(artifact_moves).where(
                artifact_moves.c.pipeline == pipeline,
                artifact_moves.c.source == bindparam("b_source"),
                artifact_moves.c.target == bindparam("b_target"),
            ).values(done=True),
            [{"b_source": s, "b_target": t} for s, t in moves],
        )  # fmt: skip
