"""Typer's help and error renderer (``typer.rich_utils``) without the two Rich modules it imports but never shows.

``typer.rich_utils`` imports ``rich.markdown`` (markdown-it, Pygments) for the ``markdown`` markup mode, which
Lockgate does not use, and ``rich.traceback`` (``rich.pretty``, attrs) for pretty exceptions, which it turns off:
a third of what ``lockgate --help`` cost. They are imported here behind stand-ins that load the real class on
first use, so the output is Rich's own either way; any other importer of those modules gets the real ones.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

__all__ = ["import_rich_help"]

_HEAVY = {"rich.markdown": "Markdown", "rich.traceback": "Traceback"}


class _Deferred(type):
    """The class of a stand-in: its attributes (``Traceback.from_exception``) are the real class's."""

    _module: str
    _name: str

    def real(cls) -> type:
        return getattr(importlib.import_module(cls._module), cls._name)  # type: ignore[no-any-return]

    def __getattr__(cls, attribute: str) -> Any:
        return getattr(cls.real(), attribute)


def _stand_in(module: str, name: str) -> type:
    def __new__(cls: _Deferred, *args: Any, **kwargs: Any) -> Any:  # noqa: N807 - it is the class's __new__
        return cls.real()(*args, **kwargs)

    return _Deferred(name, (), {"_module": module, "_name": name, "__new__": __new__})


def import_rich_help() -> None:
    """Import ``typer.rich_utils`` with stand-ins for the heavy modules not imported yet (once per process)."""
    if "typer.rich_utils" in sys.modules:
        return
    stand_ins: dict[str, ModuleType] = {}
    for module, name in _HEAVY.items():
        if module not in sys.modules:
            stand_ins[module] = ModuleType(module)
            setattr(stand_ins[module], name, _stand_in(module, name))
    sys.modules.update(stand_ins)
    try:
        importlib.import_module("typer.rich_utils")
    finally:
        for module, stand_in in stand_ins.items():  # a later ``import rich.markdown`` loads the real module
            if sys.modules.get(module) is stand_in:
                del sys.modules[module]
