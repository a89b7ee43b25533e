"""on_error, pause/resume/cancel, expression errors, run output and duplicate delivery."""

from __future__ import annotations

import pytest
from tests.unit.engine.driver import Driver, edge, node, plan_of, statuses

from lockgate.engine import (
    CancelStep,
    DispatchStep,
    ExpressionTimedOut,
    RunCancelled,
    RunFinished,
    RunPaused,
    RunResumed,
    RunStatus,
    StepLost,
    StepStatus,
    StepSucceeded,
    initial_state,
    replay,
)
from lockgate.errors import InvalidTransitionError
from lockgate.expressions import template_digest


def test_on_error_continue_runs_successors_which_see_the_failure() -> None:
    plan = plan_of(
        [
            node("x", on_error="continue"),
            node("after", inputs={"status": "{{ nodes.x.status }}", "kind": "{{ nodes.x.error.kind }}"}),
        ],
        [edge("x", "after")],
    )
    driver = Driver.start(plan)
    driver.fail("x", "quota")
    assert driver.inflight["after"].inputs == {"status": "failed", "kind": "quota"}
    state = driver.run()
    assert state.status is RunStatus.SUCCEEDED
    assert state.steps["x"].status is StepStatus.FAILED


def test_on_error_branch_takes_the_error_edge_and_not_the_normal_ones() -> None:
    plan = plan_of(
        [node("x", on_error="branch"), node("ok"), node("handle")],
        [edge("x", "ok"), edge("x", "handle", branch="error")],
    )
    driver = Driver.start(plan)
    driver.fail("x")
    state = driver.run()
    assert statuses(state) == {"x": "failed", "ok": "skipped", "handle": "succeeded"}
    assert state.status is RunStatus.SUCCEEDED


def test_on_error_branch_success_skips_the_error_edge() -> None:
    plan = plan_of(
        [node("x", on_error="branch"), node("ok"), node("handle")],
        [edge("x", "ok"), edge("x", "handle", branch="error")],
    )
    state = Driver.start(plan).run()
    assert statuses(state) == {"x": "succeeded", "ok": "succeeded", "handle": "skipped"}


def test_on_error_fail_fails_the_run_and_cancels_running_siblings() -> None:
    plan = plan_of(
        [node("root"), node("x"), node("sib"), node("m", for_each="{{ [1, 2] }}")],
        [edge("root", "x"), edge("root", "sib"), edge("root", "m")],
    )
    driver = Driver.start(plan)
    driver.succeed("root")
    sib, item = driver.inflight["sib"], driver.inflight["m[0]"]
    transition = driver.fail("x", "boom")
    cancels = {(c.step, c.attempt) for c in transition.commands if isinstance(c, CancelStep)}
    assert cancels == {("sib", 1), ("m[0]", 1), ("m[1]", 1)}
    assert [c for c in transition.commands if isinstance(c, RunFinished)] == [
        RunFinished(run_id="r1", status=RunStatus.FAILED)
    ]
    state = driver.state
    assert state.status is RunStatus.FAILED
    assert state.error is not None and state.error.kind == "boom" and "'x'" in state.error.message
    assert {state.steps[k].status for k in ("sib", "m", "m[0]")} == {StepStatus.CANCELLED}
    for late in (sib, item):
        after = driver.send(StepSucceeded(step=late.step, attempt=late.attempt, output="late"))
        assert after.commands == ()
    assert driver.state.steps["sib"].status is StepStatus.CANCELLED


def test_pause_holds_new_dispatches_and_resume_sends_them_exactly_once() -> None:
    plan = plan_of([node("a"), node("b"), node("c"), node("d")], [edge("a", "c"), edge("b", "d")])
    driver = Driver.start(plan)
    driver.send(RunPaused())
    driver.succeed("a")  # a running step may finish while paused
    assert driver.state.steps["c"].held and "c" not in driver.inflight
    driver.succeed("b")
    assert driver.dispatched_steps() == ["a", "b"]
    transition = driver.send(RunResumed())
    assert sorted(c.step for c in transition.commands if isinstance(c, DispatchStep)) == ["c", "d"]
    driver.send(RunPaused())
    driver.send(RunResumed())
    assert driver.dispatched_steps().count("c") == 1
    assert driver.run().status is RunStatus.SUCCEEDED


