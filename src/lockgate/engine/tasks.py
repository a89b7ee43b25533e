"""Human tasks: a step waits for a person. The engine derives task ids (it makes none) and renders what is shown."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from lockgate.engine.commands import CloseHumanTask, OpenHumanTask, StartTimer, TaskOutcome
from lockgate.engine.dispatching import render_step
from lockgate.engine.events import TaskAction, TimerPurpose
from lockgate.engine.state import StepState, StepStatus, TaskPurpose
from lockgate.expressions import render

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pydantic import JsonValue

    from lockgate.engine.draft import Draft
    from lockgate.spec.nodes import Node

__all__ = ["actions_for", "close_task", "needs_start_approval", "open_task", "refused_answer", "task_id"]


def task_id(run_id: str, step_key: str, number: int) -> str:
    """The same on every replay and in every process: the run, the step and the task's number in it."""
    return hashlib.sha256(f"{run_id}/{step_key}/{number}".encode()).hexdigest()[:32]


def needs_start_approval(node: Node, step: StepState) -> bool:
    return node.review is not None and node.review.approve_start and not step.start_approved


def actions_for(node: Node, step: StepState, purpose: TaskPurpose) -> list[TaskAction]:
    if purpose is TaskPurpose.FORM:
        return [TaskAction.SUBMIT, TaskAction.REJECT]
    if purpose is TaskPurpose.APPROVE_START:
        return [TaskAction.APPROVE, TaskAction.REJECT]
    limit = node.review.max_revisions if node.review is not None else 0
    if step.revisions < limit:
        return [TaskAction.APPROVE, TaskAction.REVISE, TaskAction.REJECT]
    return [TaskAction.APPROVE, TaskAction.REJECT]


_ASKS = {
    TaskPurpose.APPROVE_START: "it asks whether the step may start",
    TaskPurpose.APPROVE_COMPLETE: "it reviews the step's output",
    TaskPurpose.FORM: "it is a form to fill in",
}


def _one_of(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def refused_answer(
    task: str, action: TaskAction, purpose: TaskPurpose, allowed: Sequence[str], fields: Sequence[str] = ()
) -> str:
    """Why ``task`` does not take ``action``, naming what it takes (and the form's fields, or that it has none)."""
    no_revisions = action is TaskAction.REVISE and purpose is TaskPurpose.APPROVE_COMPLETE
    why = "no revisions are left" if no_revisions else f"{_ASKS[purpose]} ({purpose.value})"
    takes = [f"submit (fields: {', '.join(fields)})" if a == "submit" and fields else a for a in allowed]
    form = "; it has no form" if action is TaskAction.SUBMIT and purpose is not TaskPurpose.FORM else ""
    return f"{action.value} is not an answer to task {task}: {why}. It takes {_one_of(takes)}{form}"


def _title(node: Node, config: dict[str, JsonValue], step: StepState, purpose: TaskPurpose) -> str:
    label = node.name or step.key
    if purpose is TaskPurpose.FORM:
        title = config.get("title")
        return str(title) if title else f"Fill in {label}"
    if purpose is TaskPurpose.APPROVE_START:
        return f"Approve the start of {label}"
    return f"Review {label} (attempt {step.attempt})"


def open_task(d: Draft, step: StepState, purpose: TaskPurpose) -> StepState:
    """The step waits for a person; raises ExpressionError when what the task shows cannot be rendered."""
    node = d.node(step.node_id).node
    review = node.review
    rendered = render_step(d.plan, d.base, d.steps, d.input, step)
    instructions = rendered.config.get("instructions") if purpose is TaskPurpose.FORM else None
    if not instructions and review is not None and review.instructions is not None:
        instructions = render(review.instructions, rendered.context, "review.instructions", d.plan.templates)
    number = step.tasks_opened + 1
    task = task_id(d.base.run_id, step.key, number)
    deadline_at = d.now + review.deadline if review is not None and review.deadline is not None else None
    form = rendered.config.get("fields") if purpose is TaskPurpose.FORM else None
    previous = step.output if purpose is TaskPurpose.FORM and step.revisions and isinstance(step.output, dict) else None
    d.commands.append(
        OpenHumanTask(
            run_id=d.base.run_id, task=task, step=step.key, node_id=step.node_id, item_index=step.item_index,
            attempt=step.attempt, number=number, purpose=purpose, title=_title(node, rendered.config, step, purpose),
            instructions=str(instructions) if instructions else None, context=rendered.inputs,
            form=form if isinstance(form, list) else None,  # type: ignore[arg-type]  # dicts, as the config dumped them
            values=previous, feedback=step.feedback if purpose is TaskPurpose.FORM else None,
            actions=actions_for(node, step, purpose), revisions=step.revisions,
            max_revisions=review.max_revisions if review is not None else 0,
            assignees=list(review.assignees) if review is not None else [], opened_at=d.now, deadline_at=deadline_at,
        )
    )  # fmt: skip
    if deadline_at is not None:
        d.commands.append(StartTimer(run_id=d.base.run_id, step=step.key, attempt=number,
                                     purpose=TimerPurpose.DEADLINE, fire_at=deadline_at))  # fmt: skip
    return d.update(step, status=StepStatus.WAITING, waiting=purpose, task=task, tasks_opened=number,
                    task_opened_at=d.now, notified=False, notify_sent=0, notify_next_at=None,
                    held=False)  # fmt: skip


def close_task(
    d: Draft,
    step: StepState,
    outcome: TaskOutcome,
    by: str | None = None,
    values: dict[str, JsonValue] | None = None,
    feedback: str | None = None,
) -> StepState:
    """Record the end of the step's open task; the caller moves the step on."""
    if step.task is not None:
        d.commands.append(CloseHumanTask(run_id=d.base.run_id, task=step.task, step=step.key, attempt=step.attempt,
                                         outcome=outcome, by=by, values=values, feedback=feedback))  # fmt: skip
    return d.update(step, waiting=None, task=None, task_opened_at=None, notified=False, notify_sent=0,
                    notify_next_at=None)  # fmt: skip
