"""What the model is asked: the prompt as text, context artifacts under a size cap, revision feedback, output."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, assert_never

from jsonschema import Draft202012Validator
from pydantic_ai import ModelRetry, NativeOutput, PromptedOutput, StructuredDict

from lockgate.errors import PermanentStepError
from lockgate.spec.agent import OutputMode

if TYPE_CHECKING:
    from pydantic import JsonValue

    from lockgate.handlers.context import HandlerContext
    from lockgate.spec.agent import AgentConfig, ContextArtifact

__all__ = ["as_text", "context_block", "output_type", "revision_prompt", "schema_validator"]

TRUNCATED = "[… truncated by Lockgate: {rest:,} more characters of {what} not shown]"


def as_text(value: JsonValue) -> str:
    """A rendered template as prompt text: a lone expression may have given JSON."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)


def _cut(text: str, room: int, what: str) -> str:
    if len(text) <= room:
        return text
    return text[:room] + "\n" + TRUNCATED.format(rest=len(text) - room, what=what)


def _files(ctx: HandlerContext, item: ContextArtifact) -> list[tuple[str, str]]:
    names = ctx.artifacts.names(item.step, item.name, item.run)
    if not names:
        where = f"run v{item.run}" if item.run else "this run"
        raise PermanentStepError("context_missing", f"config.context: step {item.step!r} of {where} left no artifact "
                                                    f"matching {item.name!r}")  # fmt: skip
    run = f" (run v{item.run})" if item.run else ""
    return [(f"{item.step}/{name}{run}", ctx.artifacts.read(item.step, name, item.run).decode(errors="replace"))
            for name in names]  # fmt: skip


def context_block(ctx: HandlerContext, config: AgentConfig) -> str:
    """The context artifacts, each under a heading, cut to fit the node's cap with a marker saying what was cut."""
    room = config.context_max_chars
    parts: list[str] = []
    for item in config.context:
        for what, text in _files(ctx, item):
            cap = min(room, item.max_chars) if item.max_chars is not None else room
            body = _cut(text, cap, what) if cap > 0 else TRUNCATED.format(rest=len(text), what=what)
            parts.append(f"## Context: {what}\n\n{body}")
            room = max(room - min(len(text), cap), 0)
    return "\n\n".join(parts)


def revision_prompt(feedback: str) -> str:
    return ("A reviewer asked for a revision of your answer. Their feedback:\n\n"
            f"{feedback}\n\nGive the whole revised answer.")  # fmt: skip


def schema_validator(schema: dict[str, Any]) -> Any:
    """An output validator: an answer that breaks the schema goes back to the model with the reasons."""
    checker = Draft202012Validator(schema)

    def validate(output: Any) -> Any:
        problems = sorted(checker.iter_errors(output), key=lambda e: list(e.path))
        if problems:
            reasons = "; ".join(f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in problems[:10])
            raise ModelRetry(f"the answer does not satisfy the output schema: {reasons}")
        return output

    return validate


def output_type(schema: dict[str, Any] | None, mode: OutputMode = OutputMode.TOOL) -> Any:
    """``str`` for text, else a dict with the node's JSON Schema (validated again by ``schema_validator``).

    ``mode`` says how it is asked for: an output tool, the server's JSON-schema response format, or in the
    instructions.
    """
    if schema is None:
        return str
    answer = StructuredDict(schema, name="answer", description=schema.get("description") or "the final answer")
    match mode:
        case OutputMode.TOOL | OutputMode.NAMED_TOOL:
            return answer
        case OutputMode.NATIVE:
            return NativeOutput(answer, name="answer")
        case OutputMode.PROMPTED:
            return PromptedOutput(answer, name="answer")
        case _:
            assert_never(mode)
