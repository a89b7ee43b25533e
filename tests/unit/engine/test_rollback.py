"""Rollback to a node, across runs (latest), and runs that extend an earlier one — in the pure core."""

from __future__ import annotations

import pytest
from tests.unit.engine.driver import Driver, edge, node, plan_of, statuses

from lockgate.engine import (
    ArchiveOutputs,
    ArtifactRecord,
    CancelStep,
    CloseHumanTask,
    DispatchStep,
    PointLatest,
    RecordReuse,
    ReusedStep,
    RunMadeLatest,
    RunPaused,
    RunRef,
    RunResumed,
    RunRolledBack,
    RunStarted,
    RunStatus,
    StepStatus,
    StepSucceeded,
    TaskAction,
    TaskOutcome,
    initial_state,
    replay,
)
from lockgate.errors import ConflictError, InvalidTransitionError, NotFoundError


def chain() -> Driver:
    """Prep → draft → publish, with a side branch prep → side (not downstream of draft)."""
    plan = plan_of(
        [node("prep"), node("draft"), node("publish"), node("side")],
        [edge("prep", "draft"), edge("draft", "publish"), edge("prep", "side")],
    )
    return Driver.start(plan)


def finished() -> Driver:
    driver = chain()
    driver.succeed("prep", "p")
    driver.succeed("side", "s")
    driver.succeed("draft", "d1")
    driver.succeed("publish", "pub1")
    assert driver.state.status is RunStatus.SUCCEEDED
    return driver


def back(driver: Driver, node_id: str, rollback: str = "rb1") -> ArchiveOutputs:
    transition = driver.send(RunRolledBack(rollback=rollback, node=node_id, by="ann", reason="redo"))
    (archive,) = [c for c in transition.commands if isinstance(c, ArchiveOutputs)]
    return archive


def test_rolling_back_a_finished_run_resets_the_node_and_what_follows_and_runs_again() -> None:
    driver = finished()
    archive = back(driver, "draft")
    state = driver.state
    assert state.status is RunStatus.RUNNING and state.output is None and state.finished_at is None
    assert statuses(state) == {"prep": "succeeded", "side": "succeeded", "draft": "queued"}
    assert state.steps["draft"].attempt == 2  # numbering goes on: attempt 1 stays on record
    assert "publish" in state.floors and state.unfinished == 2
    assert [s.key for s in archive.steps] == ["draft", "publish"]
    assert [s.output for s in archive.steps] == ["d1", "pub1"]
    stamp = driver.now.strftime("%Y%m%dT%H%M%SZ")
    assert archive.folder == f".archived/rollback_rb1_{stamp}"
    assert ("runs/v1/draft", f"{archive.folder}/draft") in archive.moves
    assert ("runs/v1/.attempts/publish", f"{archive.folder}/.attempts/publish") in archive.moves
    assert archive.cancelled == [] and archive.by == "ann" and archive.reason == "redo"
    driver.succeed("draft", "d2")
    transition = driver.succeed("publish", "pub2")
    assert transition.state.status is RunStatus.SUCCEEDED and transition.state.steps["publish"].attempt == 2
    assert transition.state.output == {"publish": "pub2", "side": "s"}
    start = initial_state("r1", driver.plan.name, 1, len(driver.plan.nodes))
    assert replay(driver.plan, start, driver.log) == driver.state


def test_a_rollback_cancels_what_is_running_or_waiting_downstream_first() -> None:
    plan = plan_of(
        [node("a"), node("b"), node("c", review={"approve_complete": True}), node("d")],
        [edge("a", "b"), edge("a", "c"), edge("b", "d")],
    )
    driver = Driver.start(plan)
    driver.succeed("a", 1)
    driver.succeed("c", 2)  # now waiting for a person
    driver.started("b")
    transition = driver.send(RunRolledBack(rollback="x", node="a"))
    assert {c.step for c in transition.commands if isinstance(c, CancelStep)} == {"b"}
    (closed,) = [c for c in transition.commands if isinstance(c, CloseHumanTask)]
    assert closed.step == "c" and closed.outcome is TaskOutcome.CANCELLED
    (archive,) = [c for c in transition.commands if isinstance(c, ArchiveOutputs)]
    assert sorted(archive.cancelled) == ["b", "c"]
    assert [c.step for c in transition.commands if isinstance(c, DispatchStep)] == ["a"]
    # the cancelled attempt reporting late changes nothing
    late = driver.send(driver_success("b", 1))
    assert late.commands == () and "b" not in late.state.steps


def driver_success(step: str, attempt: int) -> StepSucceeded:
    return StepSucceeded(step=step, attempt=attempt, output="late")


def run_status(driver: Driver) -> RunStatus:
    return driver.state.status


def test_a_rollback_reopens_a_failed_run_and_its_cancelled_siblings() -> None:
    driver = chain()
    driver.succeed("prep", "p")
    driver.started("side")
    driver.fail("draft")
    assert driver.state.status is RunStatus.FAILED and driver.status("side") is StepStatus.CANCELLED
    back(driver, "draft")
    assert run_status(driver) is RunStatus.RUNNING
    assert {k: s.status for k, s in driver.state.steps.items()} == {
        "prep": StepStatus.SUCCEEDED,
        "draft": StepStatus.QUEUED,
        "side": StepStatus.QUEUED,
    }
    driver.run()
    assert run_status(driver) is RunStatus.SUCCEEDED


