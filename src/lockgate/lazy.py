"""Packages that name their public parts without importing them: a part's module loads on its first use.

A package's ``__init__`` that imports every module makes ``import lockgate.spec.fields`` (or any one small module)
pay for the whole package: the settings, read by every CLI command and process, would load the spec's JSON Schema,
the handlers and Jinja2. Such a package lists where each name lives and answers ``__getattr__`` with this.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["exports"]


class _Package(ModuleType):
    """A lazy package whose exported names win over its submodules of the same name.

    Importing ``lockgate.engine.advance`` binds the module to the package's ``advance``; an eager ``__init__``
    rebound it to the function of that name at once, so ``from lockgate.engine import advance`` must keep giving
    the function whichever was imported first.
    """

    _exported: frozenset[str] = frozenset()

    def __setattr__(self, name: str, value: object) -> None:
        if name in self._exported and isinstance(value, ModuleType) and value.__name__ == f"{self.__name__}.{name}":
            return  # the import system binding the submodule: __getattr__ gives the export instead
        super().__setattr__(name, value)


def exports(package: str, where: Mapping[str, tuple[str, ...]]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: ``where`` maps each submodule to the names it defines."""
    module_of = {name: module for module, names in where.items() for name in names}
    module = sys.modules[package]
    module.__class__ = _Package
    module._exported = frozenset(module_of)  # type: ignore[attr-defined]

    def __getattr__(name: str) -> object:  # noqa: N807 - the module hook's name
        source = module_of.get(name)
        if source is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{source}"), name)
        ModuleType.__setattr__(module, name, value)  # the next lookup is a plain attribute
        return value

    return __getattr__
