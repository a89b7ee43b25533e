"""Credentials at the trust boundary: named only where granted, handed out per attempt, every use recorded.

Checked twice: when a definition is saved or validated (every credential a node names must be granted
to the pipeline: a definition error naming node and field), and when an attempt is dispatched (a grant
revoked since fails the step, permanently, before any value is read).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockgate.errors import DefinitionError, PermanentStepError
from lockgate.security.grants import AttemptSecrets, credential_uses
from lockgate.store import credentials as credential_store
from lockgate.store.credential_grants import CredentialPolicy, UseRow, policies, record_uses

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from sqlalchemy import Connection

    from lockgate.engine.commands import DispatchStep
    from lockgate.security.credentials import CredentialCipher
    from lockgate.spec.pipeline import PipelineSpec

__all__ = ["attempt_secrets", "credential_problems", "not_granted", "signing_secret"]


def not_granted(name: str, pipeline: str) -> str:
    return (f"credential {name!r} is not granted to pipeline {pipeline!r} (an admin grants it: "
            f"lockgate credentials grant {name} {pipeline})")  # fmt: skip


def _problem(name: str, pipeline: str, found: Mapping[str, CredentialPolicy]) -> str | None:
    policy = found.get(name)
    if policy is None:
        return f"credential {name!r} does not exist"
    if pipeline not in policy.pipelines:
        return not_granted(name, pipeline)
    return None


def credential_problems(conn: Connection, spec: PipelineSpec) -> list[DefinitionError]:
    """One error per place the definition names a credential that does not exist or is not granted to it."""
    uses = credential_uses(spec)
    if not uses:
        return []
    found = policies(conn, [u.name for u in uses])
    problems = []
    for use in uses:
        problem = _problem(use.name, spec.name, found)
        if problem is not None:
            problems.append(DefinitionError(problem, use.node_id, use.field))
    return problems


def attempt_secrets(conn: Connection, cipher: CredentialCipher, command: DispatchStep, now: datetime) -> AttemptSecrets:
    """The node's credentials, if each exists and is still granted; each handed out is recorded as a use."""
    names = list(dict.fromkeys(command.credentials))
    if not names:
        return AttemptSecrets()
    found = policies(conn, names)
    for name in names:
        if name not in found:  # the detail names the credential, never a value
            raise PermanentStepError("missing_credential", f"credential {name!r} is not defined")
        if command.pipeline not in found[name].pipelines:
            raise PermanentStepError("credential_not_granted", not_granted(name, command.pipeline))
    values = credential_store.reveal_credentials(conn, cipher, names)
    record_uses(conn, [UseRow(name, "node", command.pipeline, command.run_id, command.step, command.node_id,
                              command.attempt) for name in names], now)  # fmt: skip
    return AttemptSecrets(values, {name: found[name].allowed_hosts for name in names})


def signing_secret(
    conn: Connection, cipher: CredentialCipher, name: str, use: UseRow, now: datetime
) -> tuple[str | None, str | None]:
    """A notification's signing value, or why there is none (missing, not granted); recorded when given."""
    problem = _problem(name, use.pipeline, policies(conn, [name]))
    if problem is not None:
        return None, f"{problem} (review.notify_secret)"
    record_uses(conn, [use], now)
    return credential_store.reveal_credentials(conn, cipher, [name]).get(name), None
