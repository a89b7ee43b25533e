"""Per-node policies: retry, errors, joins."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from lockgate.spec.fields import Duration

__all__ = ["Join", "OnError", "RetryPolicy"]


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

    max_attempts: int = Field(default=1, ge=1, le=100)
    initial_delay: Duration = timedelta(seconds=1)
    factor: float = Field(default=2.0, ge=1.0, le=10.0)
    max_delay: Duration = timedelta(minutes=5)
    jitter: float = Field(default=0.1, ge=0.0, le=1.0)
    retry_on: tuple[str, ...] = ()
