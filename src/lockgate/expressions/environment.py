"""The one sandboxed Jinja2 environment and its compiled-template cache."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

__all__ = ["ENV", "compiled_expression", "compiled_template", "parse", "single_expression"]


def _tojson(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class _DataEnvironment(ImmutableSandboxedEnvironment):
    """``a.b`` reads the key ``b`` of a mapping before its method.

    Run data is JSON, where ``nodes.items`` or ``output.keys`` name a node or a key, never ``dict.items``.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


# Immutable: templates may read the run's data but never change it (no list.append in an expression).
ENV = _DataEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
ENV.filters["tojson"] = _tojson
ENV.filters["json"] = _tojson
ENV.globals.update(len=len, min=min, max=max, sum=sum, sorted=sorted, range=range, abs=abs, round=round)

_SINGLE = re.compile(r"^\s*\{\{(?P<expr>.*)\}\}\s*$", re.DOTALL)


def single_expression(source: str) -> str | None:
    """The expression inside a string that is exactly one ``{{ … }}``, else None."""
    match = _SINGLE.match(source)
    if match is None:
        return None
    expr = match.group("expr")
    if "{{" in expr or "}}" in expr or "{%" in source:
        return None
    return expr


@lru_cache(maxsize=4096)
def compiled_expression(expr: str) -> Any:
    return ENV.compile_expression(expr, undefined_to_none=False)


@lru_cache(maxsize=4096)
def compiled_template(source: str) -> Any:
    return ENV.from_string(source)


def parse(source: str) -> nodes.Template:
    return ENV.parse(source)
