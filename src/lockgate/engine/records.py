"""Values shared by events, commands and the state: artifacts as recorded, runs referred to, reused steps."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, JsonValue

__all__ = ["ArtifactRecord", "ExpressionBudgets", "ReusedStep", "RunRef"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class ArtifactRecord(BaseModel):
    """A file a step produced, as promoted: path relative to the run folder."""

    model_config = _FROZEN
    name: str
    path: str
    size: int
    sha256: str
    media_type: str
    source: str | None = None  # the artifact of an earlier run this one reuses (extend), by id


class RunRef(BaseModel):
    """Another run of the same pipeline: the one a run extends."""

    model_config = _FROZEN
    run_id: str
    number: int


class ReusedStep(BaseModel):
    """What an extending run takes over from a step of the run it extends, instead of running it."""

    model_config = _FROZEN
    output: JsonValue = None
    next: list[str] | None = None
    branches: list[str] | None = None
    artifacts: list[ArtifactRecord] = Field(default_factory=list)  # linked into the new run's folder


class ExpressionBudgets(BaseModel):
    """The counted budgets of a run's templates, as they were when it started: its replays count the same."""

    model_config = _FROZEN
    max_iterations: int
    max_bytes: int
