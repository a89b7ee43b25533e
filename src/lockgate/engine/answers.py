"""A person answers a human task (or its deadline does): approve, submit, revise or reject."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockgate.engine.commands import OUTCOME_OF, KeepAttempt
from lockgate.engine.dispatching import render_step
from lockgate.engine.events import HumanTaskAnswered, TaskAction, TimerFired
from lockgate.engine.notify import start_notifying
from lockgate.engine.paths import attempt_folder, run_folder, step_folder
from lockgate.engine.state import ErrorInfo, StepState, StepStatus, TaskPurpose
from lockgate.engine.tasks import actions_for, close_task, refused_answer
from lockgate.engine.transitions import dispatch, fail_final, on_success, start_node
from lockgate.errors import TaskAnswerError, TaskClosedError
from lockgate.expressions import ExpressionError
from lockgate.spec.policies import DeadlineAction

if TYPE_CHECKING:
    from pydantic import JsonValue

    from lockgate.engine.draft import Draft

__all__ = ["deadline_fired", "task_answered"]

DEADLINE = "deadline"  # ``by`` of an answer its deadline gave


def task_answered(d: Draft, event: HumanTaskAnswered) -> None:
    """Raises TaskClosedError when the task is not the step's open one, TaskAnswerError for a refused answer."""
    step = d.steps.get(event.step)
    if not d.live or step is None or step.status is not StepStatus.WAITING or step.task != event.task:
        raise TaskClosedError(event.task)
    assert step.waiting is not None  # noqa: S101 - a waiting step always says what for
    allowed = actions_for(d.node(step.node_id).node, step, step.waiting)
    if event.action not in allowed:
        raise TaskAnswerError(refused_answer(event.task, event.action, step.waiting, [a.value for a in allowed]))
    if event.action is TaskAction.REVISE and not (event.feedback or "").strip():
        raise TaskAnswerError("a revision request needs feedback: what should change")
    answer(d, step, event.action, event.by, event.values, event.feedback)


def answer(
    d: Draft,
    step: StepState,
    action: TaskAction,
    by: str | None,
    values: dict[str, JsonValue] | None,
    feedback: str | None,
) -> None:
    purpose = step.waiting
    step = close_task(d, step, OUTCOME_OF[action], by, values, feedback)
    if action is TaskAction.REJECT:
        message = f"rejected by {by or 'someone'}" + (f": {feedback}" if feedback else "")
        fail_final(d, step, ErrorInfo(kind="rejected", message=message))
    elif action is TaskAction.APPROVE and purpose is TaskPurpose.APPROVE_START:
        step = d.update(step, start_approved=True)
        if step.item_index is None:
            start_node(d, step.key)
        else:
            dispatch(d, step)
    elif action is TaskAction.APPROVE:
        on_success(d, step, step.output, list(step.next) if step.next is not None else None,
                   list(step.branches) if step.branches is not None else None)  # fmt: skip
    elif action is TaskAction.SUBMIT:
        dispatch(d, d.update(step, answer=values or {}))
    else:
        _revise(d, step, feedback)


def _revise(d: Draft, step: StepState, feedback: str | None) -> None:
    """Keep the reviewed attempt's artifacts aside, then run the step again with the feedback in its context."""
    number = d.base.number
    source = f"{run_folder(number)}/{step_folder(step.key)}"
    d.commands.append(KeepAttempt(run_id=d.base.run_id, pipeline=d.base.pipeline, run_number=number, step=step.key,
                                  attempt=step.attempt,
                                  moves=[(source, attempt_folder(number, step.key, step.attempt))]))  # fmt: skip
    # A human node's form opens again (its previous values shown); any other kind dispatches a new attempt.
    dispatch(d, d.update(step, revisions=step.revisions + 1, feedback=feedback, answer=None))


def _defaults(d: Draft, step: StepState) -> dict[str, JsonValue]:
    try:
        fields = render_step(d.plan, d.base, d.steps, d.input, step).config.get("fields")
    except ExpressionError:
        return {}
    if not isinstance(fields, list):
        return {}
    return {str(f["name"]): f.get("default") for f in fields if isinstance(f, dict) and f.get("default") is not None}


def deadline_fired(d: Draft, event: TimerFired) -> None:
    step = d.steps.get(event.step)
    if not d.live or step is None or step.status is not StepStatus.WAITING or step.tasks_opened != event.attempt:
        return  # answered before its deadline, or a task that is gone
    review = d.node(step.node_id).node.review
    if review is None or review.deadline is None or step.task is None or step.task_opened_at is None:
        return
    if review.on_deadline is DeadlineAction.NOTIFY:
        start_notifying(d, step, review)
        return
    note = f"the deadline of {review.deadline} passed"
    if review.on_deadline is DeadlineAction.REJECT:
        answer(d, step, TaskAction.REJECT, DEADLINE, None, note)
    elif step.waiting is TaskPurpose.FORM:
        answer(d, step, TaskAction.SUBMIT, DEADLINE, _defaults(d, step), note)
    else:
        answer(d, step, TaskAction.APPROVE, DEADLINE, None, note)
