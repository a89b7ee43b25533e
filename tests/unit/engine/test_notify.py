"""Deadline notifications in the pure core: delivered once, retried with backoff, bounded, lost ones re-sent."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.engine.driver import Driver, edge, node, plan_of

from lockgate.engine import (
    DeadlineNotificationAttempted,
    HumanTaskAnswered,
    NotifyDeadline,
    StepStatus,
    TaskAction,
    TimerPurpose,
)

URL = "http://127.0.0.1:9/hook"


def notifying(attempts: int = 4, backoff: str = "10s") -> Driver:
    review = {"approve_complete": True, "deadline": "1h", "on_deadline": "notify", "notify_url": URL,
              "notify_attempts": attempts, "notify_backoff": backoff, "notify_secret": "hook-key"}  # fmt: skip
    plan = plan_of([node("draft", review=review), node("b")], [edge("draft", "b")])
    driver = Driver.start(plan)
    driver.succeed("draft", "v1")
    return driver


def sent(driver: Driver) -> list[NotifyDeadline]:
    return [c for c in driver.commands if isinstance(c, NotifyDeadline)]


def report(driver: Driver, notice: NotifyDeadline, *, delivered: bool) -> None:
    driver.send(DeadlineNotificationAttempted(task=notice.task, step=notice.step, delivery=notice.delivery, url=URL,
                                              delivered=delivered, status_code=200 if delivered else 503))  # fmt: skip


def test_a_failed_delivery_is_retried_after_a_doubling_backoff_until_delivered() -> None:
    driver = notifying(backoff="10s")
    driver.fire_next_timer()  # the deadline
    (first,) = sent(driver)
    assert (first.delivery, first.deliveries, first.secret) == (1, 4, "hook-key")
    failed_at = driver.now + timedelta(seconds=1)
    report(driver, first, delivered=False)
    due = [t for t in driver.timers if t.purpose is TimerPurpose.NOTIFY]
    assert {t.attempt for t in due} == {2} and min(t.fire_at for t in due) == failed_at + timedelta(seconds=10)
    driver.fire_next_timer()
    second = sent(driver)[-1]
    assert second.delivery == 2
    report(driver, second, delivered=False)
    third_due = [t for t in driver.timers if t.purpose is TimerPurpose.NOTIFY and t.attempt == 3]
    assert min(t.fire_at for t in third_due) == driver.now + timedelta(seconds=20)  # doubled
    while driver.fire_next_timer() is not None and len(sent(driver)) < 3:
        pass
    third = sent(driver)[-1]
    report(driver, third, delivered=True)
    while driver.fire_next_timer() is not None:
        pass
    assert [n.delivery for n in sent(driver)] == [1, 2, 3]
    assert driver.status("draft") is StepStatus.WAITING  # a notification leaves the task open


def test_a_delivery_whose_report_never_comes_is_sent_again_by_the_watchdog() -> None:
    driver = notifying(attempts=2)
    driver.fire_next_timer()
    driver.fire_next_timer()  # no report: the process died mid-POST
    assert [n.delivery for n in sent(driver)] == [1, 2]
    while driver.fire_next_timer() is not None:
        pass
    assert len(sent(driver)) == 2  # bounded


def test_answering_the_task_stops_the_retries() -> None:
    driver = notifying()
    driver.fire_next_timer()
    report(driver, sent(driver)[0], delivered=False)
    task = driver.tasks["draft"].task
    driver.send(HumanTaskAnswered(task=task, step="draft", action=TaskAction.APPROVE, by="ann"))
    while driver.fire_next_timer() is not None:
        pass
    assert len(sent(driver)) == 1 and driver.status("draft") is StepStatus.SUCCEEDED


@settings(max_examples=150, deadline=None)
@given(
    attempts=st.integers(1, 6),
    outcomes=st.lists(st.sampled_from(["delivered", "failed", "lost", "late"]), min_size=1, max_size=10),
)
def test_deliveries_are_numbered_bounded_and_stop_once_delivered(attempts: int, outcomes: list[str]) -> None:
    driver = notifying(attempts=attempts, backoff="5s")
    driver.fire_next_timer()
    for outcome in outcomes:  # the n-th outcome answers delivery n
        notices = sent(driver)
        if outcome in {"delivered", "failed"}:
            report(driver, notices[-1], delivered=outcome == "delivered")
        elif outcome == "late" and len(notices) > 1:  # a report of an earlier delivery, arriving late
            report(driver, notices[-2], delivered=True)
        while len(sent(driver)) == len(notices) and driver.fire_next_timer() is not None:
            pass
        if len(sent(driver)) == len(notices):
            break
    while driver.fire_next_timer() is not None:
        pass
    numbers = [n.delivery for n in sent(driver)]
    assert numbers == list(range(1, len(numbers) + 1))
    assert 1 <= len(numbers) <= attempts
    delivered = [i for i, o in enumerate(outcomes[: len(numbers)]) if o == "delivered"]
    if delivered:
        assert len(numbers) == delivered[0] + 1  # nothing after the first delivered report
    elif len(outcomes) >= attempts:
        assert len(numbers) == attempts  # every failure or loss retried, up to the bound
    assert driver.status("draft") is StepStatus.WAITING
