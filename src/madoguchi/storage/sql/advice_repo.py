"""Playbook checklist ticks and advice memos (SQLAlchemy Core)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session

from madoguchi.domain.advice import AdviceMemo, ChecklistTick
from madoguchi.storage.sql import tables

T = tables.playbook_checks.c
A = tables.advice_memos.c


def _memo(row: Row[Any]) -> AdviceMemo:
    return AdviceMemo(
        case_id=row.case_id,
        lang=row.lang,
        title=row.title,
        intro=row.intro,
        sections=list(row.sections or []),
        html=row.html,
        created_by=row.created_by,
        values=dict(row._mapping["values"] or {}),
        shared_with=list(row.shared_with or []),
        message_id=row.message_id,
        pdf_evidence_id=row.pdf_evidence_id,
        created_at=row.created_at,
        shared_at=row.shared_at,
        id=row.id,
    )


class SqlAdviceRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def ticks(self, case_id: int) -> Sequence[ChecklistTick]:
        rows = self.session.execute(
            select(tables.playbook_checks).where(T.case_id == case_id).order_by(T.id)
        )
        return [
            ChecklistTick(
                case_id=r.case_id,
                playbook_id=r.playbook_id,
                item_id=r.item_id,
                checked=r.checked,
                checked_by=r.checked_by,
                checked_at=r.checked_at,
                id=r.id,
            )
            for r in rows
        ]

    def set_tick(self, tick: ChecklistTick) -> None:
        row = self.session.execute(
            select(T.id).where(
                T.case_id == tick.case_id,
                T.playbook_id == tick.playbook_id,
                T.item_id == tick.item_id,
            )
        ).first()
        values = {
            "checked": tick.checked,
            "checked_by": tick.checked_by,
            "checked_at": tick.checked_at or datetime.now(UTC),
        }
        if row is None:
            self.session.execute(
                insert(tables.playbook_checks).values(
                    case_id=tick.case_id,
                    playbook_id=tick.playbook_id[:64],
                    item_id=tick.item_id[:64],
                    **values,
                )
            )
        else:
            self.session.execute(
                update(tables.playbook_checks).where(T.id == row.id).values(**values)
            )

    def add_memo(self, memo: AdviceMemo) -> AdviceMemo:
        new_id = self.session.execute(
            insert(tables.advice_memos)
            .values(
                case_id=memo.case_id,
                lang=memo.lang,
                title=memo.title[:300],
                intro=memo.intro,
                sections=list(memo.sections),
                values=dict(memo.values),
                html=memo.html,
                created_by=memo.created_by,
                shared_with=sorted(set(memo.shared_with)),
                message_id=memo.message_id,
                pdf_evidence_id=memo.pdf_evidence_id,
                created_at=memo.created_at or datetime.now(UTC),
                shared_at=memo.shared_at,
            )
            .returning(A.id)
        ).scalar_one()
        stored = self.get_memo(int(new_id))
        assert stored is not None
        return stored

    def get_memo(self, memo_id: int) -> AdviceMemo | None:
        row = self.session.execute(select(tables.advice_memos).where(A.id == memo_id)).first()
        return _memo(row) if row is not None else None

    def memos(self, case_id: int) -> Sequence[AdviceMemo]:
        rows = self.session.execute(
            select(tables.advice_memos).where(A.case_id == case_id).order_by(A.id)
        )
        return [_memo(r) for r in rows]

    def update_memo(self, memo: AdviceMemo) -> None:
        assert memo.id is not None
        self.session.execute(
            update(tables.advice_memos)
            .where(A.id == memo.id)
            .values(
                shared_with=sorted(set(memo.shared_with)),
                message_id=memo.message_id,
                pdf_evidence_id=memo.pdf_evidence_id,
                shared_at=memo.shared_at,
                html=memo.html,
            )
        )
