"""Retries, backoff, timeouts, heartbeats and lost workers: everything driven by time passed in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.engine.driver import Driver, edge, node, plan_of

from lockgate.engine import (
    CancelStep,
    RunStatus,
    StepHeartbeat,
    StepRetryRequested,
    StepStatus,
    StepSucceeded,
    TimerFired,
    TimerPurpose,
)
from lockgate.engine.backoff import retry_delay
from lockgate.spec import RetryPolicy

S = timedelta(seconds=1)


def _retrying(**retry: Any) -> Driver:
    return Driver.start(plan_of([node("a", retry=retry), node("b")], [edge("a", "b")]))


def test_attempts_are_numbered_one_to_max_attempts_then_the_run_fails() -> None:
    driver = _retrying(max_attempts=3)
    while driver.inflight or driver.timers:
        if "a" in driver.inflight:
            driver.fail("a", retryable=True)
        else:
            driver.fire_next_timer()
    assert [d.attempt for d in driver.dispatches("a")] == [1, 2, 3]
    step = driver.state.steps["a"]
    assert (step.status, step.failures) == (StepStatus.FAILED, 3)
    assert driver.state.status is RunStatus.FAILED


def test_a_retry_that_succeeds_lets_the_run_go_on() -> None:
    driver = _retrying(max_attempts=3)
    driver.fail("a", retryable=True)
    assert driver.status("a") is StepStatus.RETRYING
    assert not driver.inflight  # nothing runs until the backoff timer fires
    driver.fire_next_timer()
    driver.succeed("a")
    assert driver.run().status is RunStatus.SUCCEEDED


def test_backoff_is_exponential_and_capped_without_jitter() -> None:
    driver = _retrying(max_attempts=6, initial_delay="1s", factor=3, max_delay="20s", jitter=0)
    delays = []
    while "a" in driver.inflight:
        failed_at = driver.now + S
        driver.fail("a", retryable=True, at=failed_at)
        if driver.status("a") is StepStatus.RETRYING:
            timer = driver.timers[-1]
            assert timer.purpose is TimerPurpose.RETRY
            delays.append((timer.fire_at - failed_at).total_seconds())
            driver.fire_next_timer()
    assert delays == [1, 3, 9, 20, 20]


@settings(max_examples=200)
@given(
    failures=st.integers(1, 12),
    jitter=st.floats(0, 1),
    key=st.text(min_size=1, max_size=20),
    initial=st.integers(1, 60),
    cap=st.integers(1, 600),
)
def test_jitter_is_deterministic_and_within_its_bounds(
    failures: int, jitter: float, key: str, initial: int, cap: int
) -> None:
    policy = RetryPolicy(
        initial_delay=timedelta(seconds=initial), factor=2, max_delay=timedelta(seconds=cap), jitter=jitter
    )
    delay = retry_delay(policy, failures, key, None)
    assert delay == retry_delay(policy, failures, key, None)
    base = initial * 2 ** (failures - 1)
    low, high = min(cap, base * (1 - jitter)), min(cap, base * (1 + jitter))
    assert low - 1e-6 <= delay.total_seconds() <= high + 1e-6


def test_jitter_differs_between_attempts_but_replays_agree() -> None:
    def delays() -> list[float]:
        driver = _retrying(max_attempts=4, initial_delay="10s", factor=1, jitter=0.5)
        out = []
        while "a" in driver.inflight:
            driver.fail("a", retryable=True)
            if driver.timers:
                out.append((driver.timers[-1].fire_at - driver.now).total_seconds())
                driver.fire_next_timer()
        return out

    first = delays()
    assert first == delays()
    assert len(set(first)) == 3
    assert all(5 <= d <= 15 for d in first)


def test_retry_on_only_retries_the_listed_kinds() -> None:
    driver = _retrying(max_attempts=5, retry_on=["rate_limited"])
    driver.fail("a", "rate_limited", retryable=True)
    assert driver.status("a") is StepStatus.RETRYING
    driver.fire_next_timer()
    driver.fail("a", "server_error", retryable=True)
    assert driver.status("a") is StepStatus.FAILED
    assert len(driver.dispatches("a")) == 2


def test_a_non_retryable_error_fails_at_once() -> None:
    driver = _retrying(max_attempts=5)
    driver.fail("a", "bad_input", retryable=False)
    assert driver.status("a") is StepStatus.FAILED
    assert driver.state.status is RunStatus.FAILED
    assert not driver.timers


def test_retry_after_is_honoured_when_longer_than_the_backoff() -> None:
    driver = _retrying(max_attempts=2, initial_delay="1s", jitter=0)
    driver.fail("a", "rate_limited", retryable=True, retry_after=timedelta(minutes=2))
    assert driver.timers[-1].fire_at - driver.now == timedelta(minutes=2)


def _timed(**fields: Any) -> Driver:
    driver = Driver.start(plan_of([node("a", **fields)]))
    driver.started("a")
    return driver


def test_a_timeout_cancels_the_attempt_and_retries_it() -> None:
    driver = _timed(timeout="30s", retry={"max_attempts": 2, "jitter": 0})
    timer = driver.timers[-1]
    assert (timer.purpose, timer.fire_at - driver.now) == (TimerPurpose.TIMEOUT, timedelta(seconds=30))
    transition = driver.fire_next_timer()
    assert transition is not None
    assert CancelStep(run_id="r1", step="a", attempt=1) in transition.commands
    step = driver.state.steps["a"]
    assert step.status is StepStatus.RETRYING
    assert step.error is not None and (step.error.kind, step.error.retryable) == ("timeout", True)
    driver.fire_next_timer()  # the backoff
    assert driver.inflight["a"].attempt == 2


def test_a_timeout_without_retries_left_fails_the_run() -> None:
    driver = _timed(timeout="30s")
    driver.fire_next_timer()
    step = driver.state.steps["a"]
    assert step.status is StepStatus.FAILED and step.error is not None and step.error.kind == "timeout"
    assert driver.state.status is RunStatus.FAILED


def test_a_stale_timeout_for_an_older_attempt_does_nothing() -> None:
    driver = _timed(timeout="30s", retry={"max_attempts": 3})
    driver.fail("a", retryable=True)
    driver.fire_next_timer()  # retry timer (fires before the 30 s timeout): attempt 2 queued
    driver.started("a")
    before = driver.state.steps["a"]
    transition = driver.send(TimerFired(step="a", attempt=1, purpose=TimerPurpose.TIMEOUT))
    assert transition.commands == ()
    assert driver.state.steps["a"] == before


def test_a_late_result_of_a_timed_out_attempt_is_ignored() -> None:
    driver = _timed(timeout="30s", retry={"max_attempts": 2})
    attempt = driver.inflight["a"].attempt
    driver.fire_next_timer()

    transition = driver.send(StepSucceeded(step="a", attempt=attempt, output="late"))
    assert transition.commands == ()
    assert driver.status("a") is StepStatus.RETRYING


def test_heartbeats_keep_a_long_step_alive_and_silence_times_it_out() -> None:
    driver = _timed(heartbeat_timeout="10s")
    start = driver.now
    driver.send(StepHeartbeat(step="a", attempt=1), start + 8 * S)
    transition = driver.fire_next_timer()  # due at start+10s: the heartbeat moved the deadline
    assert transition is not None and driver.status("a") is StepStatus.RUNNING
    rearmed = [c for c in transition.commands if not isinstance(c, CancelStep)]
    assert [t.fire_at for t in driver.timers] == [start + 18 * S] and len(rearmed) == 1
    driver.fire_next_timer()
    step = driver.state.steps["a"]
    assert step.status is StepStatus.FAILED and step.error is not None and step.error.kind == "heartbeat_timeout"


@pytest.mark.parametrize("started", [False, True])
def test_a_lost_step_is_dispatched_again_without_using_up_an_attempt(started: bool) -> None:
    driver = Driver.start(plan_of([node("a", retry={"max_attempts": 2}, max_lost_attempts=4)]))
    for _ in range(3):
        if started:
            driver.started("a")
        transition = driver.lost("a")
        attempt = transition.commands[0]
        assert isinstance(attempt, CancelStep)
    assert [d.attempt for d in driver.dispatches("a")] == [1, 2, 3, 4]
    assert driver.state.steps["a"].failures == 0
    driver.fail("a", retryable=True)
    assert driver.status("a") is StepStatus.RETRYING  # both policy attempts remain usable
    driver.fire_next_timer()
    driver.fail("a", retryable=True)
    assert driver.status("a") is StepStatus.FAILED


def test_a_step_lost_three_times_fails_naming_its_node_and_the_count() -> None:
    driver = Driver.start(plan_of([node("a", retry={"max_attempts": 5}), node("b")], [edge("a", "b")]))
    for _ in range(2):
        driver.started("a")
        driver.lost("a")
    assert driver.status("a") is StepStatus.QUEUED
    driver.started("a")
    transition = driver.lost("a")
    step = driver.state.steps["a"]
    assert step.status is StepStatus.FAILED and step.error is not None
    assert step.error.kind == "lost" and not step.error.retryable  # retries would only lose it again
    assert "node 'a'" in step.error.message and "3 attempts" in step.error.message
    assert "max_lost_attempts is 3" in step.error.message
    assert [d.attempt for d in driver.dispatches("a")] == [1, 2, 3]
    assert any(isinstance(c, CancelStep) for c in transition.commands)
    assert driver.state.status is RunStatus.FAILED and driver.state.error is not None
    assert "3 attempts of step 'a' were lost" in driver.state.error.message


def test_max_lost_attempts_is_the_nodes_and_a_retry_request_starts_counting_again() -> None:
    driver = Driver.start(plan_of([node("a", max_lost_attempts=1)]))
    driver.started("a")
    driver.lost("a")
    assert driver.status("a") is StepStatus.FAILED
    driver.send(StepRetryRequested(step="a"))
    step = driver.state.steps["a"]
    assert (step.status, step.lost) == (StepStatus.QUEUED, 0)
    driver.succeed("a")
    assert driver.state.status is RunStatus.SUCCEEDED