def test_a_retry_due_while_paused_waits_for_resume() -> None:
    driver = Driver.start(plan_of([node("a", retry={"max_attempts": 2})]))
    driver.fail("a", retryable=True)
    driver.send(RunPaused())
    assert driver.fire_next_timer() is not None and not driver.inflight
    driver.send(RunResumed())
    assert driver.inflight["a"].attempt == 2
    assert len(driver.dispatches("a")) == 2


def test_pause_stops_launching_map_items_and_resume_goes_on() -> None:
    driver = Driver.start(plan_of([node("m", for_each="{{ [1, 2, 3] }}", max_parallel=1)]))
    driver.send(RunPaused())
    driver.succeed("m[0]")
    assert not driver.inflight
    driver.send(RunResumed())
    assert list(driver.inflight) == ["m[1]"]
    assert driver.run().steps["m"].output == [None, None, None]


def test_a_map_item_lost_or_due_for_retry_while_paused_is_dispatched_on_resume() -> None:
    driver = Driver.start(plan_of([node("m", for_each="{{ [1, 2] }}", retry={"max_attempts": 2})]))
    driver.fail("m[0]", retryable=True)
    driver.send(RunPaused())
    driver.lost("m[1]")
    driver.fire_next_timer()
    assert not driver.inflight
    assert {driver.state.steps[k].held for k in ("m[0]", "m[1]")} == {True}
    driver.send(RunResumed())
    assert {k: d.attempt for k, d in driver.inflight.items()} == {"m[0]": 2, "m[1]": 2}
    assert driver.run().status is RunStatus.SUCCEEDED


def test_cancel_stops_every_active_step_and_finishes_the_run_once() -> None:
    plan = plan_of([node("a"), node("b", retry={"max_attempts": 3}, start=True), node("c")], [edge("a", "c")])
    driver = Driver.start(plan)
    driver.fail("b", retryable=True)  # retrying: nothing to cancel in an executor, but it ends
    transition = driver.send(RunCancelled(reason="user"))
    assert [c for c in transition.commands if isinstance(c, CancelStep)] == [
        CancelStep(run_id="r1", step="a", attempt=1)
    ]
    assert [c for c in transition.commands if isinstance(c, RunFinished)] == [
        RunFinished(run_id="r1", status=RunStatus.CANCELLED)
    ]
    state = driver.state
    assert state.status is RunStatus.CANCELLED
    assert {state.steps["a"].status, state.steps["b"].status} == {StepStatus.CANCELLED}
    assert "c" not in state.steps
    assert driver.send(StepSucceeded(step="a", attempt=1)).commands == ()
    assert driver.fire_next_timer() is not None and driver.transitions[-1].commands == ()
    assert driver.state.steps == state.steps
    for event in (RunResumed(), RunPaused(), RunCancelled()):
        with pytest.raises(InvalidTransitionError):
            driver.send(event)


def test_cancel_while_paused_cancels_held_steps() -> None:
    driver = Driver.start(plan_of([node("a"), node("b")], [edge("a", "b")]))
    driver.send(RunPaused())
    driver.succeed("a")
    driver.send(RunCancelled())
    assert driver.state.steps["b"].status is StepStatus.CANCELLED
    assert driver.dispatched_steps() == ["a"]


@pytest.mark.parametrize("event", [RunPaused(), RunResumed()])
def test_pause_and_resume_on_a_finished_run_raise(event: RunPaused | RunResumed) -> None:
    driver = Driver.start(plan_of([node("a")]))
    driver.run()
    assert driver.state.status is RunStatus.SUCCEEDED
    with pytest.raises(InvalidTransitionError):
        driver.send(event)


def test_an_input_expression_error_at_dispatch_fails_the_step_with_the_field() -> None:
    plan = plan_of([node("a"), node("b", inputs={"x": "{{ nodes.a.output.missing.deeper }}"})], [edge("a", "b")])
    driver = Driver.start(plan)
    driver.succeed("a", {"other": 1})
    step = driver.state.steps["b"]
    assert step.status is StepStatus.FAILED
    assert step.error is not None and (step.error.kind, step.error.field) == ("expression_error", "inputs.x")
    assert "b" not in driver.dispatched_steps()
    assert driver.state.status is RunStatus.FAILED


