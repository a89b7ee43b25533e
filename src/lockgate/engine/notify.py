"""Deadline notifications: a task's ``on_deadline: notify`` POST, retried with backoff until delivered.

Each delivery is a ``NotifyDeadline`` command; whoever sends it reports how it ended as a
``DeadlineNotificationAttempted`` event (so every try is in the run's events). The state keeps when the
next delivery is due and a ``notify`` timer fires it: after a failure, the backoff; while a delivery is
in flight, a watchdog, so that a delivery lost with its process (no report ever comes) is sent again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from lockgate.engine.commands import NotifyDeadline, StartTimer
from lockgate.engine.events import DeadlineNotificationAttempted, TimerFired, TimerPurpose
from lockgate.engine.state import StepState, StepStatus

if TYPE_CHECKING:
    from lockgate.engine.draft import Draft
    from lockgate.spec.policies import ReviewPolicy

__all__ = ["WATCHDOG", "notification_attempted", "notify_timer_fired", "start_notifying"]

WATCHDOG = timedelta(minutes=2)  # far beyond a delivery's 10 s timeout: unreported by then, it was lost
_MAX_BACKOFF = timedelta(hours=1)


def _backoff(review: ReviewPolicy, failures: int) -> timedelta:
    wait: timedelta = review.notify_backoff * (2 ** (failures - 1))
    return min(wait, _MAX_BACKOFF)


def _send(d: Draft, step: StepState, review: ReviewPolicy, delivery: int) -> None:
    assert step.task is not None and step.task_opened_at is not None and review.deadline is not None  # noqa: S101
    assert review.notify_url is not None  # noqa: S101 - the policy insists on it for notify
    d.commands.append(NotifyDeadline(run_id=d.base.run_id, task=step.task, step=step.key, url=review.notify_url,
                                     deadline_at=step.task_opened_at + review.deadline, delivery=delivery,
                                     deliveries=review.notify_attempts, secret=review.notify_secret))  # fmt: skip
    next_at = d.now + WATCHDOG if delivery < review.notify_attempts else None
    _due(d, d.update(step, notified=True, notify_sent=delivery, notify_next_at=next_at))


def _due(d: Draft, step: StepState) -> None:
    if step.notify_next_at is not None:
        d.commands.append(StartTimer(run_id=d.base.run_id, step=step.key, attempt=step.notify_sent + 1,
                                     purpose=TimerPurpose.NOTIFY, fire_at=step.notify_next_at))  # fmt: skip


def start_notifying(d: Draft, step: StepState, review: ReviewPolicy) -> None:
    """The deadline passed: the first delivery (once per task: the deadline timer may fire twice)."""
    if not step.notified:
        _send(d, step, review, 1)


def _review(d: Draft, step: StepState | None) -> tuple[StepState, ReviewPolicy] | None:
    if not d.live or step is None or step.status is not StepStatus.WAITING or not step.notified:
        return None
    review = d.node(step.node_id).node.review
    if review is None or review.notify_url is None or review.deadline is None:
        return None
    return step, review


def notify_timer_fired(d: Draft, event: TimerFired) -> None:
    """The next delivery is due: send it unless it was sent, delivered or given up since the timer was set."""
    found = _review(d, d.steps.get(event.step))
    if found is None:
        return
    step, review = found
    due = step.notify_next_at
    if due is None or event.attempt != step.notify_sent + 1 or event.attempt > review.notify_attempts:
        return
    if due > d.now:  # an earlier setting of this timer (the watchdog before a longer backoff): keep the later
        _due(d, step)
        return
    _send(d, step, review, event.attempt)


def notification_attempted(d: Draft, event: DeadlineNotificationAttempted) -> None:
    """Recorded as it came; a failure of the latest delivery schedules the next one after the backoff."""
    found = _review(d, d.steps.get(event.step))
    if found is None or found[0].task != event.task or event.delivery != found[0].notify_sent:
        return  # a late report of an earlier delivery or of another task: nothing to decide
    step, review = found
    if event.delivered or event.delivery >= review.notify_attempts:
        d.update(step, notify_next_at=None)
        return
    _due(d, d.update(step, notify_next_at=d.now + _backoff(review, event.delivery)))
