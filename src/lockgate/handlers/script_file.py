"""A script node's ``config.file``: read by the server only inside the folders the administrator lists.

An editor names the path; the server would otherwise open any file it can (its Fernet key, a ``.env``,
``/etc/shadow``) and a SyntaxError would print its first line to every viewer. The real path (symbolic links
resolved) must lie inside a listed folder, and so must the file actually opened: its content, not its path,
goes to the sandbox, so a swap after the check cannot widen what runs.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lockgate.compile.script_files import SCRIPT_DIRS_SETTING, script_file_problem
from lockgate.errors import PermanentStepError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["ScriptSource", "read_script_file"]

_MAX_BYTES = 4 << 20


@dataclass(frozen=True, slots=True)
class ScriptSource:
    path: str  # as the node names it: the script's __file__ and the name in its tracebacks
    text: str


def read_script_file(node_id: str, file: str, allowed: Sequence[Path]) -> ScriptSource:
    """The text of ``file``, or a PermanentStepError naming the node and field that never quotes the file."""
    where = f"node {node_id!r}, config.file"
    problem = script_file_problem(file, allowed)
    if problem is not None:
        raise PermanentStepError("invalid_config", f"{where}: {problem}")
    folders = [Path(os.path.realpath(folder)) for folder in allowed]
    real = Path(os.path.realpath(file))
    if not _inside(real, folders):  # said before any existence check: no oracle on files outside
        raise PermanentStepError("invalid_config", f"{where}: {file!r} leads out of the folders {SCRIPT_DIRS_SETTING} "
                                                   "lists (a symbolic link)")  # fmt: skip
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        why = "was replaced by a symbolic link" if exc.errno == errno.ELOOP else exc.strerror
        raise PermanentStepError("invalid_config", f"{where}: {file!r} cannot be read: {why}") from None
    try:
        # What was opened, not what was checked: a folder swapped for a link in between shows here.
        opened = Path(f"/proc/self/fd/{fd}").readlink()
        info = os.fstat(fd)
        if not _inside(opened, folders):
            raise PermanentStepError("invalid_config", f"{where}: {file!r} moved out of the allowed folders")
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_BYTES:
            raise PermanentStepError("invalid_config", f"{where}: {file!r} is not a regular file under 4 MiB")
        data = b""
        while chunk := os.read(fd, _MAX_BYTES + 1 - len(data)):
            data += chunk
    finally:
        os.close(fd)
    if len(data) > _MAX_BYTES:  # it grew since fstat
        raise PermanentStepError("invalid_config", f"{where}: {file!r} is not a regular file under 4 MiB")
    try:
        return ScriptSource(path=file, text=data.decode("utf-8"))
    except UnicodeDecodeError:
        raise PermanentStepError("invalid_config", f"{where}: {file!r} is not UTF-8 text") from None


def _inside(path: Path, folders: Sequence[Path]) -> bool:
    return any(path.is_relative_to(folder) and path != folder for folder in folders)
