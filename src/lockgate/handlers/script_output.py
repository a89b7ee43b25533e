"""What a script step produced: its output, read from the workspace, the side channel or stdout."""

from __future__ import annotations

import contextlib
import json
import os
from typing import TYPE_CHECKING

from lockgate.errors import PermanentStepError
from lockgate.security.safe_files import RefusedFileError, open_regular

if TYPE_CHECKING:
    from pathlib import Path

    from pydantic import JsonValue

__all__ = ["read_channel", "script_next", "script_output"]

_OUTPUT_FILE = "output.json"
_OUTPUT_MAX = 64 << 20


def read_channel(data: bytes) -> list[dict[str, JsonValue]]:
    """The runner's side channel as messages; the script could write there too: keep well-formed ones."""
    messages = []
    for line in data.splitlines():
        with contextlib.suppress(ValueError):
            message = json.loads(line)
            if isinstance(message, dict):
                messages.append(message)
    return messages


def script_output(workspace: Path, channel: list[dict[str, JsonValue]], stdout_tail: bytes) -> JsonValue:
    """``output.json``, else the ``output`` global, else the last stdout line if it is JSON, else None."""
    raw = _take_output_file(workspace)
    if raw is not None:
        return _parse(raw, f"{_OUTPUT_FILE} is not valid JSON")
    for message in channel:
        if "invalid" in message:
            raise PermanentStepError("invalid_output", str(message["invalid"]))
        if "output" in message:
            return message["output"]
    lines = [line for line in stdout_tail.decode(errors="replace").splitlines() if line.strip()]
    if not lines:
        return None
    with contextlib.suppress(PermanentStepError):
        return _parse(lines[-1].encode(), "")
    return None


def script_next(channel: list[dict[str, JsonValue]]) -> list[str] | None:
    """The successors ``lockgate_step.route`` chose; None when it was not called (every successor is taken).

    The script can write the channel itself: the shape is checked here, the names by the engine.
    """
    chosen = [m["next"] for m in channel if "next" in m]
    if not chosen:
        return None
    names = chosen[-1]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise PermanentStepError("invalid_next", "the script's route is not a list of node ids")
    return [n for n in names if isinstance(n, str)]


def _take_output_file(workspace: Path) -> bytes | None:
    # The script controls the workspace: never follow a link it planted, never open a FIFO or a hard link.
    try:
        file = open_regular(workspace, _OUTPUT_FILE)
    except FileNotFoundError:
        return None
    except RefusedFileError as exc:
        raise PermanentStepError("invalid_output", f"{_OUTPUT_FILE} is {exc.reason}, not a file") from None
    with file:
        if os.fstat(file.fileno()).st_size > _OUTPUT_MAX:
            raise PermanentStepError("invalid_output", f"{_OUTPUT_FILE} is not a regular file under 64 MiB")
        raw = file.read(_OUTPUT_MAX + 1)
    (workspace / _OUTPUT_FILE).unlink()  # it became the output: it is not also an artifact
    return raw


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _parse(raw: bytes, message: str) -> JsonValue:
    try:
        value: JsonValue = json.loads(raw, parse_constant=_reject_constant)
    except ValueError as exc:
        raise PermanentStepError("invalid_output", f"{message}: {exc}") from None
    return value
