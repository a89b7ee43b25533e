"""A module of code tasks, as a user's would be; ``TASKS`` stands in for the SDK's builder (``__lockgate_tasks__``)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from lockgate.handlers.code_tasks import CodeTask, Next, code_hash, task_ref

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = [
    "TASKS",
    "TokenEcho",
    "counted",
    "counted_v2",
    "echo_token",
    "fetch",
    "flaky",
    "hold",
    "route",
    "sized",
    "total_of",
]

RATE = 2


class Tasks:
    """The tasks of this module: what a worker given ``--tasks tests.tasks_pkg.billing`` registers."""

    def __init__(self, *functions: Callable[..., object]) -> None:
        self.functions = functions

    def __lockgate_tasks__(self) -> Iterable[CodeTask]:
        return [CodeTask(task_ref(fn), code_hash(fn), fn) for fn in self.functions]


def fetch(order_id: str) -> dict[str, object]:
    return {"order_id": order_id, "total": 21 * RATE}


async def total_of(order: dict[str, int]) -> int:
    return order["total"]


def route(total: int) -> Next:
    return Next(["big"] if total > 40 else ["small"], output={"total": total})


def counted(order_id: str, marks: str) -> str:
    """Leaves a file per call in ``marks``: how often the code really ran, whatever the database says."""
    folder = Path(marks)
    n = len(list(folder.glob(f"{order_id}-*")))
    (folder / f"{order_id}-{n}").touch()
    return f"ran {order_id}"


def counted_v2(order_id: str, marks: str) -> str:
    """``counted`` after a change (another deploy): registered under ``counted``'s ref by the test."""
    folder = Path(marks)
    n = len(list(folder.glob(f"{order_id}-*")))
    (folder / f"{order_id}-{n}").touch()
    return f"ran {order_id} (v2)"


def flaky(marks: str) -> str:
    """Fails its first call (a passing fault), succeeds after: retried per the node's policy."""
    first = Path(marks, "flaky-failed")
    if not first.exists():
        first.touch()
        raise ConnectionError("the ledger is away")
    return "steady"


def hold(release: str) -> str:
    """Blocks (a sync call in a thread) until ``release`` exists, at most 20 s: a timeout abandons it."""
    deadline = time.monotonic() + 20
    while not Path(release).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return "released"


def sized(n: int) -> str:
    return "x" * n


class TokenEcho:
    """The value a test stores as a credential: a task that returns it must have it redacted."""

    VALUE = os.environ.get("LOCKGATE_TEST_TOKEN", "tok-3f9a1c7e5b2d4a60")


def echo_token() -> dict[str, str]:
    return {"leaked": f"the token is {TokenEcho.VALUE}"}


TASKS = Tasks(fetch, total_of, route, counted, flaky, hold, sized, echo_token)
