"""A draft run's pins are kept with its request (``run_options.pins``).

A start that flow control deferred, or that was lost with its process, still takes them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("run_options") as batch:
        batch.add_column(sa.Column("pins", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("run_options") as batch:
        batch.drop_column("pins")
