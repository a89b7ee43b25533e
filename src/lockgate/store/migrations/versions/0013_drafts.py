"""The builder's loop: the editor's draft (with pinned outputs), draft versions and runs, authored versions.

``pipeline_drafts`` holds the editor's working copy; ``pipeline_versions.draft`` marks the definition a draft
run ran (numbered apart from published versions, so both unique keys gain ``draft``); ``runs.draft`` marks a
run started from the draft; ``pipeline_versions.author``/``message`` say who published a version and why;
``pipelines.template`` marks a pipeline that New pipeline offers as a starting point.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pipeline_drafts",
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("pins", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_pipeline_drafts"),
    )
    with op.batch_alter_table("pipeline_versions") as batch:
        batch.add_column(sa.Column("draft", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("author", sa.String(200), nullable=True))
        batch.add_column(sa.Column("message", sa.Text(), nullable=True))
        batch.drop_constraint("uq_pipeline_versions_number", type_="unique")
        batch.drop_constraint("uq_pipeline_versions_hash", type_="unique")
        batch.create_unique_constraint("uq_pipeline_versions_number", ["pipeline_id", "draft", "number"])
        batch.create_unique_constraint("uq_pipeline_versions_hash", ["pipeline_id", "draft", "hash"])
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("draft", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("pipelines") as batch:
        batch.add_column(sa.Column("template", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("pipelines") as batch:
        batch.drop_column("template")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("draft")
    with op.batch_alter_table("pipeline_versions") as batch:
        batch.drop_constraint("uq_pipeline_versions_number", type_="unique")
        batch.drop_constraint("uq_pipeline_versions_hash", type_="unique")
        batch.create_unique_constraint("uq_pipeline_versions_number", ["pipeline_id", "number"])
        batch.create_unique_constraint("uq_pipeline_versions_hash", ["pipeline_id", "hash"])
        batch.drop_column("message")
        batch.drop_column("author")
        batch.drop_column("draft")
    op.drop_table("pipeline_drafts")
