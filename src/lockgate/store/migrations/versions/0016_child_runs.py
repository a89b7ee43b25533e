"""Sub-pipelines: ``child_runs`` links a step's attempt to the child run it started (issue 16).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "child_runs",
        sa.Column("parent_run_id", sa.String(32), nullable=False),
        sa.Column("step_key", sa.String(200), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(63), nullable=False),
        sa.Column("pipeline", sa.String(63), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("input", sa.JSON(), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("child_run_id", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["parent_run_id"], ["runs.id"], name="fk_child_runs_parent_run_id_runs"),
        sa.ForeignKeyConstraint(["child_run_id"], ["runs.id"], name="fk_child_runs_child_run_id_runs"),
        sa.PrimaryKeyConstraint("parent_run_id", "step_key", "attempt", name="pk_child_runs"),
        sa.UniqueConstraint("child_run_id", name="uq_child_runs_child_run_id"),
    )


def downgrade() -> None:
    op.drop_table("child_runs")
