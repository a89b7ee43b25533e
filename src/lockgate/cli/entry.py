"""The ``lockgate`` console script: the command line loaded with the garbage collector paused.

A command loads hundreds of modules and frees almost nothing while it does, so the collector's passes over the
growing heap find nothing: a tenth of what ``lockgate --help`` costs. The root callback resumes it before any
command runs, so a command (``serve``, ``worker``, ``run``) works with it as ever; what was loaded by then lives as
long as the process, and is frozen so that the collector's full passes do not walk it again (a quarter of
``lockgate runs list``). A command that imports much before its work (the store: SQLAlchemy) does it inside
``loading()``, paused again likewise. Importing ``lockgate.cli.main`` (tests, CliRunner) leaves the collector alone.
"""

from __future__ import annotations

import contextlib
import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["loading", "main", "resume_gc"]

_paused = False
_console = False  # the console script runs: this process is one command's


def main() -> None:
    global _paused, _console
    _console = True
    if gc.isenabled():
        gc.disable()
        _paused = True
    from lockgate.cli.main import app

    app()


def resume_gc() -> None:
    """Turn the collector back on if ``main`` paused it, past what the command line loaded (frozen: kept for good)."""
    global _paused
    if _paused:
        gc.freeze()
        gc.enable()
        _paused = False


@contextlib.contextmanager
def loading() -> Iterator[None]:
    """A command's imports with the collector paused, then frozen as ``resume_gc`` does (the console script only).

    Importing SQLAlchemy and the store allocates a lot and frees almost nothing: with the collector on, its passes
    were a fifth of what ``lockgate runs list`` cost, and found nothing.
    """
    if not _console or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
