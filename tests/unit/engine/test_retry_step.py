"""StepRetryRequested: a failed step runs again; a failed run reopens; what it blocked becomes ready again."""

from __future__ import annotations

import pytest
from tests.unit.engine.driver import Driver, edge, node, plan_of, statuses

from lockgate.engine import (
    DispatchStep,
    RunCancelled,
    RunPaused,
    RunResumed,
    RunStatus,
    StepRetryRequested,
    StepStatus,
)
from lockgate.errors import InvalidTransitionError


def chain_with_sibling() -> Driver:
    plan = plan_of(
        [node("root"), node("x", retry={"max_attempts": 1}), node("after"), node("end"), node("sib")],
        [edge("root", "x"), edge("x", "after"), edge("after", "end"), edge("root", "sib")],
    )
    driver = Driver.start(plan)
    driver.succeed("root")
    driver.fail("x")
    return driver


def test_retry_reopens_a_failed_run_and_finishes_it() -> None:
    driver = chain_with_sibling()
    assert driver.state.status is RunStatus.FAILED
    assert statuses(driver.state) == {"root": "succeeded", "x": "failed", "sib": "cancelled"}
    transition = driver.send(StepRetryRequested(step="x", by="ann"))
    state = transition.state
    assert state.status is RunStatus.RUNNING
    assert state.error is None and state.finished_at is None
    assert state.steps["x"].status is StepStatus.QUEUED and state.steps["x"].attempt == 2
    assert state.steps["x"].failures == 0 and state.steps["x"].error is None
    dispatched = {(c.step, c.attempt) for c in transition.commands if isinstance(c, DispatchStep)}
    assert dispatched == {("x", 2), ("sib", 2)}  # the sibling the failure cancelled is ready again
    assert state.unfinished == 4  # x, sib, after, end
    final = driver.run()
    assert final.status is RunStatus.SUCCEEDED
    assert set(statuses(final).values()) == {"succeeded"}


def test_retry_that_fails_again_fails_the_run_again() -> None:
    driver = chain_with_sibling()
    driver.send(StepRetryRequested(step="x"))
    driver.succeed("sib")
    driver.fail("x")
    assert driver.state.status is RunStatus.FAILED
    assert driver.state.steps["x"].attempt == 2


def test_retry_under_on_error_continue_resets_skipped_successors() -> None:
    plan = plan_of(
        [node("x", on_error="continue", retry={"max_attempts": 1}), node("ok"), node("handle")],
        [edge("x", "ok", when="{{ nodes.x.status == 'succeeded' }}"), edge("x", "handle")],
    )
    driver = Driver.start(plan)
    driver.fail("x")
    assert driver.status("ok") is StepStatus.SKIPPED
    driver.succeed("handle")
    assert driver.state.status is RunStatus.SUCCEEDED
    with pytest.raises(InvalidTransitionError):  # the run succeeded: nothing to retry into
        driver.send(StepRetryRequested(step="x"))


def test_retry_while_running_keeps_counts_right() -> None:
    plan = plan_of(
        [node("x", on_error="continue", retry={"max_attempts": 1}), node("slow", start=True), node("ok"), node("end")],
        [edge("x", "ok", when="{{ nodes.x.status == 'succeeded' }}"), edge("ok", "end")],
    )
    driver = Driver.start(plan)
    driver.fail("x")
    assert statuses(driver.state) == {"x": "failed", "slow": "queued", "ok": "skipped", "end": "skipped"}
    assert driver.state.unfinished == 1
    transition = driver.send(StepRetryRequested(step="x"))
    assert transition.state.status is RunStatus.RUNNING
    assert statuses(transition.state) == {"x": "queued", "slow": "queued", "ok": "pending", "end": "pending"}
    assert transition.state.unfinished == 4
    final = driver.run()
    assert final.status is RunStatus.SUCCEEDED
    assert statuses(final) == {"x": "succeeded", "slow": "succeeded", "ok": "succeeded", "end": "succeeded"}


def test_retry_while_paused_holds_the_step_until_resume() -> None:
    plan = plan_of([node("x", on_error="continue", retry={"max_attempts": 1}), node("slow")])
    driver = Driver.start(plan)
    driver.fail("x")
    driver.send(RunPaused())
    transition = driver.send(StepRetryRequested(step="x"))
    assert not [c for c in transition.commands if isinstance(c, DispatchStep)]
    assert driver.state.steps["x"].held
    resumed = driver.send(RunResumed())
    assert [(c.step, c.attempt) for c in resumed.commands if isinstance(c, DispatchStep)] == [("x", 2)]
    assert driver.run().status is RunStatus.SUCCEEDED


@pytest.mark.parametrize("step", ["root", "sib", "nope"])
def test_retry_of_a_step_that_did_not_fail_is_refused(step: str) -> None:
    plan = plan_of([node("root"), node("sib")], [edge("root", "sib")])
    driver = Driver.start(plan)
    driver.succeed("root")
    before = driver.state
    with pytest.raises(InvalidTransitionError):
        driver.send(StepRetryRequested(step=step))
    assert driver.state is before


def test_retry_after_cancel_is_refused() -> None:
    driver = chain_with_sibling()
    driver.send(StepRetryRequested(step="x"))
    driver.send(RunCancelled(reason="stop"))
    with pytest.raises(InvalidTransitionError):
        driver.send(StepRetryRequested(step="x"))


def test_map_items_are_not_retried_one_by_one() -> None:
    plan = plan_of([node("m", for_each="{{ [1, 2] }}", on_error="continue", retry={"max_attempts": 1})])
    driver = Driver.start(plan)
    driver.fail("m[0]")
    with pytest.raises(InvalidTransitionError):
        driver.send(StepRetryRequested(step="m[0]"))
