"""The names expressions see: ``input``, ``nodes.<id>.output|status|error``, ``run``, ``item``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from lockgate.expressions import BUDGETS, REFUSED

if TYPE_CHECKING:
    from pydantic import JsonValue

    from lockgate.engine.state import StepState

__all__ = ["NodesView", "expression_context", "set_path"]


class NodesView(Mapping[str, Mapping[str, Any]]):
    """Read-only, lazy: only the nodes an expression touches are built."""

    def __init__(self, steps: Mapping[str, StepState]) -> None:
        self._steps = steps

    def __getitem__(self, node_id: str) -> Mapping[str, Any]:
        step = self._steps.get(node_id)
        if step is None:
            return {"output": None, "status": "pending", "error": None}
        error = step.error.model_dump(mode="json") if step.error else None
        return {"output": step.output, "status": step.status.value, "error": error, "attempt": step.attempt}

    def __iter__(self) -> Iterator[str]:
        return iter(k for k in self._steps if "[" not in k)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def expression_context(
    run_id: str,
    pipeline: str,
    number: int,
    run_input: Mapping[str, JsonValue],
    steps: Mapping[str, StepState],
    extends: int | None = None,
    refused: frozenset[str] = frozenset(),
    budgets: tuple[int, int] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    run = {"id": run_id, "pipeline": pipeline, "number": number, "version": f"v{number}",
           "extends": f"v{extends}" if extends is not None else None}  # fmt: skip
    context = {"input": run_input, "nodes": NodesView(steps), "run": run, **extra}
    if refused:
        context[REFUSED] = refused
    if budgets is not None:
        context[BUDGETS] = budgets
    return context


def set_path(target: dict[str, JsonValue], path: str, value: JsonValue) -> None:
    """Set ``a.b[2].c`` inside nested JSON (the structure exists: it came from the same model)."""
    tokens = _tokens(path)
    cursor: Any = target
    for token in tokens[:-1]:
        cursor = cursor[token]
    cursor[tokens[-1]] = value


@lru_cache(maxsize=4096)
def _tokens(path: str) -> tuple[str | int, ...]:
    """``a.b[2].c`` as ``("a", "b", 2, "c")``: a plan's config paths are few, and read at every step."""
    tokens: list[str | int] = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        if name:
            tokens.append(name)
        tokens.extend(int(index) for index in filter(None, rest.replace("]", "").split("[")))
    return tuple(tokens)
