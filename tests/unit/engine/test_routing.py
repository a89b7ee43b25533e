"""Dynamic routing: a step's result names some of its node's successors in ``next``; the others are skipped."""

from __future__ import annotations

from tests.unit.engine.driver import Driver, edge, node, plan_of, statuses

from lockgate.engine import RunStatus, StepStatus, initial_state, replay
from lockgate.engine.commands import Successor
from lockgate.engine.events import TaskAction


def _fork() -> Driver:
    """``a`` may route to ``b``, ``c`` or ``d``."""
    nodes = [node("a", retry={"max_attempts": 3}), node("b"), node("c", description="the slow path"), node("d")]
    return Driver.start(plan_of(nodes, [edge("a", "b"), edge("a", "c"), edge("a", "d")]))


def test_the_chosen_successors_run_and_the_others_are_skipped() -> None:
    driver = _fork()
    driver.succeed("a", next_=["d", "b", "d"])
    assert sorted(driver.inflight) == ["b", "d"]
    assert driver.state.steps["a"].next == ("b", "d")  # once each, in the declared order
    state = driver.run()
    assert statuses(state) == {"a": "succeeded", "b": "succeeded", "c": "skipped", "d": "succeeded"}
    assert state.status is RunStatus.SUCCEEDED


def test_without_next_every_successor_runs() -> None:
    driver = _fork()
    driver.succeed("a")
    assert sorted(driver.inflight) == ["b", "c", "d"]
    assert driver.state.steps["a"].next is None


def test_an_empty_next_skips_every_successor_and_the_run_succeeds() -> None:
    plan = plan_of([node("a"), node("b"), node("c")], [edge("a", "b"), edge("b", "c")])
    driver = Driver.start(plan)
    driver.succeed("a", {"done": True}, next_=[])
    assert statuses(driver.state) == {"a": "succeeded", "b": "skipped", "c": "skipped"}  # skips propagate
    assert driver.state.status is RunStatus.SUCCEEDED
    assert driver.state.output == {}  # the run's default output: its succeeded sinks, and none did


def test_naming_a_node_that_is_not_a_successor_fails_the_step_naming_the_allowed_ones() -> None:
    driver = _fork()
    driver.succeed("a", next_=["b", "nowhere", "elsewhere"])
    step = driver.state.steps["a"]
    assert step.status is StepStatus.FAILED
    assert step.error is not None
    assert step.error.kind == "invalid_next"
    assert step.error.field == "next"
    assert not step.error.retryable
    assert step.error.message == (
        "step 'a' chose next 'elsewhere', 'nowhere', which is not a successor of 'a'; its successors are 'b', 'c', 'd'"
    )
    assert len(driver.dispatches("a")) == 1  # a routing mistake is not retried, whatever the retry policy
    assert driver.state.status is RunStatus.FAILED
    assert driver.state.error is not None and "its successors are 'b', 'c', 'd'" in driver.state.error.message


def test_a_sink_that_names_a_successor_is_told_it_has_none() -> None:
    driver = Driver.start(plan_of([node("a")]))
    driver.succeed("a", next_=["b"])
    error = driver.state.steps["a"].error
    assert error is not None and error.message.endswith("its successors are none: it has no successors")


def test_the_dispatch_names_the_successors_a_step_may_choose() -> None:
    driver = _fork()
    assert driver.inflight["a"].successors == [
        Successor(id="b"),
        Successor(id="c", description="the slow path"),
        Successor(id="d"),
    ]


def test_a_join_after_a_routed_branch_waits_only_for_the_taken_inputs() -> None:
    # a routes to b or c; both lead to j (join: all). The untaken branch is skipped and does not hold j back.
    plan = plan_of(
        [node("a"), node("b"), node("c"), node("j")],
        [edge("a", "b"), edge("a", "c"), edge("b", "j"), edge("c", "j")],
    )
    driver = Driver.start(plan)
    driver.succeed("a", next_=["c"])
    assert driver.status("b") is StepStatus.SKIPPED
    assert list(driver.inflight) == ["c"]
    driver.succeed("c")
    assert list(driver.inflight) == ["j"]
    assert driver.run().status is RunStatus.SUCCEEDED


def test_a_join_any_fires_on_the_routed_branch() -> None:
    plan = plan_of(
        [node("a"), node("b"), node("c"), node("j", join="any")],
        [edge("a", "b"), edge("a", "c"), edge("b", "j"), edge("c", "j")],
    )
    driver = Driver.start(plan)
    driver.succeed("a", next_=["b"])
    driver.succeed("b")
    assert list(driver.inflight) == ["j"]
    assert statuses(driver.run())["c"] == "skipped"


def test_a_retried_step_routes_by_the_attempt_that_succeeded() -> None:
    driver = _fork()
    driver.fail("a", "flaky", retryable=True)
    assert driver.status("a") is StepStatus.RETRYING
    driver.fire_next_timer()
    assert driver.inflight["a"].attempt == 2
    driver.succeed("a", next_=["c"])
    assert list(driver.inflight) == ["c"]
    assert statuses(driver.run()) == {"a": "succeeded", "b": "skipped", "c": "succeeded", "d": "skipped"}


def test_replaying_the_recorded_events_takes_the_same_route() -> None:
    driver = _fork()
    driver.succeed("a", next_=["c"])
    driver.run()
    replayed = replay(driver.plan, initial_state("r1", driver.plan.name, 1, len(driver.plan.nodes)), driver.log)
    assert replayed == driver.state
    assert statuses(replayed) == {"a": "succeeded", "b": "skipped", "c": "succeeded", "d": "skipped"}


def test_a_mapped_node_routes_to_what_its_items_chose() -> None:
    plan = plan_of(
        [node("m", for_each="{{ [1, 2] }}"), node("b"), node("c"), node("d")],
        [edge("m", "b"), edge("m", "c"), edge("m", "d")],
    )
    driver = Driver.start(plan)
    driver.succeed("m[0]", next_=["c"])
    driver.succeed("m[1]", next_=["b"])
    assert driver.state.steps["m"].next == ("b", "c")
    assert statuses(driver.run())["d"] == "skipped"


def test_a_routed_step_under_review_waits_with_its_choice_and_routes_once_approved() -> None:
    plan = plan_of([node("a", review={"approve_complete": True}), node("b"), node("c")],
                   [edge("a", "b"), edge("a", "c")])  # fmt: skip
    driver = Driver.start(plan)
    driver.succeed("a", next_=["b"])
    assert driver.status("a") is StepStatus.WAITING
    driver.answer("a", TaskAction.APPROVE)
    assert list(driver.inflight) == ["b"]
    assert driver.status("c") is StepStatus.SKIPPED