def test_run_output_defaults_to_the_sink_outputs() -> None:
    plan = plan_of([node("a"), node("b"), node("c")], [edge("a", "b"), edge("a", "c")])
    driver = Driver.start(plan)
    driver.succeed("a", 1)
    driver.succeed("b", 2)
    driver.succeed("c", 3)
    assert driver.state.output == {"b": 2, "c": 3}


def test_run_output_follows_the_spec_output_template() -> None:
    plan = plan_of(
        [node("a"), node("b")],
        [edge("a", "b")],
        output={"total": "{{ nodes.a.output + nodes.b.output }}", "who": "{{ input.who }}"},
    )
    driver = Driver.start(plan, {"who": "me"})
    driver.succeed("a", 1)
    driver.succeed("b", 2)
    assert driver.state.output == {"total": 3, "who": "me"}


def test_a_duplicate_success_is_a_no_op() -> None:
    driver = Driver.start(plan_of([node("a"), node("b")], [edge("a", "b")]))
    attempt = driver.inflight["a"].attempt
    driver.succeed("a", "first")
    state = driver.state
    transition = driver.send(StepSucceeded(step="a", attempt=attempt, output="second"))
    assert transition.commands == () and transition.changed == frozenset()
    assert driver.state.steps == state.steps
    assert driver.dispatched_steps().count("b") == 1


def test_step_events_addressed_to_a_map_parent_are_ignored() -> None:
    """Only items run in an executor; recovery may still see the parent as ``running``."""
    driver = Driver.start(plan_of([node("m", for_each="{{ [1, 2] }}"), node("after")], [edge("m", "after")]))
    parent = driver.state.steps["m"]
    for event in (StepLost(step="m", attempt=1), StepSucceeded(step="m", attempt=1, output="bogus")):
        assert driver.send(event).commands == ()
    assert driver.state.steps["m"] == parent
    assert driver.run().steps["m"].output == [None, None]


def test_a_template_over_a_budget_fails_its_step_as_an_expression_budget_error() -> None:
    loop = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    plan = plan_of([node("a"), node("b", inputs={"x": loop})], [edge("a", "b")])
    driver = Driver.start(plan)
    driver.succeed("a", 1)
    step = driver.state.steps["b"]
    assert step.error is not None
    assert (step.error.kind, step.error.field) == ("expression_budget", "inputs.x")
    assert "iteration budget" in step.error.message
    assert driver.state.status is RunStatus.FAILED


def test_a_template_that_timed_out_fails_at_once_from_then_on_and_replays_agree() -> None:
    slow = "{{ nodes.a.output }} slow"
    nodes = [
        node("a"),
        node("b", inputs={"x": slow}, on_error="continue"),
        node("c", inputs={"y": "{{ nodes.a.output }}"}),
    ]
    plan = plan_of(nodes, [edge("a", "b"), edge("a", "c")])
    driver = Driver.start(plan)
    driver.send(ExpressionTimedOut(template=template_digest(slow), field="inputs.x", seconds=1.0))
    driver.succeed("a", 1)

    step = driver.state.steps["b"]
    assert step.error is not None
    assert (step.error.kind, step.error.field) == ("expression_budget", "inputs.x")
    assert "time budget" in step.error.message
    assert driver.inflight["c"].inputs == {"y": 1}  # other templates still render
    assert replay(plan, initial_state("r1", plan.name, 1, len(plan.nodes)), driver.log) == driver.state


def test_templates_that_keep_timing_out_fail_the_run() -> None:
    plan = plan_of([node("a"), node("b")], [edge("a", "b")])
    driver = Driver.start(plan)
    transition = driver.send(ExpressionTimedOut(template="0" * 16, field="inputs.x", seconds=1.0, fail_run=True))

    assert driver.state.status is RunStatus.FAILED
    assert driver.state.error is not None and driver.state.error.kind == "expression_budget"
    assert any(isinstance(c, RunFinished) for c in transition.commands)
