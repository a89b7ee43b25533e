"""Which ``config.file`` a script node may name: inside the folders the administrator lists, on the path's face.

Pure (no disk): the folders come in as data. The handler repeats this at run time and then checks the real path.
"""

from __future__ import annotations

from pathlib import PurePath, PurePosixPath
from typing import TYPE_CHECKING

from lockgate.errors import DefinitionError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lockgate.spec.nodes import Node

__all__ = ["SCRIPT_DIRS_SETTING", "check_script_files", "script_file_problem"]

SCRIPT_DIRS_SETTING = "LOCKGATE_SCRIPT_DIRS"


def script_file_problem(file: str, allowed: Sequence[PurePath]) -> str | None:
    """What is wrong with naming ``file``, or None."""
    if not allowed:
        return (f"script files are turned off on this server ({SCRIPT_DIRS_SETTING} lists no folder); "
                "put the code in config.code")  # fmt: skip
    path = PurePosixPath(file)
    if "\0" in file or not path.is_absolute() or any(part in {".", ".."} for part in file.split("/")[1:]):
        return f"{file!r} is not an absolute path without '.' or '..'"
    folders = [PurePosixPath(folder) for folder in allowed]
    if not any(path.is_relative_to(folder) and path != folder for folder in folders):
        return f"{file!r} is not inside a folder {SCRIPT_DIRS_SETTING} lists ({', '.join(map(str, folders))})"
    return None


def check_script_files(nodes: Sequence[Node], allowed: Sequence[PurePath], errors: list[DefinitionError]) -> None:
    for node in nodes:
        file, source = node.source_file(), node.needs.reads_file
        if file is not None and source is not None:
            problem = script_file_problem(file, allowed)
            if problem is not None:
                errors.append(DefinitionError(problem, node.id, f"config.{source.field}"))
