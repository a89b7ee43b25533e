"""Alembic, driven from code: ``upgrade`` on first start and by ``lockgate db upgrade``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

if TYPE_CHECKING:
    from lockgate.store.database import Database

__all__ = ["alembic_config", "current_revision", "head_revision", "upgrade"]

_HERE = Path(__file__).parent


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE / "migrations"))
    config.attributes["engine"] = db.engine
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    command.upgrade(alembic_config(db), revision)


def head_revision(db: Database) -> str | None:
    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
