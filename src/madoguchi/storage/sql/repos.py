"""SQLAlchemy implementations of the repository ports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import String, cast, func, insert, or_, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from madoguchi.domain.audit import AuditEvent
from madoguchi.domain.case import Case, CaseParty
from madoguchi.domain.message import Message
from madoguchi.domain.organisation import ApiToken, Membership, Organisation, User
from madoguchi.ports import CaseQuery
from madoguchi.storage.sql import case_repos, tables


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqlOrganisationRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, org: Organisation) -> Organisation:
        self.session.add(org)
        self.session.flush()
        return org

    def get(self, org_id: int) -> Organisation | None:
        return self.session.get(Organisation, org_id)

    def by_name(self, name: str) -> Organisation | None:
        return self.session.scalars(
            select(Organisation).where(tables.organisations.c.name == name)
        ).first()

    def list(self) -> Sequence[Organisation]:
        return self.session.scalars(select(Organisation).order_by(tables.organisations.c.id)).all()


class SqlUserRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, user: User) -> User:
        self.session.add(user)
        self.session.flush()
        return user

    def get(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def by_email(self, email: str) -> User | None:
        return self.session.scalars(
            select(User).where(func.lower(tables.users.c.email) == email.strip().lower())
        ).first()

    def list(self) -> Sequence[User]:
        return self.session.scalars(select(User).order_by(tables.users.c.id)).all()

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(tables.users)) or 0)

    def add_membership(self, membership: Membership) -> Membership:
        self.session.add(membership)
        self.session.flush()
        return membership

    def memberships_of(self, user_id: int) -> Sequence[Membership]:
        return self.session.scalars(
            select(Membership).where(tables.memberships.c.user_id == user_id)
        ).all()

    def members_of(self, organisation_id: int) -> Sequence[Membership]:
        return self.session.scalars(
            select(Membership).where(tables.memberships.c.organisation_id == organisation_id)
        ).all()


class SqlTokenRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, token: ApiToken) -> ApiToken:
        self.session.add(token)
        self.session.flush()
        return token

    def by_hash(self, token_hash: str) -> ApiToken | None:
        return self.session.scalars(
            select(ApiToken).where(tables.api_tokens.c.token_hash == token_hash)
        ).first()

    def for_user(self, user_id: int) -> Sequence[ApiToken]:
        return self.session.scalars(
            select(ApiToken).where(tables.api_tokens.c.user_id == user_id)
        ).all()


class SqlCaseRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, case: Case) -> Case:
        self.session.add(case)
        self.session.flush()
        return case

    def get(self, case_id: int) -> Case | None:
        return self.session.get(Case, case_id)

    def by_reference(self, reference: str) -> Case | None:
        return self.session.scalars(
            select(Case).where(tables.cases.c.reference == reference)
        ).first()

    def query(self, query: CaseQuery) -> Sequence[Case]:
        c = tables.cases.c
        stmt = select(Case)
        if query.visible_to_orgs is not None:
            party_cases = select(tables.case_parties.c.case_id).where(
                tables.case_parties.c.organisation_id.in_(sorted(query.visible_to_orgs))
            )
            stmt = stmt.where(c.id.in_(party_cases))
        if query.statuses:
            stmt = stmt.where(c.status.in_([s.value for s in query.statuses]))
        if query.text:
            pattern = f"%{_escape_like(query.text.strip())}%"
            stmt = stmt.where(
                or_(
                    c.title.ilike(pattern, escape="\\"),
                    c.reference.ilike(pattern, escape="\\"),
                    c.description.ilike(pattern, escape="\\"),
                )
            )
        # JSON lists are matched on their text form, which works on SQLite and PostgreSQL.
        if query.category:
            stmt = stmt.where(
                cast(c.categories, String).like(f'%"{_escape_like(query.category)}"%', escape="\\")
            )
        if query.product:
            stmt = stmt.where(
                cast(c.products, String).ilike(f"%{_escape_like(query.product)}%", escape="\\")
            )
        if query.cve:
            stmt = stmt.where(
                cast(c.cves, String).ilike(f"%{_escape_like(query.cve)}%", escape="\\")
            )
        if query.organisation_id is not None:
            stmt = stmt.where(
                c.id.in_(
                    select(tables.case_parties.c.case_id).where(
                        tables.case_parties.c.organisation_id == query.organisation_id
                    )
                )
            )
        if query.assignee_id is not None:
            stmt = stmt.where(c.assignee_id == query.assignee_id)
        if query.since is not None:
            stmt = stmt.where(c.created_at >= query.since)
        if query.until is not None:
            stmt = stmt.where(c.created_at <= query.until)
        if query.by_urgency:
            rank = sql_case(
                {"critical": 0, "high": 1, "normal": 2, "low": 3}, value=c.urgency, else_=4
            )
            stmt = stmt.order_by(rank, c.created_at.asc(), c.id.asc())
        else:
            stmt = stmt.order_by(c.created_at.desc(), c.id.desc())
        stmt = stmt.limit(query.limit).offset(query.offset)
        return self.session.scalars(stmt).all()

    def next_number(self, year: int) -> int:
        counters = tables.reference_counters
        for _ in range(5):
            row = self.session.execute(
                update(counters)
                .where(counters.c.year == year)
                .values(last=counters.c.last + 1)
                .returning(counters.c.last)
            ).first()
            if row is not None:
                return int(row[0])
            try:
                with self.session.begin_nested():
                    self.session.execute(insert(counters).values(year=year, last=1))
                return 1
            except IntegrityError:
                continue
        raise RuntimeError("could not allocate a case reference number")


class SqlMessageRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, message: Message) -> Message:
        self.session.add(message)
        self.session.flush()
        return message

    def for_case(self, case_id: int) -> Sequence[Message]:
        m = tables.messages.c
        return self.session.scalars(
            select(Message).where(m.case_id == case_id).order_by(m.created_at, m.id)
        ).all()

    def attach(self, message_id: int, evidence_id: int) -> None:
        case_repos.attach(self.session, message_id, evidence_id)

    def attachments(self, message_ids: Sequence[int]) -> Mapping[int, Sequence[int]]:
        return case_repos.attachments(self.session, message_ids)


class SqlAuditRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, event: AuditEvent) -> AuditEvent:
        self.session.add(event)
        self.session.flush()
        return event

    def for_case(self, case_id: int, limit: int = 500) -> Sequence[AuditEvent]:
        a = tables.audit_events.c
        return self.session.scalars(
            select(AuditEvent).where(a.case_id == case_id).order_by(a.id.desc()).limit(limit)
        ).all()

    def recent(self, limit: int = 200) -> Sequence[AuditEvent]:
        a = tables.audit_events.c
        return self.session.scalars(select(AuditEvent).order_by(a.id.desc()).limit(limit)).all()


__all__ = [
    "CaseParty",
    "SqlAuditRepo",
    "SqlCaseRepo",
    "SqlMessageRepo",
    "SqlOrganisationRepo",
    "SqlTokenRepo",
    "SqlUserRepo",
]
