"""Read access for handlers to promoted artifacts: this run's steps and earlier runs of the same pipeline."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lockgate.artifacts.layout import ArtifactLayout, safe_step
from lockgate.errors import PermanentStepError
from lockgate.security.safe_files import RefusedFileError, open_regular, regular_files

if TYPE_CHECKING:
    from pathlib import Path


__all__ = ["LayoutArtifactReader", "glob_match"]

_MAX_READ = 16 << 20


def glob_match(name: str, pattern: str) -> bool:
    """``Path.glob`` semantics on a relative name: ``*`` within one folder, ``**`` across any number of them."""
    return _match(name.split("/"), [p for p in pattern.split("/") if p not in {"", "."}])


def _match(parts: list[str], pattern: list[str]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_match(parts[skip:], pattern[1:]) for skip in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and _match(parts[1:], pattern[1:])


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
        try:  # the step's folder came from a workspace: walked without following a link
            found = regular_files(folder)
        except (FileNotFoundError, NotADirectoryError, RefusedFileError):
            return []
        # a step's folder holds its files and, for a for_each node, its items' folders: files only
        return [name for name in found if glob_match(name, pattern)]

    def read(self, step: str, name: str, run: int | None = None) -> bytes:
        self._step_dir(step, run)  # checks the step key
        number = run or self.run_number
        where = f"v{number}/{step}/{name}"
        relative = "/".join([safe_step(step), *(p for p in name.split("/") if p not in {"", "."})])
        try:  # from the run's folder down, the step's folder included, nothing is followed
            file = open_regular(self.layout.run_dir(self.pipeline, number), relative, one_name=False)
        except OSError:  # absent, or a link, FIFO… that promotion never described
            raise PermanentStepError("artifact_not_found", f"no artifact {where} of pipeline {self.pipeline}") from None
        with file:
            if os.fstat(file.fileno()).st_size > _MAX_READ:
                raise PermanentStepError("artifact_too_large", f"artifact {where} is larger than {_MAX_READ} bytes")
            return file.read(_MAX_READ + 1)[:_MAX_READ]
