"""Persistence: SQLAlchemy Core tables, one module per aggregate, Alembic migrations."""

from lockgate.store import budget_tables, child_tables, flow_tables  # noqa: F401 - registers their tables on metadata
from lockgate.store.database import Database
from lockgate.store.migrate import upgrade

__all__ = ["Database", "upgrade"]
