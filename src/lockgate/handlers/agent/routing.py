"""An agent that routes (``route: true``) picks the step's successors with the ``choose_next`` tool.

A tool rather than a field of the answer: the answer keeps its shape (text, the node's schema, a team's
answers), the model sees each successor by id and description in the tool itself (its names as an enum),
and a name that is not a successor goes back to the model naming the allowed ones, within the attempt.
The tool only records the choice, so a replayed step calls it again (it is never answered from the recording)
and routes as the recorded one did; the engine checks the names once more when the step succeeds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_ai import ModelRetry, Tool

from lockgate.engine.commands import Successor

__all__ = ["CHOOSE_NEXT", "Router"]

CHOOSE_NEXT = "choose_next"


def _line(successor: Successor) -> str:
    about = " — ".join(t for t in (successor.name, successor.description) if t)
    return f"- {successor.id}: {about}" if about else f"- {successor.id}"


@dataclass
class Router:
    """The choice of one attempt: None until the agent calls ``choose_next`` (the last call counts)."""

    successors: Sequence[Successor]
    chosen: list[str] | None = None

    @property
    def allowed(self) -> list[str]:
        return [s.id for s in self.successors]

    def choose(self, nodes: Any) -> str:
        """The ``choose_next`` tool's body; ``nodes`` is the model's JSON, its shape is checked here."""
        unknown = [n for n in nodes if n not in self.allowed] if isinstance(nodes, list) else [repr(nodes)]
        if unknown:
            raise ModelRetry(f"{', '.join(map(str, unknown))}: not a next step; choose from {', '.join(self.allowed)}")
        self.chosen = [n for n in self.allowed if n in nodes]
        return f"next: {', '.join(self.chosen) or 'none'}"

    def tool(self) -> Tool[Any]:
        description = (
            "Choose which of the next steps of the pipeline run after yours (the others are skipped); "
            "an empty list runs none. Call it before you give your answer. The next steps:\n"
            + "\n".join(_line(s) for s in self.successors)
        )
        schema = {
            "type": "object",
            "properties": {"nodes": {"type": "array", "items": {"type": "string", "enum": self.allowed}}},
            "required": ["nodes"],
            "additionalProperties": False,
        }
        return Tool.from_schema(self.choose, name=CHOOSE_NEXT, description=description, json_schema=schema)

    def require_choice(self) -> Callable[[Any], Any]:
        """An output validator: an answer given before the choice goes back to the model."""

        def validate(output: Any) -> Any:
            if self.chosen is None:
                raise ModelRetry(
                    f"call {CHOOSE_NEXT} to choose the next steps ({', '.join(self.allowed)}), then answer"
                )
            return output

        return validate