def test_a_rollback_is_refused_when_the_failure_is_elsewhere_or_nothing_ran() -> None:
    driver = chain()
    driver.succeed("prep", "p")
    driver.fail("side")
    with pytest.raises(ConflictError, match="'side' failed the run"):
        driver.send(RunRolledBack(rollback="x", node="draft"))
    fresh = chain()
    with pytest.raises(ConflictError, match="has not run"):
        fresh.send(RunRolledBack(rollback="x", node="publish"))
    with pytest.raises(NotFoundError):
        fresh.send(RunRolledBack(rollback="x", node="ghost"))


def test_a_rolled_back_map_launches_its_items_with_new_attempt_numbers() -> None:
    plan = plan_of([node("fan", for_each="{{ [1, 2] }}"), node("end")], [edge("fan", "end")])
    driver = Driver.start(plan)
    driver.succeed("fan[0]", "a")
    driver.succeed("fan[1]", "b")
    driver.succeed("end")
    transition = driver.send(RunRolledBack(rollback="m", node="fan"))
    assert sorted((c.step, c.attempt) for c in transition.commands if isinstance(c, DispatchStep)) == [
        ("fan[0]", 2),
        ("fan[1]", 2),
    ]
    assert set(transition.removed) == {"fan", "fan[0]", "fan[1]", "end"}
    assert set(transition.changed) == {"fan", "fan[0]", "fan[1]"}  # the map and its items came straight back
    driver.run()
    assert driver.state.status is RunStatus.SUCCEEDED


def test_a_rollback_asks_for_approval_again_with_a_new_task() -> None:
    plan = plan_of([node("a", review={"approve_start": True})])
    driver = Driver.start(plan)
    first = driver.tasks["a"].task
    driver.answer("a", TaskAction.APPROVE)
    driver.succeed("a")
    driver.send(RunRolledBack(rollback="r", node="a"))
    assert driver.status("a") is StepStatus.WAITING and driver.tasks["a"].task != first


def test_latest_points_back_at_a_succeeded_run_only() -> None:
    driver = finished()
    transition = driver.send(RunMadeLatest(rollback="l1", by="ann"))
    (point,) = [c for c in transition.commands if isinstance(c, PointLatest)]
    assert (point.run_number, point.rollback, point.by) == (1, "l1", "ann")
    running = chain()
    with pytest.raises(ConflictError, match="succeeded run only"):
        running.send(RunMadeLatest(rollback="l2"))
    pending = Driver(running.plan, initial_state("r2", "t", 2, 4))
    with pytest.raises(InvalidTransitionError):
        pending.send(RunRolledBack(rollback="x", node="prep"))


def test_rollback_while_paused_holds_the_restart_until_resumed() -> None:
    driver = chain()
    driver.succeed("prep", "p")
    driver.send(RunPaused())
    transition = driver.send(RunRolledBack(rollback="y", node="draft"))
    assert {c.step for c in transition.commands if isinstance(c, CancelStep)} == {"draft"}
    assert not any(isinstance(c, DispatchStep) for c in transition.commands)
    assert driver.state.status is RunStatus.PAUSED and driver.state.steps["draft"].held
    resumed = driver.send(RunResumed())
    assert [(c.step, c.attempt) for c in resumed.commands if isinstance(c, DispatchStep)] == [("draft", 2)]


def test_an_extending_run_takes_steps_over_without_running_them() -> None:
    plan = chain().plan
    artifact = ArtifactRecord(name="notes.md", path="prep/notes.md", size=3, sha256="0" * 64,
                              media_type="text/markdown", source="a1")  # fmt: skip
    driver = Driver(plan, initial_state("r2", plan.name, 2, len(plan.nodes)))
    started = driver.send(
        RunStarted(input={}, extends=RunRef(run_id="r1", number=1),
                   reuse={"prep": ReusedStep(output="p", artifacts=[artifact])})
    )  # fmt: skip
    (reuse,) = [c for c in started.commands if isinstance(c, RecordReuse)]
    assert (reuse.step, reuse.attempt, reuse.source_run, reuse.output) == ("prep", 1, "r1", "p")
    assert reuse.artifacts == [artifact]
    dispatched = {c.step: c for c in started.commands if isinstance(c, DispatchStep)}
    assert set(dispatched) == {"draft", "side"}
    assert dispatched["draft"].extends == RunRef(run_id="r1", number=1)
    assert started.state.steps["prep"].status is StepStatus.SUCCEEDED
    driver.run()
    assert driver.state.status is RunStatus.SUCCEEDED
    assert driver.state.extends is not None and driver.state.extends.number == 1
    start = initial_state("r2", plan.name, 2, len(plan.nodes))
    assert replay(plan, start, driver.log) == driver.state


def test_run_extends_is_visible_to_expressions() -> None:
    plan = plan_of([node("t", "transform", config={"value": "{{ run.extends }}"})])
    driver = Driver(plan, initial_state("r3", plan.name, 3, 1))
    transition = driver.send(RunStarted(extends=RunRef(run_id="r1", number=1)))
    (command,) = [c for c in transition.commands if isinstance(c, DispatchStep)]
    assert command.config["value"] == "v1"
