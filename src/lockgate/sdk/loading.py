"""Pipelines read from Python files: ``lockgate run flow.py``, ``lockgate apply flow.py:invoice``.

A file is imported under the name a worker finds it by (its stem, inside the packages that hold it; their root
on ``sys.path`` while it runs, so it can import its siblings; ``__name__`` is not ``"__main__"``, so its
``if __name__ == "__main__":`` block stays out); the
pipeline is the ``Pipeline`` it holds at the top level, or the one named after a colon.
"""

from __future__ import annotations

import contextlib
import importlib.util
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from lockgate.compile import Plan, compile_loaded
from lockgate.errors import DefinitionError, DefinitionErrors
from lockgate.handlers.code_hash import importable_name
from lockgate.sdk._builder import deferred_problems
from lockgate.sdk._pipeline import Pipeline

if TYPE_CHECKING:
    from lockgate.spec.pipeline import PipelineSpec

__all__ = ["LoadedPipeline", "is_python_target", "load_pipeline", "split_target"]

# The names of the modules this loader imported, with their files.
_LOADED: dict[str, Path] = {}

_TARGET = re.compile(r"^(?P<file>.+\.py)(?::(?P<name>[A-Za-z_][A-Za-z0-9_]*))?$")


@dataclass(frozen=True, slots=True)
class LoadedPipeline:
    """A pipeline read from a Python file, compiled as a new definition.

    Attributes:
        path: the file.
        attribute: the module-level name the pipeline was found under.
        module: the imported module (its code tasks are what a local executor registers).
        pipeline: the builder.
        plan: the compiled plan; ``plan.spec`` is the definition a server stores.
    """

    path: Path
    attribute: str
    module: ModuleType
    pipeline: Pipeline
    plan: Plan

    @property
    def spec(self) -> PipelineSpec:
        """The definition: equal, and equal in content hash, to the same pipeline written in YAML."""
        return self.plan.spec


def is_python_target(target: str) -> bool:
    """Whether ``target`` names a Python file (``flow.py``) or a pipeline in one (``flow.py:invoice``)."""
    return _TARGET.match(target) is not None


def split_target(target: str) -> tuple[Path, str | None]:
    """``flow.py:invoice`` → (``flow.py``, ``invoice``); ``flow.py`` → (``flow.py``, None).

    Raises:
        DefinitionErrors: ``target`` is not a Python file, with or without a name.
    """
    match = _TARGET.match(target)
    if match is None:
        message = f"{target!r} is not a Python file: give FILE.py, or FILE.py:name to choose a pipeline"
        raise DefinitionErrors([DefinitionError(message)])
    return Path(match["file"]), match["name"]


def load_pipeline(target: str | Path) -> LoadedPipeline:
    """Import a Python file and compile the ``Pipeline`` it defines.

    Args:
        target: ``FILE.py`` (the file must hold exactly one ``Pipeline`` at its top level) or ``FILE.py:name``.

    Returns:
        The pipeline, its compiled plan and the module.

    Raises:
        DefinitionErrors: the file is missing or fails to import (the exception is the cause), it holds no
            pipeline or several without a name to choose, or the definition has problems (every one, each
            with its node and field).
    """
    path, name = split_target(str(target))
    if not path.is_file():
        raise DefinitionErrors([DefinitionError(f"{path}: no such file")])
    with deferred_problems():  # every node's problems in one report, as for a YAML file
        module = _import(path)
    attribute, pipeline = _choose(module, path, name)
    plan = compile_loaded(pipeline.spec)
    return LoadedPipeline(path, attribute, module, pipeline, plan)


def _import(path: Path) -> ModuleType:
    name, root = importable_name(path)
    loaded = sys.modules.get(name)
    # A module this loader read before is read again (the file may have changed, or another file of that name
    # is meant); one imported otherwise (--tasks, a sibling's import) is that file's module, or a clash.
    if loaded is not None and name not in _LOADED:
        if Path(getattr(loaded, "__file__", "") or "").resolve() == path.resolve():
            return loaded
        taken = getattr(loaded, "__file__", None) or "a built-in module"
        message = f"{path}: its module name {name!r} is taken by {taken}; rename the file"
        raise DefinitionErrors([DefinitionError(message)])
    found = importlib.util.spec_from_file_location(name, path.resolve())
    if found is None or found.loader is None:
        raise DefinitionErrors([DefinitionError(f"{path}: cannot be imported as a Python module")])
    module = importlib.util.module_from_spec(found)
    _LOADED[name] = path.resolve()
    sys.modules[name] = module  # dataclasses, pickling and typing look a module up by name while it runs
    folder = str(root)
    sys.path.insert(0, folder)
    try:
        found.loader.exec_module(module)
    except DefinitionErrors:  # a builder call refused a node: its problems, with node and field, say it best
        sys.modules.pop(name, None)
        raise
    except (Exception, SystemExit) as exc:
        sys.modules.pop(name, None)
        raise DefinitionErrors([DefinitionError(_import_problem(path, exc))]) from exc
    finally:
        with contextlib.suppress(ValueError):  # the file may have taken it out itself
            sys.path.remove(folder)  # the first occurrence: the one inserted above
    return module


def _import_problem(path: Path, exc: BaseException) -> str:
    """The exception in one line, with the line of the file where it was raised (the traceback is for -v)."""
    line: int | None = None
    if isinstance(exc, SyntaxError) and exc.filename == str(path.resolve()):
        line = exc.lineno
    else:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path.resolve())]
        line = frames[-1].lineno if frames else None
    at = f" (line {line})" if line is not None else ""
    return f"{path}: importing it failed{at}: {type(exc).__name__}: {exc}"


def _choose(module: ModuleType, path: Path, name: str | None) -> tuple[str, Pipeline]:
    found: dict[str, Pipeline] = {}
    for attribute, value in vars(module).items():
        if isinstance(value, Pipeline) and all(value is not seen for seen in found.values()):
            found[attribute] = value
    listed = ", ".join(f"{attribute} ({pipe.name!r})" for attribute, pipe in found.items()) or "none"
    if name is not None:
        chosen = getattr(module, name, None)
        if isinstance(chosen, Pipeline):
            return name, chosen
        what = "is not a Pipeline" if hasattr(module, name) else "is not defined"
        raise DefinitionErrors([DefinitionError(f"{path}: {name!r} {what}; its pipelines: {listed}")])
    if len(found) == 1:
        return next(iter(found.items()))
    if not found:
        message = f"{path} defines no Pipeline at its top level (pipe = Pipeline(...))"
    else:
        message = f"{path} defines {len(found)} pipelines: {listed}; choose one as {path}:NAME"
    raise DefinitionErrors([DefinitionError(message)])
