"""How a script's end reads to a person: a tree of processes that ran out of memory says so, whatever wrote last."""

from __future__ import annotations

import pytest

from lockgate.errors import PermanentStepError
from lockgate.handlers.sandbox import Limits
from lockgate.handlers.script_exit import Outcome, raise_for_exit

LIMITS = Limits(cpu_seconds=None, memory_bytes=256 << 20)
TRACEBACK = 'Traceback (most recent call last):\n  File "<script>", line 7, in <module>\n'


def _kind(stderr: str, code: int = 1) -> tuple[str, str]:
    outcome = Outcome(returncode=code, stdout_tail=b"", stderr_tail=stderr.encode(), channel=[], elapsed=0.1)
    with pytest.raises(PermanentStepError) as raised:
        raise_for_exit(outcome, LIMITS, confined=True)
    return raised.value.kind, str(raised.value)


def test_children_that_ran_out_of_memory_read_as_the_memory_bound_whoever_wrote_last() -> None:
    # three forked children print their tracebacks at once: the last line is another child's first
    interleaved = TRACEBACK + "MemoryError\n" + TRACEBACK + "MemoryError\n" + "Traceback (most recent call last):\n"
    kind, message = _kind(interleaved)
    assert kind == "memory_limit" and "memory_mb: 256" in message


def test_a_script_that_failed_otherwise_is_not_called_out_of_memory() -> None:
    kind, message = _kind(TRACEBACK + "ValueError: no MemoryError here\n")
    assert kind == "script_exit" and "exited with code 1" in message
