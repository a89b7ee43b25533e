"""How a script step's process ended, as the error a person reads: exit code, signal, or a bound it reached."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import JsonValue

from lockgate.errors import PermanentStepError, RetryableStepError
from lockgate.handlers.script_runner import MEMORY_EXIT

if TYPE_CHECKING:
    from lockgate.handlers.sandbox import Limits

__all__ = ["Outcome", "excerpt", "raise_for_exit", "sandbox_failed"]

_RETRY_EXIT = 75  # EX_TEMPFAIL: the script's way to ask for another attempt


@dataclass(frozen=True, slots=True)
class Outcome:
    returncode: int
    stdout_tail: bytes
    stderr_tail: bytes
    channel: list[dict[str, JsonValue]]
    elapsed: float
    oom_kills: int = 0  # processes of the tree the kernel killed at the attempt's memory bound (cgroup)
    processes_refused: int = 0  # forks refused at the attempt's process bound (cgroup)


def sandbox_failed(outcome: Outcome) -> bool:
    # The runner's first act is to say it started: without that, and with bwrap's own complaint
    # on stderr, the user code never ran and the sandbox is to blame.
    return not outcome.channel and outcome.stderr_tail.startswith(b"bwrap:")


def excerpt(stderr: bytes | bytearray) -> str:
    text = bytes(stderr).decode(errors="replace").strip()
    return f"stderr:\n{text}" if text else "no stderr"


def _ran_out_of_memory(tail: str) -> bool:
    """A traceback of the tree ended in MemoryError: several processes write theirs at once, so any line counts."""
    return any(line == "MemoryError" or line.startswith("MemoryError:") for line in tail.splitlines())


def raise_for_exit(outcome: Outcome, limits: Limits, *, confined: bool) -> None:
    code = outcome.returncode
    if confined and code > 128:  # bwrap reports a death by signal N as exit 128 + N
        code = -(code - 128)
    bound = "no memory_mb" if limits.memory_bytes is None else f"memory_mb: {limits.memory_bytes >> 20}"
    if outcome.oom_kills:  # even if the script exited 0: part of its work was killed
        killed = f"the kernel killed {outcome.oom_kills} of them"
        raise PermanentStepError("memory_limit", f"the script's processes together used more memory than the "
                                                 f"step allows ({bound}): {killed}")  # fmt: skip
    if code == 0:
        return
    tail = excerpt(outcome.stderr_tail)
    if code == _RETRY_EXIT:
        raise RetryableStepError("script_retry", f"the script asked for a retry (exit 75); {tail}")
    if code == MEMORY_EXIT or _ran_out_of_memory(tail):
        raise PermanentStepError("memory_limit", f"the script ran out of memory ({bound})")
    if outcome.processes_refused:
        raise PermanentStepError("process_limit", f"the script tried to run more than {limits.max_processes} "
                                 "processes at once (LOCKGATE_SCRIPT_MAX_PROCESSES, counting every process it "
                                 f"started); {tail}")  # fmt: skip
    cpu = limits.cpu_seconds
    if code == -signal.SIGXCPU or (code == -signal.SIGKILL and cpu is not None and outcome.elapsed >= cpu):
        raise PermanentStepError("cpu_limit", f"the script used more than {cpu}s of CPU time")
    if code < 0:
        raise PermanentStepError("script_exit", f"the script was killed by {signal.Signals(-code).name}; {tail}")
    raise PermanentStepError("script_exit", f"the script exited with code {code}; {tail}")
