"""The FILE argument of ``run``, ``validate`` and ``apply``: a YAML or JSON definition, or a Python file."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated

import typer

from lockgate.errors import DefinitionErrors

# The compiler and the SDK are imported when a definition is read, not by every command; the dataclass's
# annotations are strings (future annotations) that nothing evaluates, hence the noqa.
if TYPE_CHECKING:
    from lockgate.compile import Plan  # noqa: TC004

__all__ = ["Definition", "DefinitionArg", "read_definition"]

DefinitionArg = Annotated[
    str,
    typer.Argument(
        metavar="FILE",
        help="the pipeline: a YAML or JSON definition, or a Python file (FILE.py, or FILE.py:name to choose one)",
    ),
]


@dataclass(frozen=True, slots=True)
class Definition:
    """A definition read from the command line, compiled as a new one."""

    plan: Plan
    module: ModuleType | None  # the Python file's module (its code tasks); None for YAML and JSON


def read_definition(ctx: typer.Context, target: str) -> Definition:
    """Read and compile FILE; a missing file is a usage error, a bad definition DefinitionErrors (exit 2).

    A Python file that fails to import is one problem naming the file, the line and the exception; with
    ``lockgate -v`` its traceback is printed as well (the user's code, not Lockgate's, is what to read).
    """
    from lockgate.compile import compile_file
    from lockgate.sdk.loading import is_python_target, load_pipeline

    if is_python_target(target):
        try:
            loaded = load_pipeline(target)
        except DefinitionErrors as exc:
            if exc.__cause__ is not None and ctx.find_root().meta.get("verbose"):
                traceback.print_exception(exc.__cause__)
            raise
        return Definition(loaded.plan, loaded.module)
    path = Path(target)
    if not path.is_file():
        raise typer.BadParameter(f"File {target!r} does not exist (or is not a file).", param_hint="'FILE'")
    return Definition(compile_file(path), None)
