"""Repositories for what hangs off a case: evidence, hearing, support plan, links."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from madoguchi.domain.evidence import Evidence
from madoguchi.domain.hearing import HearingAnswer
from madoguchi.domain.support import CaseLink, LoginLink, SupportItem
from madoguchi.storage.sql import tables


class SqlEvidenceRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, evidence: Evidence) -> Evidence:
        self.session.add(evidence)
        self.session.flush()
        return evidence

    def get(self, evidence_id: int) -> Evidence | None:
        return self.session.get(Evidence, evidence_id)

    def lock(self, evidence_id: int) -> Evidence | None:
        """``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises writers anyway."""
        return self.session.get(Evidence, evidence_id, with_for_update=True, populate_existing=True)

    def for_case(self, case_id: int) -> Sequence[Evidence]:
        e = tables.evidence.c
        return self.session.scalars(
            select(Evidence).where(e.case_id == case_id).order_by(e.id)
        ).all()

    def children(self, evidence_id: int) -> Sequence[Evidence]:
        e = tables.evidence.c
        return self.session.scalars(
            select(Evidence).where(e.parent_id == evidence_id).order_by(e.id)
        ).all()

    def with_sha256(self, sha256: str) -> Sequence[Evidence]:
        e = tables.evidence.c
        return self.session.scalars(select(Evidence).where(e.sha256 == sha256)).all()


class SqlHearingRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, answer: HearingAnswer) -> HearingAnswer:
        self.session.add(answer)
        self.session.flush()
        return answer

    def history(self, case_id: int) -> Sequence[HearingAnswer]:
        h = tables.hearing_answers.c
        return self.session.scalars(
            select(HearingAnswer).where(h.case_id == case_id).order_by(h.answered_at, h.id)
        ).all()


class SqlSupportRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, item: SupportItem) -> SupportItem:
        self.session.add(item)
        self.session.flush()
        return item

    def for_case(self, case_id: int) -> Sequence[SupportItem]:
        s = tables.support_items.c
        return self.session.scalars(
            select(SupportItem).where(s.case_id == case_id).order_by(s.id)
        ).all()

    def remove(self, item: SupportItem) -> None:
        self.session.delete(item)
        self.session.flush()


class SqlCaseLinkRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, link: CaseLink) -> CaseLink:
        self.session.add(link)
        self.session.flush()
        return link

    def for_case(self, case_id: int) -> Sequence[CaseLink]:
        c = tables.case_links.c
        return self.session.scalars(
            select(CaseLink).where((c.case_id == case_id) | (c.other_case_id == case_id))
        ).all()


class SqlLoginLinkRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, link: LoginLink) -> LoginLink:
        self.session.add(link)
        self.session.flush()
        return link

    def by_hash(self, token_hash: str) -> LoginLink | None:
        c = tables.login_links.c
        return self.session.scalars(select(LoginLink).where(c.token_hash == token_hash)).first()


class SqlDeskSettingsRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str, default: Any = None) -> Any:
        t = tables.desk_settings
        row = self.session.execute(select(t.c.value).where(t.c.key == key)).first()
        return default if row is None else row[0]

    def set(self, key: str, value: Any) -> None:
        t = tables.desk_settings
        self.session.execute(delete(t).where(t.c.key == key))
        self.session.execute(insert(t).values(key=key, value=value))


def attach(session: Session, message_id: int, evidence_id: int) -> None:
    session.execute(
        insert(tables.message_attachments).values(message_id=message_id, evidence_id=evidence_id)
    )


def attachments(session: Session, message_ids: Sequence[int]) -> Mapping[int, Sequence[int]]:
    t = tables.message_attachments.c
    found: dict[int, list[int]] = defaultdict(list)
    if message_ids:
        rows = session.execute(
            select(t.message_id, t.evidence_id)
            .where(t.message_id.in_(list(message_ids)))
            .order_by(t.evidence_id)
        )
        for message_id, evidence_id in rows:
            found[message_id].append(evidence_id)
    return found
