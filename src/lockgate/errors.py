"""The Lockgate error tree: one stable ``code`` per class, mapped to HTTP and CLI exits at the edges."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime, timedelta

__all__ = [
    "SLUG_PATTERN",
    "AlreadyRevokedError",
    "AmbiguousIdError",
    "ConflictError",
    "DefinitionError",
    "DefinitionErrors",
    "DuplicateDeliveryError",
    "InvalidInputError",
    "InvalidTransitionError",
    "LockgateError",
    "MissingExtraError",
    "NotFoundError",
    "PermanentStepError",
    "PermissionDeniedError",
    "RetryableStepError",
    "StaleFenceError",
    "StepError",
    "TaskAnswerError",
    "TaskClosedError",
    "UnavailableError",
    "validation_message",
]


class LockgateError(Exception):
    """Base of every error Lockgate raises on purpose."""

    code = "lockgate_error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class DefinitionError(LockgateError):
    """A pipeline definition problem, pointing at the node and field concerned."""

    code = "definition_error"

    def __init__(
        self, detail: str, node_id: str | None = None, field: str | None = None, *, line: int | None = None
    ) -> None:
        super().__init__(detail)
        self.node_id = node_id
        self.field = field
        self.line = line  # in the YAML text the definition was read from, when it was

    def __str__(self) -> str:
        where = ".".join(p for p in (self.node_id, self.field) if p)
        return f"{where}: {self.detail}" if where else self.detail


class DefinitionErrors(LockgateError):  # noqa: N818 - holds many DefinitionError; the plural says so
    """Every problem of one definition, reported at once."""

    code = "definition_errors"

    def __init__(self, errors: list[DefinitionError], *, source: str | None = None) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors
        self.source = source  # the file the definition was read from, when it was


# "values.headline: required": a field path (no spaces) before the first ": "; "model profile 'x': …" has none.
_FIELD_FIRST = re.compile(r"([A-Za-z_][\w.\[\]-]*): (.+)", re.DOTALL)


class InvalidInputError(LockgateError):
    """A run's input does not match the pipeline's declared input fields.

    Each problem is written ``field: message`` (as the CLI prints it); ``parts`` gives the field and a
    message that reads on its own, as the API sends them.
    """

    code = "invalid_input"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems

    def parts(self) -> list[tuple[str | None, str]]:
        """Each problem as (field or None, its message without the field)."""
        found = [_FIELD_FIRST.fullmatch(p) for p in self.problems]
        return [(m[1], m[2]) if m else (None, p) for m, p in zip(found, self.problems, strict=True)]


class NotFoundError(LockgateError):
    code = "not_found"

    def __init__(self, kind: str, id: str) -> None:
        super().__init__(f"{kind} {id!r} not found")
        self.kind = kind
        self.id = id


class AmbiguousIdError(LockgateError):
    """A short id (a prefix, as git takes one) that starts more than one id: the candidates say which to give."""

    code = "ambiguous_id"

    def __init__(self, kind: str, prefix: str, candidates: list[str], more: bool) -> None:
        listed = ", ".join(candidates) + (", …" if more else "")
        super().__init__(f"{kind} {prefix!r} is ambiguous: it starts {listed}; give more characters")
        self.kind = kind
        self.prefix = prefix
        self.candidates = candidates


class ConflictError(LockgateError):
    code = "conflict"


class AlreadyRevokedError(ConflictError):
    """Revoking a key revoked before: 409 rather than a silent success, so a script learns the key was not live."""

    code = "already_revoked"

    def __init__(self, key_id: str, revoked_at: datetime) -> None:
        super().__init__(f"api key {key_id!r} is already revoked (since {revoked_at:%Y-%m-%d %H:%M:%S} UTC)")
        self.key_id = key_id


class InvalidTransitionError(ConflictError):
    code = "invalid_transition"

    def __init__(self, run_id: str, status: str, event: str) -> None:
        super().__init__(f"run {run_id} is {status}: {event} is not allowed")
        self.run_id = run_id
        self.status = status
        self.event = event


class DuplicateDeliveryError(ConflictError):
    """A webhook delivery received before (within the signature window): it started ``run_id`` then."""

    code = "duplicate_delivery"

    def __init__(self, detail: str, run_id: str | None) -> None:
        super().__init__(detail)
        self.run_id = run_id


class PermissionDeniedError(LockgateError):
    code = "permission_denied"


class UnavailableError(LockgateError):
    code = "unavailable"


class StaleFenceError(ConflictError):
    """A result from a worker whose claim on the attempt is gone (lease expired, attempt lost): never applied."""

    code = "stale_fence"

    def __init__(self, run_id: str, step: str, attempt: int, fence: int, current: int) -> None:
        now = "the attempt is no longer running" if current < 0 else f"the current fence is {current}"
        super().__init__(f"ignored a result for run {run_id} step {step}#{attempt}: fence {fence} is stale ({now})")


class MissingExtraError(LockgateError):
    code = "missing_extra"

    def __init__(self, extra: str) -> None:
        super().__init__(f"this needs an optional extra: pip install 'lockgate[{extra}]'")
        self.extra = extra


class StepError(LockgateError):
    """Raised by handlers only; the runtime turns it into StepFailed data."""

    code = "step_error"
    retryable = False

    def __init__(self, kind: str, detail: str | None = None) -> None:
        super().__init__(detail or kind)
        self.kind = kind


class RetryableStepError(StepError):
    retryable = True

    def __init__(self, kind: str, detail: str | None = None, retry_after: timedelta | None = None) -> None:
        super().__init__(kind, detail)
        self.retry_after = retry_after


class PermanentStepError(StepError):
    retryable = False


class TaskClosedError(ConflictError):
    """A human task that is no longer open was answered (answered already, cancelled, or superseded)."""

    code = "task_closed"

    def __init__(self, task: str) -> None:
        super().__init__(f"human task {task} is not open: it was answered already, cancelled or superseded")
        self.task = task


class TaskAnswerError(ConflictError):
    """An answer this task does not take now (e.g. a revision after max_revisions, or submit on an approval)."""

    code = "answer_not_allowed"


# Names people choose (node ids, pipelines, credentials, profiles); said in words where a value does not match.
SLUG_PATTERN = r"^[a-z][a-z0-9_-]{0,62}$"
_PATTERN_WORDS = {SLUG_PATTERN: "lowercase letters, digits, - and _, starting with a letter (at most 63)"}


def validation_message(error: Mapping[str, object]) -> str:
    """A Pydantic error's message in words: no "Value error, " prefix, a known pattern said instead of shown."""
    ctx = error.get("ctx")
    if error.get("type") == "value_error" and isinstance(ctx, dict) and "error" in ctx:
        return str(ctx["error"])
    if (
        error.get("type") == "string_pattern_mismatch"
        and isinstance(ctx, dict)
        and ctx.get("pattern") in _PATTERN_WORDS
    ):
        return f"must be {_PATTERN_WORDS[str(ctx['pattern'])]}"
    return str(error.get("msg", ""))
