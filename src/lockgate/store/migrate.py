"""Alembic, driven from code: ``upgrade`` on first start and by ``lockgate db upgrade``.

Alembic (and its autogenerate and DDL machinery) costs a quarter of a second to import, and every command that
opens the database calls ``upgrade``. A database already at the head needs none of it: the head is read from the
migration files' ``revision``/``down_revision`` lines, the current revision from ``alembic_version``, and Alembic
is imported only when they differ (or when the files do not name a single head: then Alembic decides).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, inspect, select, text

if TYPE_CHECKING:
    from collections.abc import Iterator

    from alembic.config import Config

    from lockgate.store.database import Database

__all__ = ["alembic_config", "current_revision", "head_revision", "upgrade"]

_HERE = Path(__file__).parent
_VERSIONS = _HERE / "migrations" / "versions"
_REVISION = re.compile(r'^(down_revision|revision)\s*(?::[^=]*)?=\s*(None|"([^"]*)"|\'([^\']*)\')\s*$', re.MULTILINE)


def alembic_config(db: Database) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_HERE / "migrations"))
    config.attributes["engine"] = db.engine
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    if revision == "head" and (head := _file_head()) is not None and _current(db) == head:
        return
    from alembic import command

    with _migration_lock(db):
        # Another process may have migrated while this one waited: Alembic reads the version again either way.
        command.upgrade(alembic_config(db), revision)


# Any fixed 64-bit number, the same in every Lockgate process: the key of the advisory lock migrations take.
_MIGRATION_LOCK_KEY = int.from_bytes(b"lockgate", "big", signed=True)


@contextlib.contextmanager
def _migration_lock(db: Database) -> Iterator[None]:
    """One migrating process at a time.

    Servers and workers started together (``docker compose up``) all find an empty database, and two of them
    creating the same table would fail one. PostgreSQL: a session advisory lock on a connection of its own.
    SQLite: an exclusive ``flock`` on a file beside the database (the database's own write lock would be held on
    another connection than Alembic's, and Alembic commits per migration on SQLite).
    """
    if not db.is_sqlite:
        with db.engine.connect() as conn:
            conn.execute(select(func.pg_advisory_lock(_MIGRATION_LOCK_KEY)))
            conn.commit()
            try:
                yield
            finally:
                conn.execute(select(func.pg_advisory_unlock(_MIGRATION_LOCK_KEY)))
                conn.commit()
        return
    path = db.engine.url.database
    if not path or path == ":memory:":
        yield  # an in-memory database belongs to one process
        return
    with open(f"{path}.migrate-lock", "a+b") as lock:  # noqa: PTH123 - the database path, the operator's
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def head_revision(db: Database) -> str | None:
    head = _file_head()
    if head is not None:
        return head
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()


def current_revision(db: Database) -> str | None:
    """The database's revision: read from ``alembic_version`` when it holds one (``/ready`` asks on every probe)."""
    found = _current(db)
    if found is not None:
        return found
    from alembic.runtime.migration import MigrationContext  # none yet, or several heads: Alembic says what it is

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@functools.cache
def _file_head() -> str | None:
    """The one revision no other migration file revises; None when the files do not say plainly (Alembic decides)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in _VERSIONS.glob("*.py"):
        found = {m[0]: m[2] or m[3] for m in _REVISION.findall(path.read_text(encoding="utf-8"))}
        if "revision" not in found or "down_revision" not in found:
            return None  # a tuple of parents, a computed value: not for a regular expression
        revisions.add(found["revision"])
        if found["down_revision"]:
            revised.add(found["down_revision"])
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def _current(db: Database) -> str | None:
    """The database's one revision, or None (no version table yet, or several heads recorded)."""
    with db.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None
