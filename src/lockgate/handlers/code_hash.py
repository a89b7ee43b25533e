"""The code hash of a task function: what it does, not how its source is laid out.

The sha256 covers the function's syntax tree (docstrings, comments, formatting and positions left out;
decorators and the name too, as the ref and the pipeline's own hash carry them), the values of its closure
cells, the module globals it reads that are constants (str, int, float, bool, None, bytes, and tuples and
frozensets of them), and, recursively, the plain functions of its own module that it reads (helpers it calls).
Other globals (modules, classes, imported functions) are left out: they are the environment, not the task.

``version=`` replaces the source of the function and of its helpers in the hash: a refactor or a reformat
under a pinned version keeps the hash, while the data the code reads (closure values, constants) still
counts, since no version bump is remembered for a changed constant. Without source (a lambda sharing its
line, code run from ``python -c``), the bytecode stands in for the source: stable within one Python version.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import sys
import textwrap
import types
from pathlib import Path
from typing import TYPE_CHECKING, TypeGuard

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["code_hash", "importable_name", "task_ref"]

_SCALARS = (str, int, float, bool, bytes, type(None))


def task_ref(fn: Callable[..., object]) -> str:
    """``module:qualname`` of ``fn``; ValueError for a lambda or a function defined inside another."""
    module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        raise ValueError(f"{fn!r} has no module and qualified name: a task must be a module-level function")
    if module == "__main__":  # `python flow.py`: the name a worker's --tasks (and lockgate run) import it by
        module = _main_module_name() or module
    if "<lambda>" in qualname or "<locals>" in qualname:
        raise ValueError(f"{module}:{qualname} is a lambda or a local function: a worker could not import it; "
                         "define the task at module level")  # fmt: skip
    return f"{module}:{qualname}"


def importable_name(path: Path) -> tuple[str, Path]:
    """The module name a file is imported by, and the folder that must be on ``sys.path`` for it.

    Under the current directory, its path from there (``flows/invoice.py`` is ``flows.invoice``, as
    ``python -m flows.invoice`` and a worker started there with ``--tasks flows.invoice`` name it); elsewhere its
    stem inside the packages (folders with ``__init__.py``) that hold it, as pytest names it.
    """
    path = path.resolve()
    here = Path.cwd().resolve()
    if path.is_relative_to(here):
        parts = path.relative_to(here).with_suffix("").parts
        if all(part.isidentifier() for part in parts):
            return ".".join(parts), here
    parts = (path.stem,)
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts = (folder.name, *parts)
        folder = folder.parent
    return ".".join(parts), folder


def _main_module_name() -> str | None:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and isinstance(spec.name, str) and spec.name != "__main__":  # python -m pkg.flow
        return spec.name
    file = getattr(main, "__file__", None)
    return importable_name(Path(file))[0] if isinstance(file, str) else None


def code_hash(fn: Callable[..., object], *, version: str | None = None) -> str:
    """The sha256 (64 hex digits) of ``fn``'s code; see the module docstring for what it covers."""
    function = inspect.unwrap(fn)
    if not isinstance(function, types.FunctionType):
        raise ValueError(f"{fn!r} is not a Python function: its code cannot be hashed")
    lines = list(_lines(function, version, seen={id(function)}))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _lines(function: types.FunctionType, version: str | None, seen: set[int]) -> Iterator[str]:
    yield f"version {version!r}" if version is not None else f"code {_source_tree(function)}"
    cells = function.__closure__ or ()
    for name, cell in zip(function.__code__.co_freevars, cells, strict=True):
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell: a variable assigned after the function was made
            yield f"closure {name} <empty>"
            continue
        yield f"closure {name} {_value(value, function, version, seen)}"
    for name in sorted(_global_names(function.__code__)):
        if name not in function.__globals__:
            continue  # a builtin or an attribute name
        value = function.__globals__[name]
        if _constant(value) is not None or _helper(value, function):
            yield f"global {name} {_value(value, function, version, seen)}"


def _value(value: object, owner: types.FunctionType, version: str | None, seen: set[int]) -> str:
    constant = _constant(value)
    if constant is not None:
        return constant
    if _helper(value, owner):
        if id(value) in seen:  # recursion (the function itself, or helpers calling each other)
            return f"<function {value.__qualname__}>"
        seen.add(id(value))
        return "function " + hashlib.sha256("\n".join(_lines(value, version, seen)).encode()).hexdigest()
    kind = type(value)
    return f"<{kind.__module__}.{kind.__qualname__}>"


def _helper(value: object, owner: types.FunctionType) -> TypeGuard[types.FunctionType]:
    return isinstance(value, types.FunctionType) and value.__module__ == owner.__module__


def _constant(value: object) -> str | None:
    """A stable text for a constant, None for anything else."""
    if isinstance(value, _SCALARS):
        return f"{type(value).__name__}:{value!r}"
    if isinstance(value, tuple):
        parts = [_constant(item) for item in value]
        return None if None in parts else "tuple(" + ",".join(p or "" for p in parts) + ")"
    if isinstance(value, frozenset):
        parts = [_constant(item) for item in value]
        return None if None in parts else "frozenset(" + ",".join(sorted(p or "" for p in parts)) + ")"
    return None


def _global_names(code: types.CodeType) -> set[str]:
    # co_names holds globals and attribute names alike: an attribute that shares a global's name only adds it.
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):  # nested functions, comprehensions, lambdas
            names |= _global_names(const)
    return names


def _source_tree(function: types.FunctionType) -> str:
    parts = _parsed(function)
    if parts is None:
        return "bytecode " + _bytecode(function.__code__)
    kind = "async " if inspect.iscoroutinefunction(function) else ""
    return kind + " ".join(ast.dump(_without_docstrings(part), include_attributes=False) for part in parts)


def _parsed(function: types.FunctionType) -> list[ast.AST] | None:
    try:
        module = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return None
    first = module.body[0] if module.body else None
    if isinstance(first, ast.FunctionDef | ast.AsyncFunctionDef) and first.name == function.__name__:
        _without_docstrings(first)
        # What the function does: its parameters, body and annotations, not its name or decorators.
        return [first.args, *first.body, first.returns or ast.Constant(None)]
    lambdas = [node for node in ast.walk(module) if isinstance(node, ast.Lambda)]
    return [lambdas[0]] if function.__name__ == "<lambda>" and len(lambdas) == 1 else None


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and _is_docstring(body[0]):
                del body[0]
    return tree


def _is_docstring(node: ast.AST) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _bytecode(code: types.CodeType) -> str:
    parts = [code.co_code.hex(), ",".join(code.co_names), ",".join(code.co_varnames)]
    parts.extend(_bytecode(const) if isinstance(const, types.CodeType) else repr(const) for const in code.co_consts)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()
