"""The ``lockgate`` console script: the command line loaded with the garbage collector paused.

A command loads hundreds of modules and frees almost nothing while it does, so the collector's passes over the
growing heap find nothing: a tenth of what ``lockgate --help`` costs. The root callback resumes it before any
command runs, so a command (``serve``, ``worker``, ``run``) works with it as ever; what was loaded by then lives as
long as the process, and is frozen so that the collector's full passes do not walk it again (a quarter of
``lockgate runs list``). Importing ``lockgate.cli.main`` (tests, CliRunner) leaves the collector alone.
"""

from __future__ import annotations

import gc

__all__ = ["main", "resume_gc"]

_paused = False


def main() -> None:
    global _paused
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
