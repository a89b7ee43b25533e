"""Flow control: a run's concurrency key and why a queued run waits; the slots of limited nodes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("concurrency_key", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("wait_reason", sa.Text(), nullable=True))
        batch.create_index("ix_runs_concurrency", ["pipeline_id", "concurrency_key", "status"])
    op.create_table(
        "node_slots",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("step_key", sa.String(length=200), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("pipeline", sa.String(length=63), nullable=False),
        sa.Column("slot", sa.String(length=63), nullable=False),
        sa.Column("max_concurrent", sa.Integer(), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("command", sa.JSON(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "step_key", "attempt", name="pk_node_slots"),
    )
    op.create_index("ix_node_slots_slot", "node_slots", ["pipeline", "slot", "held", "queued_at"])
    with op.batch_alter_table("model_profiles") as batch:
        batch.add_column(sa.Column("requests_per_minute", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("tokens_per_minute", sa.Integer(), nullable=True))
    op.create_table(
        "model_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("profile", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_model_requests"),
    )
    op.create_index("ix_model_requests_profile", "model_requests", ["profile", "at"])
    op.create_table(
        "step_waits",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("step_key", sa.String(length=200), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_step_waits_run_id_runs"),
        sa.PrimaryKeyConstraint("run_id", "step_key", "attempt", name="pk_step_waits"),
    )


def downgrade() -> None:
    op.drop_table("step_waits")
    op.drop_index("ix_model_requests_profile", table_name="model_requests")
    op.drop_table("model_requests")
    with op.batch_alter_table("model_profiles") as batch:
        batch.drop_column("tokens_per_minute")
        batch.drop_column("requests_per_minute")
    op.drop_index("ix_node_slots_slot", table_name="node_slots")
    op.drop_table("node_slots")
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ix_runs_concurrency")
        batch.drop_column("wait_reason")
        batch.drop_column("concurrency_key")
