"""Alembic environment: the engine comes from the caller (lockgate.store.migrate)."""

from __future__ import annotations

from alembic import context

from lockgate.store import child_tables, flow_tables, security_tables  # noqa: F401 - registers their tables on metadata
from lockgate.store.tables import metadata

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
