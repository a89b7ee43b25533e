"""Run lists count each run's failed steps ("succeeded, 2 steps failed"): a partial index of failed steps by run.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_FAILED = sa.text("status = 'failed'")


def upgrade() -> None:
    op.create_index("ix_steps_failed", "steps", ["run_id"], sqlite_where=_FAILED, postgresql_where=_FAILED)


def downgrade() -> None:
    op.drop_index("ix_steps_failed", table_name="steps")
