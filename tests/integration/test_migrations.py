"""Alembic's ``upgrade head`` builds exactly the schema ``lockgate.store.tables`` declares, on both dialects."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from lockgate.store.database import Database
from lockgate.store.migrate import alembic_config, current_revision, head_revision, upgrade
from lockgate.store.tables import metadata

if TYPE_CHECKING:
    from pathlib import Path


def _diff(db: Database) -> list[Any]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return list(compare_metadata(context, metadata))


def test_upgrade_head_matches_the_declared_tables(database_url: str) -> None:
    db = Database(database_url)
    try:
        upgrade(db)
        assert current_revision(db) == head_revision(db)
        assert _diff(db) == []
        upgrade(db)  # a second upgrade is a no-op
        assert _diff(db) == []
        with db.engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
        assert set(metadata.tables) <= tables
        assert tables - set(metadata.tables) == {"alembic_version"}
    finally:
        db.dispose()


def test_every_revision_upgrades_and_downgrades_in_turn(database_url: str) -> None:
    """Step by step up, then down to nothing and up again: each migration has a working downgrade."""
    db = Database(database_url)
    try:
        config = alembic_config(db)
        revisions = [r.revision for r in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))]
        for revision in revisions:
            command.upgrade(config, revision)
            assert current_revision(db) == revision
        command.downgrade(config, "base")
        with db.engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
        upgrade(db)
        assert _diff(db) == []
    finally:
        db.dispose()


def test_the_head_read_from_the_files_is_alembics(database_url: str) -> None:
    db = Database(database_url)
    try:
        assert head_revision(db) == ScriptDirectory.from_config(alembic_config(db)).get_current_head()
    finally:
        db.dispose()


def test_upgrade_brings_an_older_database_to_head(database_url: str) -> None:
    """The fast path (nothing to do at head) does not skip a database one revision behind."""
    db = Database(database_url)
    try:
        config = alembic_config(db)
        command.upgrade(config, "head")
        command.downgrade(config, "-1")
        assert current_revision(db) != head_revision(db)
        upgrade(db)
        assert current_revision(db) == head_revision(db)
        assert _diff(db) == []
    finally:
        db.dispose()


def test_a_database_at_head_is_opened_without_alembic(database_url: str, tmp_path: Path) -> None:
    """Every command calls upgrade: at head it reads alembic_version and imports no Alembic (a quarter second)."""
    db = Database(database_url)
    try:
        upgrade(db)
    finally:
        db.dispose()
    probe = (
        "import sys; from lockgate.store.database import Database; from lockgate.store.migrate import upgrade\n"
        "db = Database(sys.argv[1]); upgrade(db); db.dispose()\n"
        "print(sorted(m for m in sys.modules if m == 'alembic' or m.startswith('alembic.')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, database_url], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_processes_starting_together_on_a_new_database_all_come_up(database_url: str, tmp_path: Path) -> None:
    """Five processes started at once (``docker compose up``) each upgrade the same empty database.

    One migrates, the others wait for it and find the database at head; none fails on a table already made.
    """
    go = tmp_path / "go"
    probe = (
        "import sys, time, pathlib\n"
        "from lockgate.store.database import Database; from lockgate.store.migrate import upgrade\n"
        "from alembic import command  # imported before the barrier, so all five reach upgrade() together\n"
        "db = Database(sys.argv[1]); go = pathlib.Path(sys.argv[2])\n"
        "while not go.exists(): time.sleep(0.005)\n"
        "upgrade(db); db.dispose()\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", probe, database_url, str(go)], cwd=tmp_path, stderr=subprocess.PIPE, text=True
        )
        for _ in range(5)
    ]
    go.touch()
    errors = [proc.communicate(timeout=120)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 5, "\n".join(errors)
    db = Database(database_url)
    try:
        assert current_revision(db) == head_revision(db)
        assert _diff(db) == []
    finally:
        db.dispose()
