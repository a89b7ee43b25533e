"""Checks of the steps that start child runs (``subpipeline``): the pipelines they name, inputs, nesting, cycles.

Pure: the stored pipelines come through ``resolve`` (the runtime reads them from the database), so the rules are
tested without one. Every problem names the node and the config field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import JsonValue

from lockgate.compile.inputs import field_problem
from lockgate.errors import DefinitionError

if TYPE_CHECKING:
    from lockgate.spec.pipeline import PipelineSpec

__all__ = ["ChildCall", "Resolve", "child_calls", "child_problems"]

# A stored pipeline's definition by name and version (None: the latest); None when there is no such version.
Resolve = Callable[[str, int | None], "PipelineSpec | None"]
_VISITS = 2000  # pipelines read while following calls, at most: a wide graph is cut short, not walked for ever


@dataclass(frozen=True, slots=True)
class ChildCall:
    node_id: str
    pipeline: str
    version: int | None  # None: latest
    input: dict[str, JsonValue]


def child_calls(spec: PipelineSpec) -> list[ChildCall]:
    """The child runs the definition's steps start, in node order."""
    calls = []
    for node in spec.nodes:
        child = node.child_run()
        if child is not None:
            version = child.version if isinstance(child.version, int) else None
            calls.append(ChildCall(node.id, child.pipeline, version, dict(child.input)))
    return calls


def _templated(value: JsonValue) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _input_problems(call: ChildCall, target: PipelineSpec) -> list[DefinitionError]:
    if not target.input:
        return []
    problems = []
    for name, value in call.input.items():
        field = target.input.get(name)
        if field is None:
            problem: str | None = f"{target.name!r} declares no input field {name!r}"
        else:  # a template is checked when it is rendered, by the child's start
            problem = None if _templated(value) else field_problem(name, field, value)
        if problem is not None:
            problems.append(DefinitionError(problem, call.node_id, f"config.input.{name}"))
    for name, field in target.input.items():
        if field.required and name not in call.input:
            problems.append(DefinitionError(f"{target.name!r} requires input field {name!r}", call.node_id,
                                            f"config.input.{name}"))  # fmt: skip
    return problems


def _target(spec: PipelineSpec, call: ChildCall, resolve: Resolve) -> PipelineSpec | None:
    # The definition being saved is the latest of its name once saved: a call of itself reaches it, not the store.
    if call.pipeline == spec.name and call.version is None:
        return spec
    return resolve(call.pipeline, call.version)


def child_problems(spec: PipelineSpec, resolve: Resolve, max_depth: int) -> list[DefinitionError]:
    """Every call names a stored pipeline (and version) and gives an input it accepts; no cycle; nesting bounded."""
    problems: list[DefinitionError] = []
    for call in child_calls(spec):
        target = _target(spec, call, resolve)
        if target is None:
            missing = (f"pipeline {call.pipeline!r} does not exist" if call.version is None
                       else f"pipeline {call.pipeline!r} has no version {call.version}")  # fmt: skip
            field = "config.pipeline" if call.version is None else "config.version"
            problems.append(DefinitionError(missing, call.node_id, field))
            continue
        problems += _input_problems(call, target)
        problems += _nesting(spec, call, target, resolve, max_depth)
    return problems


def _nesting(
    spec: PipelineSpec, call: ChildCall, target: PipelineSpec, resolve: Resolve, max_depth: int
) -> list[DefinitionError]:
    """The longest chain of child runs this call starts, and a cycle through it, as the node's problems."""
    budget = [_VISITS]
    chain = _deepest(spec, target, [spec.name, target.name], resolve, max_depth, budget)
    if chain[-1] in chain[:-1]:
        loop = " → ".join(chain[chain.index(chain[-1]) :])
        return [DefinitionError(f"pipelines call each other in a cycle: {loop}", call.node_id, "config.pipeline")]
    if len(chain) - 1 > max_depth:
        message = (f"sub-pipelines nest {len(chain) - 1} deep here ({' → '.join(chain)}); "
                   f"LOCKGATE_SUBPIPELINE_MAX_DEPTH is {max_depth}")  # fmt: skip
        return [DefinitionError(message, call.node_id, "config.pipeline")]
    return []


def _deepest(
    root: PipelineSpec, spec: PipelineSpec, chain: list[str], resolve: Resolve, max_depth: int, budget: list[int]
) -> list[str]:
    """The longest chain of pipeline names from ``chain`` on; it stops at a repeat (a cycle) or past the limit."""
    if chain[-1] in chain[:-1] or len(chain) - 1 > max_depth or budget[0] <= 0:
        return chain
    longest = chain
    for call in child_calls(spec):
        budget[0] -= 1
        target = _target(root, call, resolve)
        if target is None:
            continue  # reported when that pipeline is saved or its run starts
        found = _deepest(root, target, [*chain, target.name], resolve, max_depth, budget)
        if found[-1] in found[:-1]:
            return found  # a cycle outranks any depth
        if len(found) > len(longest):
            longest = found
    return longest
