"""Model profiles know their server; model answers and turns whose usage was estimated say so.

What the server does: usage in streams, the output-cap field, structured output, concurrency, context
window, the last probe.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("model_profiles") as batch:
        batch.add_column(sa.Column("stream_usage", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("cap_field", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("output_mode", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("max_concurrency", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("context_window", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("probe", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("probed_at", sa.DateTime(timezone=True), nullable=True))
    for table in ("agent_exchanges", "agent_turns"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("estimated", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    for table in ("agent_turns", "agent_exchanges"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("estimated")
    with op.batch_alter_table("model_profiles") as batch:
        for column in ("probed_at", "probe", "context_window", "max_concurrency", "output_mode", "cap_field",
                       "stream_usage"):  # fmt: skip
            batch.drop_column(column)
