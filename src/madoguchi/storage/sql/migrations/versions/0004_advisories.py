"""Advisories and their published revisions

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _user_fk(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete="SET NULL"
    )


def upgrade() -> None:
    op.create_table(
        "advisories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tlp", sa.String(length=32), nullable=False),
        sa.Column("content", _json(), nullable=False),
        sa.Column("case_ids", _json(), nullable=False),
        sa.Column("indicator_ids", _json(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("review_requested_by", sa.Integer(), nullable=True),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        _user_fk("created_by", "advisories"),
        _user_fk("updated_by", "advisories"),
        _user_fk("review_requested_by", "advisories"),
        _user_fk("approved_by", "advisories"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisories")),
        sa.UniqueConstraint("slug", name=op.f("uq_advisories_slug")),
    )
    with op.batch_alter_table("advisories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_advisories_status"), ["status"], unique=False)

    op.create_table(
        "advisory_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("advisory_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content", _json(), nullable=False),
        sa.Column("indicators", _json(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["advisory_id"],
            ["advisories.id"],
            name=op.f("fk_advisory_revisions_advisory_id_advisories"),
            ondelete="CASCADE",
        ),
        _user_fk("published_by", "advisory_revisions"),
        _user_fk("approved_by", "advisory_revisions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory_revisions")),
        sa.UniqueConstraint("advisory_id", "number", name="uq_advisory_revisions_number"),
    )
    with op.batch_alter_table("advisory_revisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_advisory_revisions_advisory_id"), ["advisory_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("advisory_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_advisory_revisions_advisory_id"))
    op.drop_table("advisory_revisions")
    with op.batch_alter_table("advisories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_advisories_status"))
    op.drop_table("advisories")
