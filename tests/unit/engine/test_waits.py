"""Wait nodes are engine timers: nothing is dispatched, the step waits WAITING until its ``wake`` timer fires."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.engine.driver import T0, Driver, edge, node, plan_of

from lockgate.engine import (
    DispatchStep,
    RunCancelled,
    RunPaused,
    RunStatus,
    StepStatus,
    TimerFired,
    TimerPurpose,
    pending_timers,
    replay,
)
from lockgate.engine.state import initial_state

DAYS = timedelta(days=3)


def _waiting(**config: str) -> Driver:
    return Driver.start(plan_of([node("w", "wait", config=config), node("b")], [edge("w", "b")]))


def test_a_wait_dispatches_nothing_and_sets_one_wake_timer() -> None:
    driver = _waiting(duration="3d")
    step = driver.state.steps["w"]
    assert step.first_queued_at is not None
    wake_at = step.first_queued_at + DAYS
    assert (step.status, step.attempt, step.wake_at) == (StepStatus.WAITING, 1, wake_at)
    assert not driver.dispatches("w") and not driver.inflight
    [timer] = driver.timers_for("w")
    assert (timer.purpose, timer.fire_at, timer.attempt) == (TimerPurpose.WAKE, wake_at, 1)
    assert step.task is None and step.waiting is None  # nobody is asked anything


def test_the_wake_timer_succeeds_the_step_and_the_run_goes_on() -> None:
    driver = _waiting(duration="3d")
    wake_at = driver.state.steps["w"].wake_at
    assert wake_at is not None
    driver.fire_next_timer()
    step = driver.state.steps["w"]
    assert step.status is StepStatus.SUCCEEDED and step.wake_at is None
    assert step.output == {"waited_until": wake_at.isoformat()}
    assert driver.now == wake_at
    assert driver.run().status is RunStatus.SUCCEEDED


def test_until_is_rendered_and_a_naive_instant_means_utc() -> None:
    driver = Driver.start(plan_of([node("w", "wait", config={"until": "{{ input.at }}"})]),
                          {"at": "2026-01-05T10:00:00"})  # fmt: skip
    step = driver.state.steps["w"]
    assert step.wake_at is not None and step.wake_at.isoformat() == "2026-01-05T10:00:00+00:00"


def test_an_until_that_is_no_instant_fails_the_step_naming_the_field() -> None:
    driver = Driver.start(plan_of([node("w", "wait", config={"until": "next tuesday"})]))
    step = driver.state.steps["w"]
    assert step.status is StepStatus.FAILED and step.error is not None
    assert (step.error.kind, step.error.field) == ("invalid_config", "config.until")
    assert "next tuesday" in step.error.message
    assert driver.state.status is RunStatus.FAILED


def test_an_instant_already_passed_wakes_at_the_next_timer_round() -> None:
    driver = Driver.start(plan_of([node("w", "wait", config={"until": "2020-01-01T00:00:00Z"})]))
    assert driver.status("w") is StepStatus.WAITING
    driver.fire_next_timer()
    assert driver.status("w") is StepStatus.SUCCEEDED


def test_a_stale_or_repeated_wake_changes_nothing() -> None:
    driver = _waiting(duration="1h")
    before = driver.state
    assert driver.send(TimerFired(step="w", attempt=2, purpose=TimerPurpose.WAKE)).commands == ()
    assert driver.state.steps == before.steps
    driver.fire_next_timer()
    after = driver.state.steps["w"]
    driver.send(TimerFired(step="w", attempt=1, purpose=TimerPurpose.WAKE))
    assert driver.state.steps["w"] == after


def test_cancel_ends_the_wait_and_its_late_timer_is_ignored() -> None:
    driver = _waiting(duration="1h")
    driver.send(RunCancelled(reason="no"))
    step = driver.state.steps["w"]
    assert step.status is StepStatus.CANCELLED and step.wake_at is None
    driver.send(TimerFired(step="w", attempt=1, purpose=TimerPurpose.WAKE))
    assert driver.status("w") is StepStatus.CANCELLED


def test_a_wait_that_wakes_while_paused_holds_its_successor() -> None:
    driver = _waiting(duration="1h")
    driver.send(RunPaused())
    driver.fire_next_timer()
    assert driver.status("w") is StepStatus.SUCCEEDED
    assert driver.state.steps["b"].held and not driver.dispatches("b")


def test_a_waiting_run_replays_to_the_same_state_and_recovers_its_wake_timer() -> None:
    driver = _waiting(duration="3d")
    plan = driver.plan
    state = replay(plan, initial_state("r1", plan.name, 1, len(plan.nodes)), driver.log)
    assert state == driver.state
    [timer] = pending_timers(plan, state)
    assert (timer.purpose, timer.fire_at) == (TimerPurpose.WAKE, driver.state.steps["w"].wake_at)


def test_a_map_of_waits_dispatches_nothing() -> None:
    driver = Driver.start(plan_of([node("w", "wait", config={"duration": "5s"},
                                        for_each="{{ [1, 2, 3] }}")]))  # fmt: skip
    assert not any(isinstance(c, DispatchStep) for c in driver.commands)
    assert [driver.status(f"w[{i}]") for i in range(3)] == [StepStatus.WAITING] * 3
    assert driver.run().status is RunStatus.SUCCEEDED
    assert driver.now == T0 + timedelta(seconds=1) + timedelta(seconds=5)
