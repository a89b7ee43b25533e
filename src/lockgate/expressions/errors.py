"""The one error of the expressions layer, and which budget an evaluation ran out of."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["BudgetKind", "ExpressionError"]


class BudgetKind(StrEnum):
    ITERATIONS = "iterations"  # loop iterations and macro calls
    SIZE = "size"  # bytes of one value, of the rendered text, or of all the text one evaluation produced
    TIME = "time"  # wall-clock time of the evaluations of one transition


class ExpressionError(Exception):
    """An expression failed to evaluate; ``field`` says where it was written, ``budget`` which limit it hit."""

    def __init__(self, message: str, field: str | None = None, budget: BudgetKind | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.message = message
        self.field = field
        self.budget = budget

    def at(self, field: str | None) -> ExpressionError:
        """The same error, said of ``field`` (errors raised deep inside a template know no field)."""
        return ExpressionError(self.message, field, self.budget)
