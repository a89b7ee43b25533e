"""Properties of ``advance`` over random pipelines and random outcomes (hypothesis).

Every transition is checked as it happens (``CheckedDriver.send``); the state as a whole after every rule
(``check_state``); the end of the run in ``check_end``. Time only moves forward and timers fire in
``fire_at`` order. People take part: review policies and human nodes open tasks that are answered at
random (approve, submit, revise, reject), deadlines fire, and runs are rolled back to random nodes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from tests.unit.engine.driver import Driver, fake_handler
from tests.unit.engine.pipelines import BRANCHES, pipelines, resolved_inputs

from lockgate.compile import Plan, compile_pipeline
from lockgate.engine import (
    CancelStep,
    CloseHumanTask,
    DispatchStep,
    Event,
    HumanTaskAnswered,
    OpenHumanTask,
    RunCancelled,
    RunFinished,
    RunPaused,
    RunResumed,
    RunRolledBack,
    RunStarted,
    RunStatus,
    StepFailed,
    StepLost,
    StepStarted,
    StepStatus,
    StepSucceeded,
    TaskAction,
    TimerFired,
    Transition,
    initial_state,
    replay,
)
from lockgate.engine.state import ACTIVE, StepState
from lockgate.errors import ConflictError
from lockgate.spec import spec_from_data

if TYPE_CHECKING:
    from pydantic import JsonValue

OUTCOMES = ("success", "success", "retryable", "flaky", "permanent", "lost", "hang", "start", "bad_next")
STEP_EVENTS = (StepSucceeded, StepFailed, StepStarted, StepLost, TimerFired)


class CheckedDriver(Driver):
    """A Driver that checks every transition against the one before it."""

    cancelled: bool = False
    reopened: int = 0  # finished runs a rollback reopened: each finishes again
    lost_attempts: set[tuple[str, int]]
    # Dispatches of each step since its last fresh start (a rollback, a revision, a submitted form):
    # what the retry policy bounds.
    window: dict[str, int]

    def send(self, event: Event, at: Any = None) -> Transition:
        before = self.state
        if isinstance(event, StepLost):
            step = before.steps.get(event.step)
            if step and step.attempt == event.attempt and step.status in ACTIVE and step.items is None:
                self.lost_attempts.add((event.step, event.attempt))
        open_before = {k: t.task for k, t in self.tasks.items()}
        transition = super().send(event, at)
        self.reopened += before.status.terminal and isinstance(event, RunRolledBack)
        check_transition(self.plan, before.status, before.steps, transition, event)
        check_tasks(open_before, transition)
        self._count(event, transition)
        return transition

    def _count(self, event: Event, transition: Transition) -> None:
        if isinstance(event, HumanTaskAnswered) and event.action in {TaskAction.REVISE, TaskAction.SUBMIT}:
            self.window.pop(event.step, None)
        for key in transition.removed:
            self.window.pop(key, None)
        for command in transition.commands:
            # the attempt after a lost one (now, or once a paused run resumes) does not count
            if isinstance(command, DispatchStep) and (command.step, command.attempt - 1) not in self.lost_attempts:
                self.window[command.step] = self.window.get(command.step, 0) + 1


def check_tasks(open_before: dict[str, str], transition: Transition) -> None:
    """A task opens only for a step without one (or whose task closes first), and closes once."""
    open_now = dict(open_before)
    for command in transition.commands:
        if isinstance(command, CloseHumanTask):
            assert open_now.pop(command.step, None) == command.task, f"{command.task} closed but not open"
        elif isinstance(command, OpenHumanTask):
            assert command.step not in open_now, f"{command.step} has two open tasks"
            open_now[command.step] = command.task
    for key, step in transition.state.steps.items():
        for_person = step.status is StepStatus.WAITING and step.wake_at is None
        assert for_person == (step.task is not None) == (step.waiting is not None), key
        assert step.wake_at is None or step.status is StepStatus.WAITING, key
        if step.task is not None:
            assert open_now.get(key) == step.task


def check_transition(plan: Plan, was: RunStatus, before: Any, transition: Transition, event: Event) -> None:
    state = transition.state
    commands = transition.commands
    if was.terminal and not isinstance(event, RunRolledBack):
        assert commands == (), "a finished run does nothing"
        assert state.steps == before and state.status is was
    if isinstance(event, RunRolledBack):
        check_rollback(plan, was, before, transition, event)
    else:
        assert not transition.removed
        for key, old in before.items():
            new = state.steps[key]
            assert new.attempt >= old.attempt
            if old.terminal:
                assert new == old, f"{key} left {old.status}"
    cancels = {(c.step, c.attempt) for c in commands if isinstance(c, CancelStep)}
    for command in commands:
        if isinstance(command, DispatchStep):
            assert state.status is RunStatus.RUNNING or (command.step, command.attempt) in cancels
            may_start, _ = resolved_inputs(plan, state.steps, command.node_id)
            assert may_start, f"{command.step} dispatched before its inputs allow it"
            after = state.steps.get(command.step)
            assert after is not None and after.status is not StepStatus.WAITING, "dispatched while waiting"
    finished = [c for c in commands if isinstance(c, RunFinished)]
    ends = state.status.terminal and (not was.terminal or isinstance(event, RunRolledBack))  # reopened, ended again
    assert len(finished) == (1 if ends else 0)


def _below(plan: Plan, node_id: str) -> set[str]:
    out, todo = {node_id}, [node_id]
    while todo:
        for successor in plan.nodes[todo.pop()].successors:
            if successor not in out:
                out.add(successor)
                todo.append(successor)
    return out


def check_rollback(plan: Plan, was: RunStatus, before: Any, transition: Transition, event: RunRolledBack) -> None:
    """Exactly the node and what is downstream of it start over (plus, in a reopened run, what its end cancelled)."""
    state = transition.state
    below = _below(plan, event.node)
    restarted = {s.node_id for s in before.values() if s.status is StepStatus.CANCELLED} if was.terminal else set()
    old: StepState
    for key, old in before.items():
        new = state.steps.get(key)
        reset = old.node_id in below or old.node_id in restarted
        if not reset:
            assert new == old, f"{key} is not downstream of {event.node} but changed"
            continue
        assert state.floors[key][0] == old.attempt, f"{key}: the attempt numbering must go on"
        if new is not None:  # started again at once (its inputs are still there)
            assert new.attempt >= old.attempt and new.revisions == 0


def check_state(driver: CheckedDriver) -> None:
    plan, state = driver.plan, driver.state
    live = not state.status.terminal
    for node_id, plan_node in plan.nodes.items():
        step = state.steps.get(node_id)
        may_start, must_skip = resolved_inputs(plan, state.steps, node_id)
        if step is None:
            assert not (live and (may_start or must_skip)), f"{node_id} should have started or been skipped"
        elif step.status is StepStatus.SKIPPED:
            assert must_skip, f"{node_id} skipped although an input is taken or unresolved"
        else:
            assert may_start, f"{node_id} started without a taken input"
        node = plan_node.node
        if step is not None:
            assert step.failures <= node.retry.max_attempts
            assert step.lost <= node.max_lost_attempts
            assert step.revisions <= (node.review.max_revisions if node.review else 0)
        items = [s for s in state.steps.values() if s.node_id == node_id and s.item_index is not None]
        if node.max_parallel is not None and live:
            assert sum(not s.terminal for s in items) <= node.max_parallel
    if live:
        unfinished = sum(1 for n in plan.nodes if n not in state.steps or not state.steps[n].terminal)
        assert state.unfinished == unfinished
    for key, count in driver.window.items():
        assert count <= plan.nodes[key.split("[", 1)[0]].node.retry.max_attempts, key


def check_end(driver: CheckedDriver) -> None:
    state = driver.state
    assert state.status.terminal
    assert sum(isinstance(c, RunFinished) for c in driver.commands) == 1 + driver.reopened
    if state.status is RunStatus.SUCCEEDED:
        assert all(state.steps[n].terminal for n in driver.plan.nodes)
    start = initial_state(state.run_id, state.pipeline, state.number, len(driver.plan.nodes))
    assert replay(driver.plan, start, driver.log) == state, "replaying the log must give the same state"


def new_driver(data: dict[str, Any]) -> CheckedDriver:
    plan = compile_pipeline(spec_from_data(data))
    driver = CheckedDriver(plan, initial_state("r1", plan.name, 1, len(plan.nodes)))
    driver.lost_attempts = set()
    driver.window = {}
    driver.send(RunStarted())
    return driver


def answer(driver: CheckedDriver, pick: int, outcome: str, detail: int) -> None:
    """Answer one in-flight dispatch the way an executor might."""
    keys = list(driver.inflight)
    command = driver.inflight[keys[pick % len(keys)]]
    step, node = command.step, driver.plan.nodes[command.node_id]
    if outcome == "start":
        if driver.state.steps[step].status is StepStatus.QUEUED:
            driver.started(step)
        return
    if outcome == "hang":  # started, then never heard of again: only a timeout ends it
        if node.node.timeout is None:
            outcome = "retryable"
        else:
            if driver.state.steps[step].status is StepStatus.QUEUED:
                driver.started(step)
            driver.take(step)
            return
    if outcome == "lost":
        driver.lost(step)
    elif outcome in ("retryable", "flaky", "permanent"):
        after = timedelta(seconds=detail % 7) if detail % 3 == 0 else None
        driver.fail(
            step, "flaky" if outcome == "flaky" else "oops", retryable=outcome != "permanent", retry_after=after
        )
    elif outcome == "bad_next":
        driver.succeed(step, next_=["nowhere"])
    else:
        next_ = None
        if detail % 4 == 0 and node.successors:
            next_ = [s for i, s in enumerate(node.successors) if detail >> (i + 2) & 1]
        branches = [b for i, b in enumerate(BRANCHES) if detail >> i & 1] if node.node.kind == "condition" else None
        driver.succeed(step, detail, next_=next_, branches=branches)


def respond(driver: CheckedDriver, pick: int, choice: int, feedback: str = "again") -> None:
    """Answer one open task with one of the answers it takes."""
    keys = sorted(driver.tasks)
    task = driver.tasks[keys[pick % len(keys)]]
    action = task.actions[choice % len(task.actions)]
    values: dict[str, JsonValue] | None = {"ok": bool(choice % 2)} if action is TaskAction.SUBMIT else None
    driver.answer(task.step, action, values=values, feedback=feedback)


def finish(driver: CheckedDriver) -> None:
    """No more chaos: resume, answer everything with success, fire every timer, approve every task."""
    for _ in range(100):
        if driver.state.status is RunStatus.PAUSED:
            driver.send(RunResumed())
        driver.run(fake_handler)
        if not driver.tasks or driver.state.status.terminal:
            break
        respond(driver, 0, 0)  # approve or submit: the first answer a task takes
    check_state(driver)
    check_end(driver)


def roll_back(driver: CheckedDriver, pick: int) -> None:
    """A rollback to a node that ran; refused (and nothing changed) when the run cannot take it."""
    started = sorted({s.node_id for s in driver.state.steps.values()})
    if not started:
        return
    before = driver.state
    try:
        driver.send(RunRolledBack(rollback=f"rb{len(driver.log)}", node=started[pick % len(started)]))
    except ConflictError:
        assert driver.state is before


class EngineMachine(RuleBasedStateMachine):
    driver: CheckedDriver

    @initialize(data=pipelines())
    def start(self, data: dict[str, Any]) -> None:
        self.driver = new_driver(data)

    @precondition(lambda self: bool(self.driver.inflight))
    @rule(pick=st.integers(0, 99), outcome=st.sampled_from(OUTCOMES), detail=st.integers(0, 255))
    def answer(self, pick: int, outcome: str, detail: int) -> None:
        answer(self.driver, pick, outcome, detail)

    @precondition(lambda self: bool(self.driver.timers))
    @rule()
    def fire_timer(self) -> None:
        self.driver.fire_next_timer()

    @precondition(lambda self: self.driver.state.status is RunStatus.RUNNING)
    @rule()
    def pause(self) -> None:
        self.driver.send(RunPaused(by="prop"))

    @precondition(lambda self: self.driver.state.status is RunStatus.PAUSED)
    @rule()
    def resume(self) -> None:
        self.driver.send(RunResumed())

    @precondition(lambda self: bool(self.driver.tasks))
    @rule(pick=st.integers(0, 99), choice=st.integers(0, 5))
    def answer_task(self, pick: int, choice: int) -> None:
        respond(self.driver, pick, choice)

    @precondition(lambda self: self.driver.state.status is not RunStatus.PENDING)
    @rule(pick=st.integers(0, 99))
    def rollback(self, pick: int) -> None:
        roll_back(self.driver, pick)

    @precondition(lambda self: not self.driver.cancelled and not self.driver.state.status.terminal)
    @rule()
    def cancel(self) -> None:
        self.driver.cancelled = True
        self.driver.send(RunCancelled(reason="prop"))

    @precondition(lambda self: any(isinstance(e, STEP_EVENTS) for e, _ in self.driver.log))
    @rule(pick=st.integers(0, 999))
    def duplicate(self, pick: int) -> None:
        """At-least-once delivery: an old step event again changes nothing."""
        old = [e for e, _ in self.driver.log if isinstance(e, STEP_EVENTS)]
        steps = self.driver.state.steps
        transition = self.driver.send(old[pick % len(old)])
        assert transition.commands == () and transition.state.steps == steps

    @rule(pick=st.integers(0, 99), attempt=st.integers(50, 60))
    def stray(self, pick: int, attempt: int) -> None:
        """An event for an attempt that was never dispatched (or a step that never ran) is ignored."""
        keys = sorted(self.driver.plan.nodes)
        steps = self.driver.state.steps
        transition = self.driver.send(StepSucceeded(step=keys[pick % len(keys)], attempt=attempt))
        assert transition.commands == () and transition.state.steps == steps

    @invariant()
    def consistent(self) -> None:
        check_state(self.driver)

    def teardown(self) -> None:
        if hasattr(self, "driver"):
            finish(self.driver)


EngineMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestEngineMachine = EngineMachine.TestCase


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=pipelines(), choices=st.data())
def test_random_outcomes_until_no_work_remains(data: dict[str, Any], choices: st.DataObject) -> None:
    """Drive with random outcomes (and a pause or cancel now and then) until nothing is left to do."""
    driver = new_driver(data)
    for _ in range(300):
        check_state(driver)
        if not _people_or_control(driver, choices) and not _work(driver, choices):
            break
    finish(driver)


def _people_or_control(driver: CheckedDriver, choices: st.DataObject) -> bool:
    """Now and then a pause, resume, cancel, an answer to a task or a rollback; False when none was drawn."""
    status = driver.state.status
    if status is RunStatus.PAUSED and choices.draw(st.booleans()):
        driver.send(RunResumed())
    elif status is RunStatus.RUNNING and choices.draw(st.integers(0, 19)) == 0:
        driver.send(RunPaused())
    elif not driver.cancelled and not status.terminal and choices.draw(st.integers(0, 59)) == 0:
        driver.cancelled = True
        driver.send(RunCancelled())
    elif driver.tasks and choices.draw(st.integers(0, 2)) == 0:
        respond(driver, choices.draw(st.integers(0, 99)), choices.draw(st.integers(0, 5)))
    elif choices.draw(st.integers(0, 39)) == 0:
        roll_back(driver, choices.draw(st.integers(0, 99)))
    else:
        return False
    return True


def _work(driver: CheckedDriver, choices: st.DataObject) -> bool:
    """Answer a dispatch, fire a timer, resume, answer a task; False when nothing is left to do."""
    if driver.inflight:
        outcome = choices.draw(st.sampled_from(OUTCOMES))
        answer(driver, choices.draw(st.integers(0, 99)), outcome, choices.draw(st.integers(0, 255)))
    elif driver.timers:
        driver.fire_next_timer()
    elif driver.state.status is RunStatus.PAUSED:
        driver.send(RunResumed())
    elif driver.tasks:
        respond(driver, choices.draw(st.integers(0, 99)), choices.draw(st.integers(0, 5)))
    else:
        return False
    return True
