"""Flow control of a pipeline: how many of its runs may be open at once, per key, and what happens beyond."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from lockgate.spec.fields import JSON_INTEGER, Template

__all__ = ["Concurrency", "ConcurrencyPolicy"]


class ConcurrencyPolicy(StrEnum):
    """What a run beyond ``max_runs`` does."""

    QUEUE = "queue"  # created, waits (status queued) and starts when a slot frees, first come first served
    CANCEL_NEWEST = "cancel_newest"  # refused: the new run is not created
    CANCEL_OLDEST = "cancel_oldest"  # the oldest open run with the key is cancelled to make room


class Concurrency(BaseModel):
    """A limit on the runs of a pipeline open at once (pending, running or paused), held by the database.

    Attributes:
        max_runs: runs open at once per key value.
        key: a template over the run's input (``{{ input.customer }}``); runs whose keys render equal share
            a limit. None: every run of the pipeline shares one.
        policy: ``queue`` (default), ``cancel_newest`` or ``cancel_oldest``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_runs: Annotated[int, Field(ge=1, le=100_000), JSON_INTEGER] = Field(
        description="runs open at once per key value"
    )
    key: Template | None = Field(
        default=None, max_length=1000, description="a template over the input; equal keys share the limit"
    )
    policy: ConcurrencyPolicy = ConcurrencyPolicy.QUEUE
