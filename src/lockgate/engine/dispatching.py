"""Rendering a step's inputs and config into the command that runs one attempt of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import JsonValue

from lockgate.engine.commands import DispatchStep, Successor
from lockgate.engine.context import expression_context, set_path
from lockgate.expressions import render, render_deep

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from lockgate.compile.plan import Plan
    from lockgate.engine.state import RunState, StepState

__all__ = ["Rendered", "build_dispatch", "render_step", "step_context"]


def step_context(
    run: RunState, steps: Mapping[str, StepState], input_: Mapping[str, JsonValue], step: StepState | None
) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if step is not None and step.item_index is not None:
        values = steps[step.node_id].item_values or ()
        extra = {"item": values[step.item_index], "item_index": step.item_index}
    extends = run.extends.number if run.extends is not None else None
    budgets = (run.budgets.max_iterations, run.budgets.max_bytes) if run.budgets is not None else None
    return expression_context(run.run_id, run.pipeline, run.number, input_, steps, extends, run.refused, budgets,
                              **extra)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Rendered:
    context: dict[str, Any]  # what expressions of this step see
    inputs: dict[str, JsonValue]
    config: dict[str, JsonValue]


def _copy_json(value: JsonValue) -> JsonValue:
    """What ``copy.deepcopy`` gives for JSON, faster: its dicts and lists copied (strings, numbers immutable)."""
    if type(value) is dict:
        return {key: _copy_json(item) for key, item in value.items()}
    if type(value) is list:
        return [_copy_json(item) for item in value]
    return value


def render_step(
    plan: Plan, run: RunState, steps: Mapping[str, StepState], input_: Mapping[str, JsonValue], step: StepState
) -> Rendered:
    """The step's inputs and config with every template rendered; raises ExpressionError naming the field."""
    plan_node = plan.nodes[step.node_id]
    context = {**step_context(run, steps, input_, step), **plan_node.node.template_names()}
    inputs = {
        name: render_deep(value, context, f"inputs.{name}", plan.templates)
        for name, value in plan_node.node.inputs.items()
    }
    config: dict[str, JsonValue] = dict(plan_node.config_json)
    if plan_node.config_templates:
        config = _copy_json(config)  # type: ignore[assignment]  # a dict's copy is a dict
        config_context = {**context, "inputs": inputs}
        for path, template in plan_node.config_templates:
            set_path(config, path, render_deep(template, config_context, f"config.{path}", plan.templates))
    return Rendered(context, inputs, config)


def build_dispatch(
    plan: Plan,
    run: RunState,
    steps: Mapping[str, StepState],
    input_: Mapping[str, JsonValue],
    step: StepState,
    attempt: int,
    now: datetime,
) -> DispatchStep:
    """Raises ExpressionError (with the field) when an input or config template fails.

    The handler of a kind that waits for a person gets the values the person submitted as its inputs (its own
    inputs were shown with the form).
    """
    node = plan.nodes[step.node_id].node
    rendered = render_step(plan, run, steps, input_, step)
    context, inputs, config = rendered.context, rendered.inputs, rendered.config
    if node.needs.waits_for_person:
        inputs = dict(step.answer) if isinstance(step.answer, dict) else {}
    key = None
    if node.idempotency_key is not None and step.feedback is None:  # a revision must run, not reuse a result
        key = str(render(node.idempotency_key, context, "idempotency_key", plan.templates))
    return DispatchStep(
        run_id=run.run_id,
        pipeline=run.pipeline,
        run_number=run.number,
        step=step.key,
        node_id=node.id,
        kind=node.kind,
        attempt=attempt,
        item_index=step.item_index,
        inputs=inputs,
        config=config,
        idempotency_key=key,
        code_hash=node.pinned_code_hash(),
        timeout=node.timeout,
        heartbeat_timeout=node.heartbeat_timeout,
        credentials=list(node.credentials),
        first_queued_at=step.first_queued_at or now,
        queued_at=now,
        feedback=step.feedback,
        extends=run.extends,
        queue=node.queue,
        successors=[_successor(plan, s) for s in plan.nodes[step.node_id].successors],
    )


def _successor(plan: Plan, node_id: str) -> Successor:
    node = plan.nodes[node_id].node
    return Successor(id=node_id, name=node.name, description=node.description)
