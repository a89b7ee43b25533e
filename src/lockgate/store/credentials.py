"""Credentials: named secrets stored only as Fernet ciphertext; reads return metadata unless asked to reveal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, select, update

from lockgate.errors import ConflictError, InvalidInputError, NotFoundError
from lockgate.security.redaction import MIN_SECRET_LENGTH
from lockgate.store.credential_grants import policies
from lockgate.store.ids import new_id
from lockgate.store.security_tables import credential_grants, credential_hosts
from lockgate.store.tables import credentials

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lockgate.security.credentials import CredentialCipher

__all__ = [
    "CredentialRecord",
    "create_credential",
    "delete_credential",
    "get_credential",
    "list_credentials",
    "reveal_all",
    "reveal_credentials",
    "rotate_credentials",
    "update_credential",
]


@dataclass(frozen=True, slots=True)
class CredentialRecord:
    """What may be shown about a credential: never its value."""

    id: str
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime
    pipelines: tuple[str, ...] = ()  # granted: the pipelines whose nodes may use it
    allowed_hosts: tuple[str, ...] = ()  # where an http node may send it


_METADATA = select(credentials.c.id, credentials.c.name, credentials.c.description, credentials.c.created_at,
                   credentials.c.updated_at)  # fmt: skip


def _records(conn: Connection, rows: list[Any]) -> list[CredentialRecord]:  # Rows of _METADATA
    policy = policies(conn, [r.name for r in rows]) if rows else {}
    return [CredentialRecord(r.id, r.name, r.description, r.created_at, r.updated_at, policy[r.name].pipelines,
                             policy[r.name].allowed_hosts) for r in rows]  # fmt: skip


def _check_value(value: str) -> None:
    # A short value's forms (base64, hex…) would match ordinary text: it could not be redacted safely.
    if len(value) < MIN_SECRET_LENGTH:
        raise InvalidInputError([f"value: at least {MIN_SECRET_LENGTH} characters (shorter ones cannot be redacted "
                                 "from what steps write without redacting ordinary text)"])  # fmt: skip


def create_credential(
    conn: Connection, cipher: CredentialCipher, name: str, value: str, description: str | None, now: datetime
) -> CredentialRecord:
    if conn.execute(select(credentials.c.id).where(credentials.c.name == name)).first() is not None:
        raise ConflictError(f"credential {name!r} already exists")
    _check_value(value)
    row = {"id": new_id(), "name": name, "description": description, "ciphertext": cipher.encrypt(value)}
    conn.execute(credentials.insert().values(**row, created_at=now, updated_at=now))
    return get_credential(conn, name)


def get_credential(conn: Connection, name: str) -> CredentialRecord:
    row = conn.execute(_METADATA.where(credentials.c.name == name)).first()
    if row is None:
        raise NotFoundError("credential", name)
    return _records(conn, [row])[0]


def list_credentials(conn: Connection) -> list[CredentialRecord]:
    return _records(conn, list(conn.execute(_METADATA.order_by(credentials.c.name))))


def update_credential(
    conn: Connection, cipher: CredentialCipher, name: str, value: str, description: str | None, now: datetime
) -> CredentialRecord:
    """A new value; the description changes only when one is given."""
    if conn.execute(select(credentials.c.id).where(credentials.c.name == name)).first() is None:
        raise NotFoundError("credential", name)
    _check_value(value)
    values: dict[str, Any] = {"ciphertext": cipher.encrypt(value), "updated_at": now}
    if description is not None:
        values["description"] = description
    if conn.execute(update(credentials).where(credentials.c.name == name).values(**values)).rowcount == 0:
        raise NotFoundError("credential", name)
    return get_credential(conn, name)


def delete_credential(conn: Connection, name: str) -> None:
    """The credential, its grants and host patterns (its uses stay in the audit)."""
    found = select(credentials.c.id).where(credentials.c.name == name).scalar_subquery()
    conn.execute(delete(credential_grants).where(credential_grants.c.credential_id == found))
    conn.execute(delete(credential_hosts).where(credential_hosts.c.credential_id == found))
    if conn.execute(delete(credentials).where(credentials.c.name == name)).rowcount == 0:
        raise NotFoundError("credential", name)


def reveal_credentials(conn: Connection, cipher: CredentialCipher, names: Iterable[str]) -> dict[str, str]:
    """The plaintext of those of ``names`` that exist (for the executor only; the caller checks for missing ones)."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    rows = conn.execute(select(credentials.c.name, credentials.c.ciphertext).where(credentials.c.name.in_(wanted)))
    return {row.name: cipher.decrypt(row.ciphertext, row.name) for row in rows}


def reveal_all(conn: Connection, cipher: CredentialCipher) -> dict[str, str]:
    """Every credential's plaintext: for redacting what is served (a second net under write-time redaction)."""
    rows = conn.execute(select(credentials.c.name, credentials.c.ciphertext))
    return {row.name: cipher.decrypt(row.ciphertext, row.name) for row in rows}


def rotate_credentials(conn: Connection, cipher: CredentialCipher) -> int:
    """Re-encrypt every credential with the newest key; how many were rewritten (the values, so updated_at, stay)."""
    rows = list(conn.execute(select(credentials.c.id, credentials.c.name, credentials.c.ciphertext)))
    for row in rows:
        conn.execute(update(credentials).where(credentials.c.id == row.id)
                     .values(ciphertext=cipher.rotate(row.ciphertext, row.name)))  # fmt: skip
    return len(rows)
