"""Per-node policies: retry, errors, joins, review by people."""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, model_validator

from lockgate.spec.fields import JSON_INTEGER, Duration, Identifier, Template

__all__ = ["ASSIGNEE_ROLES", "DeadlineAction", "Join", "OnError", "RetryPolicy", "ReviewPolicy"]

# Roles that may answer human tasks (a viewer only reads): ``role:<name>`` in ``assignees``.
ASSIGNEE_ROLES = ("operator", "editor", "admin")
_ASSIGNEE = re.compile(r"^(?:role:(?:operator|editor|admin)|[A-Za-z0-9_.@-]{1,200})$")


class OnError(StrEnum):
    """What a failed step (retries exhausted) does to the run."""

    FAIL = "fail"
    CONTINUE = "continue"
    BRANCH = "branch"  # route to the node's edges labelled ``branch: error``


class Join(StrEnum):
    """When a node with several incoming edges becomes ready."""

    ALL = "all"
    ANY = "any"


class RetryPolicy(BaseModel):
    """How often and how soon a failed attempt is tried again.

    Attributes:
        max_attempts: attempts in all, the first included.
        initial_delay: wait before the second attempt.
        factor: each further wait is multiplied by this.
        max_delay: cap on any one wait.
        jitter: fraction (0-1) of each wait varied deterministically per attempt.
        retry_on: error kinds that may be retried; empty means every retryable error.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: Annotated[int, Field(ge=1, le=100), JSON_INTEGER] = 1
    initial_delay: Duration = timedelta(seconds=1)
    factor: StrictFloat = Field(default=2.0, ge=1.0, le=10.0)
    max_delay: Duration = timedelta(minutes=5)
    jitter: StrictFloat = Field(default=0.1, ge=0.0, le=1.0)
    retry_on: tuple[str, ...] = ()


class DeadlineAction(StrEnum):
    """What happens when a human task is still open at its deadline."""

    REJECT = "reject"  # the step fails with error kind ``rejected`` (then ``on_error`` applies)
    APPROVE = "approve"  # approved as it stands (a form is submitted with its defaults)
    NOTIFY = "notify"  # POST the task to ``notify_url``; the task stays open


class ReviewPolicy(BaseModel):
    """People approve a step before it starts and/or before it counts as done, and may send it back.

    Attributes:
        approve_start: a person approves before the step's first attempt is dispatched.
        approve_complete: a person reviews each finished attempt (its output and artifacts) and
            approves it, requests a revision with feedback (the step runs again and sees the
            feedback), or rejects it.
        max_revisions: revision requests allowed; after that only approve and reject remain.
        assignees: who may answer: user names, or ``role:<role>`` (that role or a higher one).
            Empty: any operator. Admins may answer every task.
        instructions: Markdown shown with the task (a template).
        deadline: how long a task may stay open, counted from when it opened.
        on_deadline: what happens at the deadline.
        notify_url: where ``on_deadline: notify`` POSTs the task (JSON).
        notify_attempts: deliveries tried at most (a failure is an error, a non-2xx answer or no answer
            within 10 s).
        notify_backoff: the wait before the second delivery; it doubles after each failure (at most 1 h).
        notify_secret: a credential whose value signs each delivery:
            ``X-Lockgate-Signature: sha256=<hex HMAC-SHA256 of the body>``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    approve_start: StrictBool = False
    approve_complete: StrictBool = False
    max_revisions: Annotated[int, Field(ge=0, le=100), JSON_INTEGER] = 3
    assignees: list[str] = Field(default_factory=list, examples=[["alice", "role:editor"]])
    instructions: Template | None = Field(default=None, json_schema_extra={"format": "markdown"})
    deadline: Duration | None = None
    on_deadline: DeadlineAction = DeadlineAction.REJECT
    notify_url: str | None = Field(default=None, pattern=r"^https?://")
    notify_attempts: Annotated[int, Field(ge=1, le=20), JSON_INTEGER] = 5
    notify_backoff: Duration = timedelta(seconds=30)
    notify_secret: Identifier | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ReviewPolicy:
        wrong = [a for a in self.assignees if not _ASSIGNEE.match(a)]
        if wrong:
            raise ValueError(f"assignees: {wrong} are neither user names nor role:operator|editor|admin")
        if self.on_deadline is DeadlineAction.NOTIFY and self.notify_url is None:
            raise ValueError("on_deadline: notify needs a notify_url")
        if self.on_deadline is not DeadlineAction.REJECT and self.deadline is None:
            raise ValueError(f"on_deadline: {self.on_deadline.value} needs a deadline")
        return self
