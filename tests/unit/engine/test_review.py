"""Review policies and human nodes in the pure core: tasks open, people answer, steps move on (or do not)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from tests.unit.engine.driver import T0, Driver, edge, node, plan_of, statuses

from lockgate.engine import (
    CloseHumanTask,
    DispatchStep,
    HumanTaskAnswered,
    KeepAttempt,
    NotifyDeadline,
    OpenHumanTask,
    RunCancelled,
    RunPaused,
    RunResumed,
    RunStatus,
    StartTimer,
    StepRetryRequested,
    StepStatus,
    StepSucceeded,
    TaskAction,
    TaskOutcome,
    TaskPurpose,
    TimerPurpose,
    initial_state,
    pending_timers,
    replay,
    task_id,
)
from lockgate.errors import TaskAnswerError, TaskClosedError

APPROVE, REVISE, REJECT, SUBMIT = TaskAction.APPROVE, TaskAction.REVISE, TaskAction.REJECT, TaskAction.SUBMIT


def reviewed(**review: Any) -> Driver:
    plan = plan_of(
        [node("a"), node("draft", inputs={"topic": "x"}, review={"approve_complete": True, **review}), node("b")],
        [edge("a", "draft"), edge("draft", "b")],
    )
    driver = Driver.start(plan)
    driver.succeed("a", "material")
    return driver


def closes(driver: Driver) -> list[CloseHumanTask]:
    return [c for c in driver.commands if isinstance(c, CloseHumanTask)]


def opens(driver: Driver) -> list[OpenHumanTask]:
    return [c for c in driver.commands if isinstance(c, OpenHumanTask)]


def test_a_finished_attempt_waits_for_approval_and_nothing_runs_meanwhile() -> None:
    driver = reviewed()
    transition = driver.succeed("draft", {"text": "v1"})
    step = transition.state.steps["draft"]
    assert step.status is StepStatus.WAITING and step.waiting is TaskPurpose.APPROVE_COMPLETE
    assert step.output == {"text": "v1"}  # the reviewer sees it
    (task,) = [c for c in transition.commands if isinstance(c, OpenHumanTask)]
    assert not any(isinstance(c, DispatchStep) for c in transition.commands)
    assert task.purpose is TaskPurpose.APPROVE_COMPLETE and task.attempt == 1 and task.number == 1
    assert task.actions == [APPROVE, REVISE, REJECT] and task.context == {"topic": "x"}
    assert task.task == step.task == task_id("r1", "draft", 1)
    assert transition.state.status is RunStatus.RUNNING and "b" not in transition.state.steps
    done = driver.answer("draft", APPROVE, feedback="fine")
    assert done.state.steps["draft"].status is StepStatus.SUCCEEDED
    assert [c.step for c in done.commands if isinstance(c, DispatchStep)] == ["b"]
    (closed,) = closes(driver)
    assert (closed.outcome, closed.by, closed.feedback) == (TaskOutcome.APPROVED, "ann", "fine")
    driver.succeed("b")
    assert driver.state.status is RunStatus.SUCCEEDED


def test_revisions_run_again_with_the_feedback_until_none_are_left() -> None:
    driver = reviewed(max_revisions=2)
    for attempt in (1, 2):
        driver.succeed("draft", {"text": f"v{attempt}"})
        transition = driver.answer("draft", REVISE, feedback=f"better {attempt}")
        (keep,) = [c for c in transition.commands if isinstance(c, KeepAttempt)]
        assert keep.attempt == attempt and keep.moves == [("runs/v1/draft", f"runs/v1/.attempts/draft/{attempt}")]
        (again,) = [c for c in transition.commands if isinstance(c, DispatchStep)]
        assert again.attempt == attempt + 1 and again.feedback == f"better {attempt}"
        assert transition.state.steps["draft"].revisions == attempt
    driver.succeed("draft", {"text": "v3"})
    assert driver.tasks["draft"].actions == [APPROVE, REJECT]  # no revision left
    before = driver.state
    with pytest.raises(TaskAnswerError, match="no revisions are left"):
        driver.answer("draft", REVISE, feedback="once more")
    driver.state = before
    driver.answer("draft", APPROVE)
    assert driver.state.steps["draft"].output == {"text": "v3"} and driver.state.steps["draft"].attempt == 3
    assert [c.outcome for c in closes(driver)] == [TaskOutcome.REVISION_REQUESTED] * 2 + [TaskOutcome.APPROVED]
    assert len({o.task for o in opens(driver)}) == 3  # one task per attempt under review


def test_a_revision_needs_feedback() -> None:
    driver = reviewed()
    driver.succeed("draft", 1)
    with pytest.raises(TaskAnswerError, match="needs feedback"):
        driver.answer("draft", REVISE, feedback="  ")


def test_answering_a_closed_task_or_with_the_wrong_answer_is_refused() -> None:
    driver = reviewed()
    driver.succeed("draft", 1)
    task = driver.tasks["draft"].task
    takes = r"it reviews the step's output \(approve_complete\)\. It takes approve, revise or reject; it has no form"
    with pytest.raises(TaskAnswerError, match=takes):
        driver.answer("draft", SUBMIT, values={})
    driver.answer("draft", APPROVE)
    again = HumanTaskAnswered(task=task, step="draft", action=APPROVE, by="bob")
    with pytest.raises(TaskClosedError):
        driver.send(again)
    with pytest.raises(TaskClosedError):
        driver.send(HumanTaskAnswered(task="nope", step="b", action=APPROVE))


def test_a_rejection_fails_the_step_and_on_error_decides() -> None:
    driver = reviewed()
    driver.succeed("draft", 1)
    driver.answer("draft", REJECT, by="bob", feedback="off topic")
    step = driver.state.steps["draft"]
    assert step.status is StepStatus.FAILED and step.error is not None
    assert step.error.kind == "rejected" and step.error.message == "rejected by bob: off topic"
    assert driver.state.status is RunStatus.FAILED

    plan = plan_of(
        [node("x", on_error="branch", review={"approve_complete": True}), node("ok"), node("rework")],
        [edge("x", "ok"), edge("x", "rework", branch="error")],
    )
    routed = Driver.start(plan)
    routed.succeed("x", 1)
    routed.answer("x", REJECT)
    routed.run()
    assert statuses(routed.state) == {"x": "failed", "ok": "skipped", "rework": "succeeded"}
    assert routed.state.status is RunStatus.SUCCEEDED


def test_approval_to_start_comes_before_the_first_dispatch() -> None:
    plan = plan_of([node("a", review={"approve_start": True, "assignees": ["role:editor"]})])
    driver = Driver.start(plan)
    assert driver.dispatches() == [] and driver.status("a") is StepStatus.WAITING
    task = driver.tasks["a"]
    assert task.purpose is TaskPurpose.APPROVE_START and task.assignees == ["role:editor"] and task.attempt == 0
    transition = driver.answer("a", APPROVE)
    assert [(c.step, c.attempt) for c in transition.commands if isinstance(c, DispatchStep)] == [("a", 1)]
    driver.fail("a")
    driver.send(StepRetryRequested(step="a"))  # a person asked for it: approved once is enough
    assert driver.status("a") is StepStatus.QUEUED


def test_a_rejected_start_fails_and_a_retry_asks_again() -> None:
    plan = plan_of([node("a", review={"approve_start": True})])
    driver = Driver.start(plan)
    driver.answer("a", REJECT)
    assert driver.state.status is RunStatus.FAILED and driver.state.steps["a"].attempt == 0
    driver.send(StepRetryRequested(step="a"))
    assert driver.status("a") is StepStatus.WAITING and driver.tasks["a"].number == 2


def form_plan(**review: Any) -> Driver:
    fields = [{"name": "headline", "required": True, "default": "{{ nodes.a.output }}"},
              {"name": "count", "type": "integer", "default": 2}]  # fmt: skip
    human = node("ask", "human", inputs={"draft": "{{ nodes.a.output }}"},
                 config={"title": "Check {{ nodes.a.output }}", "fields": fields}, **review)  # fmt: skip
    driver = Driver.start(plan_of([node("a"), human, node("b")], [edge("a", "ask"), edge("ask", "b")]))
    driver.succeed("a", "Hello")
    return driver


def test_a_human_node_opens_its_form_then_records_the_submitted_values() -> None:
    driver = form_plan()
    task = driver.tasks["ask"]
    assert task.purpose is TaskPurpose.FORM and task.title == "Check Hello" and task.context == {"draft": "Hello"}
    assert task.form is not None and task.form[0]["default"] == "Hello" and task.actions == [SUBMIT, REJECT]
    assert driver.dispatches("ask") == []
    transition = driver.answer("ask", SUBMIT, values={"headline": "Hi", "count": 3})
    (command,) = [c for c in transition.commands if isinstance(c, DispatchStep)]
    assert command.kind == "human" and command.inputs == {"headline": "Hi", "count": 3}
    driver.succeed("ask", {"headline": "Hi", "count": 3})
    driver.run()
    assert driver.state.status is RunStatus.SUCCEEDED
    assert driver.state.steps["ask"].output == {"headline": "Hi", "count": 3}


def test_a_reviewed_form_sent_back_opens_again_with_its_values_and_the_feedback() -> None:
    driver = form_plan(review={"approve_complete": True})
    driver.answer("ask", SUBMIT, values={"headline": "Hi", "count": 3})
    driver.succeed("ask", {"headline": "Hi", "count": 3})
    transition = driver.answer("ask", REVISE, feedback="a longer headline")
    assert not any(isinstance(c, DispatchStep) for c in transition.commands)
    again = driver.tasks["ask"]
    assert again.purpose is TaskPurpose.FORM and again.feedback == "a longer headline"
    assert again.values == {"headline": "Hi", "count": 3} and again.revisions == 1


def test_a_deadline_rejects_approves_or_notifies() -> None:
    driver = reviewed(deadline="1h")
    driver.succeed("draft", 1)
    (timer,) = [t for t in driver.timers if t.purpose is TimerPurpose.DEADLINE]
    assert timer.fire_at == driver.tasks["draft"].opened_at + timedelta(hours=1)
    driver.fire_next_timer()
    step = driver.state.steps["draft"]
    assert step.status is StepStatus.FAILED and step.error is not None and step.error.kind == "rejected"
    assert closes(driver)[-1].by == "deadline"

    approving = reviewed(deadline="10m", on_deadline="approve")
    approving.succeed("draft", 1)
    approving.fire_next_timer()
    assert approving.status("draft") is StepStatus.SUCCEEDED

    notifying = reviewed(deadline="10m", on_deadline="notify", notify_url="http://127.0.0.1:9/hook")
    notifying.succeed("draft", 1)
    transition = notifying.fire_next_timer()
    assert transition is not None
    (notice,) = [c for c in transition.commands if isinstance(c, NotifyDeadline)]
    assert notice.url == "http://127.0.0.1:9/hook" and notifying.status("draft") is StepStatus.WAITING


def test_a_deadline_fills_a_form_with_its_defaults() -> None:
    driver = form_plan(review={"deadline": "5m", "on_deadline": "approve"})
    driver.fire_next_timer()
    (command,) = driver.dispatches("ask")
    assert command.inputs == {"headline": "Hello", "count": 2}


def test_a_deadline_of_an_answered_task_changes_nothing() -> None:
    driver = reviewed(deadline="1h")
    driver.succeed("draft", 1)
    driver.answer("draft", REVISE, feedback="again")
    driver.succeed("draft", 2)  # a new task, with its own deadline
    first = min(driver.timers, key=lambda t: t.attempt)
    assert first.attempt == 1
    driver.timers.remove(first)
    transition = driver.send(driver_timer(first))
    assert transition.commands == () and driver.status("draft") is StepStatus.WAITING


def driver_timer(timer: StartTimer) -> Any:
    from lockgate.engine import TimerFired

    return TimerFired(step=timer.step, attempt=timer.attempt, purpose=timer.purpose)


def test_cancelling_a_waiting_run_closes_its_task() -> None:
    driver = reviewed()
    driver.succeed("draft", 1)
    driver.send(RunCancelled(by="bob"))
    assert closes(driver)[-1].outcome is TaskOutcome.CANCELLED
    assert driver.status("draft") is StepStatus.CANCELLED


def test_an_answer_while_paused_holds_the_next_step_until_resumed() -> None:
    driver = reviewed()
    driver.succeed("draft", 1)
    driver.send(RunPaused())
    transition = driver.answer("draft", APPROVE)
    assert not any(isinstance(c, DispatchStep) for c in transition.commands)
    assert driver.state.steps["b"].held
    resumed = driver.send(RunResumed())
    assert [c.step for c in resumed.commands if isinstance(c, DispatchStep)] == ["b"]


def test_a_waiting_run_replays_to_the_same_state_and_recovers_its_deadline() -> None:
    driver = reviewed(deadline="2h")
    driver.succeed("draft", 1)
    plan, state = driver.plan, driver.state
    start = initial_state("r1", plan.name, 1, len(plan.nodes))
    assert replay(plan, start, driver.log) == state
    (timer,) = pending_timers(plan, state)
    assert timer.purpose is TimerPurpose.DEADLINE and timer.attempt == 1
    assert timer.fire_at == state.steps["draft"].task_opened_at + timedelta(hours=2)  # type: ignore[operator]
    assert state.steps["draft"].task_opened_at is not None and state.steps["draft"].task_opened_at > T0


def test_items_of_a_map_are_reviewed_one_by_one() -> None:
    plan = plan_of([node("fan", for_each="{{ [1, 2] }}", review={"approve_complete": True})])
    driver = Driver.start(plan)
    driver.succeed("fan[0]", "x")
    driver.succeed("fan[1]", "y")
    assert set(driver.tasks) == {"fan[0]", "fan[1]"}
    driver.answer("fan[1]", APPROVE)
    driver.answer("fan[0]", REVISE, feedback="again")
    driver.succeed("fan[0]", "x2")
    driver.answer("fan[0]", APPROVE)
    assert driver.state.status is RunStatus.SUCCEEDED and driver.state.output == {"fan": ["x2", "y"]}


def test_a_revision_runs_again_even_with_an_idempotency_key() -> None:
    plan = plan_of([node("draft", idempotency_key="{{ run.id }}-draft", review={"approve_complete": True})])
    driver = Driver.start(plan)
    first = driver.take("draft")
    assert first.idempotency_key == "r1-draft"
    driver.send(StepSucceeded(step="draft", attempt=first.attempt, output=1))
    driver.answer("draft", REVISE, feedback="again")
    again = driver.take("draft")
    assert again.idempotency_key is None and again.feedback == "again"


def test_a_retried_form_opens_again_from_scratch() -> None:
    driver = form_plan(review={"approve_complete": True, "max_revisions": 1})
    driver.answer("ask", SUBMIT, values={"headline": "Hi"})
    driver.succeed("ask", {"headline": "Hi"})
    driver.answer("ask", REVISE, feedback="longer")
    driver.answer("ask", REJECT, by="bob")
    driver.send(StepRetryRequested(step="ask", by="ann"))
    task = driver.tasks["ask"]
    assert task.purpose is TaskPurpose.FORM and task.feedback is None and task.revisions == 0
    assert driver.state.steps["ask"].answer is None
