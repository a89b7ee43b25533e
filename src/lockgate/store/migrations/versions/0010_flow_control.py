"""Flow control: a run's concurrency key and why a queued run waits.

Revision ID: 0010
Revises: 0009 (committed as 0008: another branch adds 0009; re-chained at merge)
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("concurrency_key", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("wait_reason", sa.Text(), nullable=True))
        batch.create_index("ix_runs_concurrency", ["pipeline_id", "concurrency_key", "status"])


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ix_runs_concurrency")
        batch.drop_column("wait_reason")
        batch.drop_column("concurrency_key")
