"""Credentials: grants to pipelines, the hosts an http node may send each to, the audit of every use.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credential_grants",
        sa.Column("credential_id", sa.String(length=32), nullable=False),
        sa.Column("pipeline", sa.String(length=63), nullable=False),
        sa.Column("granted_by", sa.String(length=200), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_credential_grants_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("credential_id", "pipeline", name=op.f("pk_credential_grants")),
    )
    op.create_table(
        "credential_hosts",
        sa.Column("credential_id", sa.String(length=32), nullable=False),
        sa.Column("pattern", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_credential_hosts_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("credential_id", "pattern", name=op.f("pk_credential_hosts")),
    )
    op.create_table(
        "credential_uses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("credential", sa.String(length=100), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("pipeline", sa.String(length=63), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("step_key", sa.String(length=200), nullable=False),
        sa.Column("node_id", sa.String(length=63), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_uses")),
    )
    op.create_index("ix_credential_uses_credential", "credential_uses", ["credential", "id"], unique=False)
    op.create_index("ix_credential_uses_run_id", "credential_uses", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_credential_uses_run_id", table_name="credential_uses")
    op.drop_index("ix_credential_uses_credential", table_name="credential_uses")
    op.drop_table("credential_uses")
    op.drop_table("credential_hosts")
    op.drop_table("credential_grants")
