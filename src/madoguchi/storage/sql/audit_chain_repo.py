"""The audit hash chain in SQL (SQLAlchemy Core): the chain lock, the tail, walks.

The lock serialises appends so the chain never forks: PostgreSQL takes a transaction
advisory lock; SQLite takes its database write lock with a no-op write (the write
transaction is what serialises SQLite writers). Both are released at commit/rollback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select, text, union
from sqlalchemy.orm import Session

from madoguchi.domain.audit import AuditEvent
from madoguchi.storage.sql import tables

#: any constant shared by every madoguchi process on one database
CHAIN_LOCK_KEY = 0x6D64675F61756474  # "mdg_audt"


def _event(row: Row[Any]) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        at=row.at,
        action=row.action,
        actor_id=row.actor_id,
        object_type=row.object_type,
        object_id=row.object_id,
        case_id=row.case_id,
        organisation_id=row.organisation_id,
        detail=dict(row.detail or {}),
        ip=row.ip,
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )


class SqlAuditChainRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_tail(self) -> str | None:
        """Take the chain lock for this transaction; the newest ``entry_hash``."""
        dialect = self.session.get_bind().dialect.name
        if dialect == "postgresql":
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY}
            )
        else:
            # Starts (or joins) the write transaction; matches no row, fires no trigger.
            self.session.execute(text("UPDATE audit_events SET id = id WHERE 0 = 1"))
        a = tables.audit_events.c
        tail: str | None = self.session.execute(
            select(a.entry_hash).where(a.entry_hash.is_not(None)).order_by(a.id.desc()).limit(1)
        ).scalar_one_or_none()
        return tail

    def walk(self, after_id: int = 0, limit: int = 1000) -> Sequence[AuditEvent]:
        """Events in id order with ``id > after_id`` (page through the whole log)."""
        a = tables.audit_events.c
        rows = self.session.execute(
            select(tables.audit_events).where(a.id > after_id).order_by(a.id).limit(limit)
        )
        return [_event(row) for row in rows]

    def trail(
        self, organisation_id: int, after_id: int = 0, limit: int = 1000
    ) -> Sequence[AuditEvent]:
        """Events about the organisation itself or about cases it is a party to."""
        a = tables.audit_events.c
        p = tables.case_parties.c
        their_cases = select(p.case_id).where(p.organisation_id == organisation_id)
        own = union(
            select(a.id).where(a.organisation_id == organisation_id),
            select(a.id).where(a.case_id.in_(their_cases)),
        ).subquery()
        rows = self.session.execute(
            select(tables.audit_events)
            .where(a.id.in_(select(own.c.id)), a.id > after_id)
            .order_by(a.id)
            .limit(limit)
        )
        return [_event(row) for row in rows]
