"""Credential grants (which pipelines may use a credential), allowed hosts, and the audit of each use."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, select

from lockgate.errors import NotFoundError
from lockgate.store.security_tables import credential_grants, credential_hosts, credential_uses
from lockgate.store.tables import credentials

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "CredentialPolicy",
    "CredentialUseRecord",
    "UseRow",
    "add_grants",
    "list_uses",
    "policies",
    "record_uses",
    "remove_grants",
    "set_grants",
    "set_hosts",
]


@dataclass(frozen=True, slots=True)
class CredentialPolicy:
    """Who may use a credential and where it may be sent."""

    name: str
    pipelines: tuple[str, ...]
    allowed_hosts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UseRow:
    """One use to record: a credential handed to an attempt (``node``), signing a notification, a model's key."""

    credential: str
    purpose: str
    pipeline: str
    run_id: str
    step_key: str
    node_id: str
    attempt: int


@dataclass(frozen=True, slots=True)
class CredentialUseRecord:
    id: int
    credential: str
    purpose: str
    pipeline: str
    run_id: str
    step_key: str
    node_id: str
    attempt: int
    used_at: datetime


def _id_of(conn: Connection, name: str) -> str:
    found = conn.execute(select(credentials.c.id).where(credentials.c.name == name)).scalar()
    if found is None:
        raise NotFoundError("credential", name)
    return str(found)


def policies(conn: Connection, names: Iterable[str] | None = None) -> dict[str, CredentialPolicy]:
    """The policy of each existing credential of ``names`` (None: of every credential)."""
    query = select(credentials.c.id, credentials.c.name)
    if names is not None:
        query = query.where(credentials.c.name.in_(sorted(set(names))))
    by_id = {row.id: row.name for row in conn.execute(query)}
    if not by_id:
        return {}
    grants: dict[str, list[str]] = defaultdict(list)
    hosts: dict[str, list[str]] = defaultdict(list)
    ids = list(by_id)
    for row in conn.execute(select(credential_grants.c.credential_id, credential_grants.c.pipeline)
                            .where(credential_grants.c.credential_id.in_(ids))):  # fmt: skip
        grants[row.credential_id].append(row.pipeline)
    for row in conn.execute(select(credential_hosts.c.credential_id, credential_hosts.c.pattern)
                            .where(credential_hosts.c.credential_id.in_(ids))):  # fmt: skip
        hosts[row.credential_id].append(row.pattern)
    return {
        name: CredentialPolicy(name, tuple(sorted(grants[i])), tuple(sorted(hosts[i]))) for i, name in by_id.items()
    }


def set_grants(conn: Connection, name: str, pipelines: Sequence[str], by: str | None, now: datetime) -> None:
    """Exactly these pipelines may use the credential (grants kept keep their date and author)."""
    credential_id = _id_of(conn, name)
    wanted = set(pipelines)
    conn.execute(delete(credential_grants).where(credential_grants.c.credential_id == credential_id,
                                                 credential_grants.c.pipeline.not_in(sorted(wanted))))  # fmt: skip
    _insert_grants(conn, credential_id, wanted, by, now)


def add_grants(conn: Connection, name: str, pipelines: Sequence[str], by: str | None, now: datetime) -> None:
    _insert_grants(conn, _id_of(conn, name), set(pipelines), by, now)


def _insert_grants(conn: Connection, credential_id: str, wanted: set[str], by: str | None, now: datetime) -> None:
    have = set(conn.execute(select(credential_grants.c.pipeline)
                            .where(credential_grants.c.credential_id == credential_id)).scalars())  # fmt: skip
    rows = [{"credential_id": credential_id, "pipeline": p, "granted_by": by, "granted_at": now}
            for p in sorted(wanted - have)]  # fmt: skip
    if rows:
        conn.execute(credential_grants.insert(), rows)


def remove_grants(conn: Connection, name: str, pipelines: Sequence[str]) -> None:
    credential_id = _id_of(conn, name)
    conn.execute(delete(credential_grants).where(credential_grants.c.credential_id == credential_id,
                                                 credential_grants.c.pipeline.in_(sorted(set(pipelines)))))  # fmt: skip


def set_hosts(conn: Connection, name: str, patterns: Sequence[str]) -> None:
    """Exactly these host patterns (already normalised) may receive the credential from an http node."""
    credential_id = _id_of(conn, name)
    conn.execute(delete(credential_hosts).where(credential_hosts.c.credential_id == credential_id))
    rows = [{"credential_id": credential_id, "pattern": p} for p in sorted(set(patterns))]
    if rows:
        conn.execute(credential_hosts.insert(), rows)


def record_uses(conn: Connection, uses: Sequence[UseRow], now: datetime) -> None:
    if uses:
        conn.execute(credential_uses.insert(), [{**_fields(u), "used_at": now} for u in uses])


def _fields(use: UseRow) -> dict[str, Any]:
    return {"credential": use.credential, "purpose": use.purpose, "pipeline": use.pipeline, "run_id": use.run_id,
            "step_key": use.step_key, "node_id": use.node_id, "attempt": use.attempt}  # fmt: skip


def list_uses(
    conn: Connection, credential: str | None, run_id: str | None, before: int | None, limit: int
) -> list[CredentialUseRecord]:
    """Uses, newest first; ``before``: an id from the previous page."""
    query = select(credential_uses).order_by(credential_uses.c.id.desc()).limit(limit)
    if credential is not None:
        query = query.where(credential_uses.c.credential == credential)
    if run_id is not None:
        query = query.where(credential_uses.c.run_id == run_id)
    if before is not None:
        query = query.where(credential_uses.c.id < before)
    return [CredentialUseRecord(r.id, r.credential, r.purpose, r.pipeline, r.run_id, r.step_key, r.node_id,
                                r.attempt, r.used_at) for r in conn.execute(query)]  # fmt: skip
