"""Read access for handlers to promoted artifacts: this run's steps and earlier runs of the same pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lockgate.artifacts.layout import ArtifactLayout
from lockgate.errors import PermanentStepError

if TYPE_CHECKING:
    from pathlib import Path


__all__ = ["LayoutArtifactReader"]

_MAX_READ = 16 << 20


@dataclass(frozen=True, slots=True)
class LayoutArtifactReader:
    layout: ArtifactLayout
    pipeline: str
    run_number: int

    def _step_dir(self, step: str, run: int | None) -> Path:
        if not step or ".." in step or "/" in step:
            raise PermanentStepError("artifact_not_found", f"{step!r} is not a step key")
        return self.layout.step_dir(self.pipeline, run or self.run_number, step)

    def names(self, step: str, pattern: str = "*", run: int | None = None) -> list[str]:
        folder = self._step_dir(step, run)
        if not folder.is_dir():
            return []
        root = folder.resolve()
        # a step's folder holds its files and, for a for_each node, its items' folders: files only
        return [str(p.relative_to(folder)) for p in sorted(folder.glob(pattern))
                if p.is_file() and p.resolve().is_relative_to(root)]  # fmt: skip

    def read(self, step: str, name: str, run: int | None = None) -> bytes:
        folder = self._step_dir(step, run)
        where = f"v{run or self.run_number}/{step}/{name}"
        path = (folder / name).resolve()
        if not path.is_relative_to(folder.resolve()) or not path.is_file():
            raise PermanentStepError("artifact_not_found", f"no artifact {where} of pipeline {self.pipeline}")
        if path.stat().st_size > _MAX_READ:
            raise PermanentStepError("artifact_too_large", f"artifact {where} is larger than {_MAX_READ} bytes")
        return path.read_bytes()
