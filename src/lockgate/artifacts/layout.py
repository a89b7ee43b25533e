"""The on-disk layout: attempt workspaces, atomic promotion, kept failures, the ``latest`` link."""

from __future__ import annotations

import json
import logging
import mimetypes
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lockgate.engine.paths import step_folder
from lockgate.engine.records import ArtifactRecord
from lockgate.security.safe_files import Refusal, RefusedFileError, link_or_copy, open_regular, sweep

if TYPE_CHECKING:
    from collections.abc import Iterable
    from io import BufferedReader
    from pathlib import Path

__all__ = ["ArtifactLayout", "Promotion", "safe_step"]

log = logging.getLogger(__name__)
safe_step = step_folder  # ``fan[12]`` → ``fan/12``: map items get a folder each under their node


@dataclass(frozen=True, slots=True)
class Promotion:
    records: list[ArtifactRecord]
    refused: list[Refusal]  # not artifacts: links, FIFOs, hard links… the server never opened them


class ArtifactLayout:
    def __init__(self, home: Path) -> None:
        self.home = home.resolve()

    def pipeline_dir(self, pipeline: str) -> Path:
        return self.home / "pipelines" / pipeline

    def run_dir(self, pipeline: str, number: int) -> Path:
        return self.pipeline_dir(pipeline) / "runs" / f"v{number}"

    def step_dir(self, pipeline: str, number: int, step_key: str) -> Path:
        return self.run_dir(pipeline, number) / safe_step(step_key)

    def workspace(self, pipeline: str, number: int, step_key: str, attempt: int) -> Path:
        name = f"exec_v{number}_{step_key.replace('[', '.').replace(']', '')}_{attempt}"
        return self.pipeline_dir(pipeline) / ".temp" / name

    def log_path(self, pipeline: str, number: int, step_key: str, attempt: int) -> Path:
        return self.run_dir(pipeline, number) / ".logs" / f"{safe_step(step_key).replace('/', '.')}.{attempt}.log"

    def prepare(self, pipeline: str, number: int, step_key: str, attempt: int) -> Path:
        workspace = self.workspace(pipeline, number, step_key, attempt)
        if workspace.exists():  # left by a crashed earlier try of this very attempt
            shutil.rmtree(workspace)
        workspace.mkdir(parents=True)
        return workspace

    def promote(self, workspace: Path, pipeline: str, number: int, step_key: str) -> Promotion:
        """Describe the workspace's files and rename it into the run folder (atomic on one filesystem).

        The step controls the workspace: only regular files with one name are described (read without
        following any link); anything else is refused, removed and reported, never opened.
        """
        swept = sweep(workspace)
        if not swept.files:
            shutil.rmtree(workspace, ignore_errors=True)
            return Promotion(records=[], refused=swept.refused)
        target = self.step_dir(pipeline, number, step_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(target):  # promoted by an attempt whose success was never committed (a crash)
            self._keep(target, self.pipeline_dir(pipeline) / ".archived" / f"superseded_{target.name}_{_stamp()}")
        workspace.replace(target)
        folder = safe_step(step_key)
        records = [
            ArtifactRecord(name=f.path, path=f"{folder}/{f.path}", size=f.size, sha256=f.sha256,
                           media_type=mimetypes.guess_type(f.path.rsplit("/", 1)[-1])[0] or "application/octet-stream")
            for f in swept.files
        ]  # fmt: skip
        return Promotion(records=records, refused=swept.refused)

    def open_artifact(self, pipeline: str, number: int, path: str, *, archived: bool) -> BufferedReader:
        """A promoted file: ``path`` is relative to its run's folder, or to the pipeline's once a rollback archived it.

        No link on the way is followed (OSError: RefusedFileError, FileNotFoundError). Hard links are
        accepted: an extending run links the files it reuses.
        """
        base = self.pipeline_dir(pipeline) if archived else self.run_dir(pipeline, number)
        return open_regular(base, path, one_name=False)

    def keep_failed(self, workspace: Path, pipeline: str) -> Path | None:
        """Move a failed attempt's workspace to ``.errored/`` for diagnosis (an empty one is just removed)."""
        if not workspace.exists():
            return None
        if not any(workspace.iterdir()):
            workspace.rmdir()
            return None
        target = self.pipeline_dir(pipeline) / ".errored" / f"{workspace.name}_{_stamp()}"
        self._keep(workspace, target)
        return target

    @staticmethod
    def _keep(source: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        source.replace(target)

    def move(self, pipeline: str, source: str, target: str) -> bool:
        """Move a folder within the pipeline's folder (both relative to it); False when there is nothing to move.

        Done again after a crash: a source already gone was moved before.
        """
        base = self.pipeline_dir(pipeline)
        origin, destination = base / source, base / target
        if not os.path.lexists(origin):  # a step's folder is moved as it is: a link would be moved, not followed
            return False
        if os.path.lexists(destination):  # left by an interrupted earlier move: keep both, never overwrite
            destination = destination.with_name(f"{destination.name}_{_stamp()}")
            log.warning("%s exists; moving %s to %s instead", target, source, destination)
        destination.parent.mkdir(parents=True, exist_ok=True)
        origin.replace(destination)
        return True

    def write_manifest(self, pipeline: str, folder: str, name: str, data: Any) -> None:
        target = self.pipeline_dir(pipeline) / folder
        target.mkdir(parents=True, exist_ok=True)
        (target / name).write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")

    def link_files(self, pipeline: str, source_run: int, target_run: int, paths: Iterable[str]) -> None:
        """The files of an earlier run, in a new run's folder at the same paths: hard links (copies across devices)."""
        source, target = self.run_dir(pipeline, source_run), self.run_dir(pipeline, target_run)
        target.mkdir(parents=True, exist_ok=True)
        for relative in paths:
            try:
                link_or_copy(source, relative, target)
            except (FileNotFoundError, RefusedFileError) as exc:  # gone, or not a plain file: nothing to reuse
                log.warning("%s v%d: not reusing %s: %s", pipeline, source_run, relative, exc)

    def point_latest(self, pipeline: str, number: int) -> None:
        """``runs/latest -> vN``, replaced atomically."""
        runs = self.pipeline_dir(pipeline) / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        tmp = runs / f".latest.{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(f"v{number}")
        tmp.replace(runs / "latest")


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
