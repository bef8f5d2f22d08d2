"""Tamper-evident audit log: each entry chained by hash to the previous one.

``prev_hash`` is unique, so two entries can never claim the same predecessor (the
chain cannot fork even if two writers raced). Columns are added with plain
``ALTER TABLE`` (no table rebuild), which keeps the append-only triggers of 0001.
Entries written before this revision keep empty hashes; ``madoguchi audit verify``
counts them as unchained history.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_events", sa.Column("entry_hash", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_audit_events_prev_hash"), "audit_events", ["prev_hash"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_events_prev_hash"), table_name="audit_events")
    # plain ALTER TABLE on both databases (SQLite >= 3.35): no rebuild, triggers stay
    op.execute("ALTER TABLE audit_events DROP COLUMN entry_hash")
    op.execute("ALTER TABLE audit_events DROP COLUMN prev_hash")
