"""Tools in a replayed step: answered from the recording, so that a replay has no side effects.

A replay answers every model request from the recorded run; the model's tool calls then come back with the
recorded call ids. A tool that reaches the world (``http_get``, ``http_post``, ``run_python``, MCP tools) is
not called again: its recorded answer (or its recorded retry request) is given back as it was. The tools
over the run's own folder (``read_artifact``, ``list_artifacts``, ``write_artifact``) run, so that the
replayed step leaves its artifacts as the recorded one did.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic_ai import ModelRetry
from pydantic_ai.toolsets import WrapperToolset

from lockgate.errors import PermanentStepError
from lockgate.spec.agent import BuiltinTool

if TYPE_CHECKING:
    from pydantic import JsonValue
    from pydantic_ai import RunContext
    from pydantic_ai.toolsets.abstract import ToolsetTool

__all__ = ["LOCAL_TOOLS", "RecordedTools", "ToolAnswer", "recorded_answers"]

LOCAL_TOOLS = frozenset({BuiltinTool.READ_ARTIFACT.value, BuiltinTool.WRITE_ARTIFACT.value, "list_artifacts"})


@dataclass(frozen=True, slots=True)
class ToolAnswer:
    content: Any
    retry: bool  # the tool asked the model to try again (ModelRetry) rather than answered


def _answers_in(request: Any) -> dict[str, ToolAnswer]:
    answers: dict[str, ToolAnswer] = {}
    if not isinstance(request, dict) or request.get("kind") != "request":
        return answers
    for part in request.get("parts", []):
        kind = part.get("part_kind")
        if kind == "tool-return":
            answers[part["tool_call_id"]] = ToolAnswer(part.get("content"), retry=False)
        elif kind == "retry-prompt" and part.get("tool_name") is not None:
            answers[part["tool_call_id"]] = ToolAnswer(part.get("content"), retry=True)
    return answers


def _calls(response: Any) -> list[tuple[Any, ...]]:
    """A response's tool calls (what identifies it here: its record in a history may differ in metadata)."""
    parts = response.get("parts", []) if isinstance(response, dict) else []
    return [(p.get("tool_name"), p.get("tool_call_id"), json.dumps(p.get("args"), sort_keys=True))
            for p in parts if isinstance(p, dict) and p.get("part_kind") == "tool-call"]  # fmt: skip


def recorded_answers(recording: list[JsonValue], histories: list[JsonValue]) -> list[dict[str, ToolAnswer]]:
    """For each recorded response, in order, the answers its tool calls got (by call id).

    The answers follow the response in the recorded turns' histories. Call ids alone are not enough: some
    servers number the calls of each response from 0, so the same id comes back response after response.
    """
    pairs: list[tuple[Any, dict[str, ToolAnswer]]] = []
    for history in histories:
        messages = history if isinstance(history, list) else []
        pairs += [(m, _answers_in(messages[i + 1] if i + 1 < len(messages) else None))
                  for i, m in enumerate(messages) if isinstance(m, dict) and m.get("kind") == "response"]  # fmt: skip
    out: list[dict[str, ToolAnswer]] = []
    for response in recording:
        calls = _calls(response)
        found = next((i for i, (m, _) in enumerate(pairs) if _calls(m) == calls), None) if calls else None
        out.append(pairs.pop(found)[1] if found is not None else {})
    return out


@dataclass
class RecordedTools(WrapperToolset[Any]):
    """The step's tools, with every one but the local ones answered from what the replayed response got."""

    answers: Callable[[], dict[str, ToolAnswer]] | None = None  # those of the response being replayed
    member: str = "agent"

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[Any], tool: ToolsetTool[Any]
    ) -> Any:
        if name in LOCAL_TOOLS:
            return await super().call_tool(name, tool_args, ctx, tool)
        found = (self.answers() if self.answers is not None else {}).get(ctx.tool_call_id or "")
        if found is None:
            raise PermanentStepError(
                "replay_mismatch",
                f"agent {self.member!r} called {name} (call {ctx.tool_call_id}), but the recording holds no answer "
                "to that call: the step no longer behaves as when it was recorded",
            )
        if found.retry:
            raise ModelRetry(found.content if isinstance(found.content, str) else json.dumps(found.content))
        return found.content
