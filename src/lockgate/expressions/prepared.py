"""A template string made ready once: what it refers to, and how it is evaluated (a plain lookup or Jinja's code).

The compiler prepares every template of a definition as it checks it and keeps them on the plan (``Templates``),
which the runtime caches per pipeline version: a step then renders its templates without parsing or compiling
anything, and a plain reference without running Jinja at all (``fast.py``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from lockgate.expressions.environment import (
    compiled_expression,
    compiled_template,
    concat,
    finalize,
    single_expression,
)
from lockgate.expressions.fast import MISS, Interpolation, Path, lookup, plain_reference, plain_text
from lockgate.expressions.references import Reference, TemplateInfo, inspect_template

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Prepared", "Templates", "prepared"]


class Prepared:
    """One template string: ``expression`` when it is exactly one ``{{ … }}`` (its value keeps its type)."""

    __slots__ = ("_jinja", "expression", "path", "source", "text")

    def __init__(self, source: str) -> None:
        self.source = source
        self.expression = single_expression(source)
        self.path: Path | None = plain_reference(self.expression) if self.expression is not None else None
        self.text: Interpolation | None = plain_text(source) if self.expression is None else None
        self._jinja: Any = None

    def info(self) -> TemplateInfo:
        """What the template refers to (compile-time checks); a plain reference's without parsing it.

        Not kept: it is asked for once, when the definition is checked, and a plan holds many templates.
        """
        return inspect_template(self.source) if self.path is None and self.text is None else self._plain()

    def _plain(self) -> TemplateInfo:
        """As ``inspect_template`` finds it: each root, and the key read right after it (``input.x``, ``a["b"]``)."""
        paths = [self.path] if self.path is not None else [p for p in self.text or () if not isinstance(p, str)]
        refs = frozenset(Reference(root, steps[0]) for root, steps in paths if steps and isinstance(steps[0], str))
        return TemplateInfo(frozenset(root for root, _ in paths), refs)

    def jinja(self) -> Any:
        """Jinja's compiled expression or template, made on first need and kept."""
        if self._jinja is None:
            expression = self.expression
            self._jinja = compiled_expression(expression) if expression is not None else compiled_template(self.source)
        return self._jinja

    def value(self, context: Mapping[str, Any]) -> Any:
        """The value of a string that is one expression (``expression`` is set), as Jinja gives it."""
        if self.path is not None:
            found = lookup(self.path, context)
            if found is not MISS:
                return found
        return self.jinja()(**context)

    def render(self, context: Mapping[str, Any]) -> str:
        """The text of any other template, as Jinja renders it (each value printed through ``finalize``)."""
        if self.text is not None:
            kinds = self.text
            parts = [kind if type(kind) is str else lookup(kind, context) for kind in kinds]  # type: ignore[arg-type]
            if not any(part is MISS for part in parts):  # every lookup first: Jinja's errors stay Jinja's
                return concat([p if type(k) is str else str(finalize(p)) for k, p in zip(kinds, parts, strict=True)])
        return str(self.jinja().render(**context))


@lru_cache(maxsize=4096)
def prepared(source: str) -> Prepared:
    """A template outside any plan (an admission key, a check by hand): prepared once per process, while it lasts."""
    return Prepared(source)


class Templates:
    """The templates of one pipeline version, each prepared once; it grows with any string asked for."""

    __slots__ = ("_by_source",)

    def __init__(self) -> None:
        self._by_source: dict[str, Prepared] = {}

    def get(self, source: str) -> Prepared:
        found = self._by_source.get(source)
        if found is None:
            found = self._by_source[source] = Prepared(source)
        return found

    def __len__(self) -> int:
        return len(self._by_source)
