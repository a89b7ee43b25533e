"""``--tasks`` of ``lockgate serve`` and ``lockgate worker``: the modules of code tasks a process may run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lockgate.cli.options import console, err_console

if TYPE_CHECKING:
    from lockgate.settings import Settings

__all__ = ["TasksOption", "with_tasks"]

TasksOption = Annotated[
    list[str] | None,
    typer.Option(
        "--tasks",
        help="a module of code tasks to import at start (package.module; repeatable; adds to LOCKGATE_TASKS)",
    ),
]


def with_tasks(cfg: Settings, modules: list[str] | None) -> Settings:
    """``cfg`` with ``modules`` added to its tasks, every one imported now and its tasks printed.

    A module that fails to import raises TaskLoadError naming it (the caller's ``exit_on_errors`` exits
    non-zero); the process's runtime registers the same modules (already imported, so not run twice).
    """
    from lockgate.handlers.code_tasks import load_tasks

    merged = tuple(dict.fromkeys([*cfg.tasks, *(modules or [])]))
    if not merged:
        return cfg
    here = str(Path.cwd())
    if here not in sys.path:  # as `python -m` would: the project the command runs in (after installed ones)
        sys.path.append(here)
    tasks = load_tasks(merged)
    for ref, digest in sorted(tasks.refs.items()):
        console.print(f"task {ref} code {digest[:12]}", highlight=False)
    if not tasks.refs:
        err_console.print(f"warning: no code task found in {', '.join(merged)}", highlight=False)
    return cfg.model_copy(update={"tasks": merged})
