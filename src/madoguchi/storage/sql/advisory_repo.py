"""Advisories, their revisions, and the read-only views of indicators and cases that
drafting, publication checks and TAXII need (SQLAlchemy Core).

Nothing here writes to the indicator store; indicators are only read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    String,
    and_,
    cast,
    false,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from madoguchi.domain.advisory import (
    Advisory,
    AdvisoryContent,
    AdvisoryRevision,
    AdvisoryStatus,
    PublishedIndicator,
)
from madoguchi.domain.findings import Stage
from madoguchi.domain.indicator import Sighting
from madoguchi.ports import (
    DatedIndicator,
    DatedSighting,
    IndicatorScope,
    StreamPosition,
)
from madoguchi.storage.sql import tables
from madoguchi.storage.sql.indicator_repo import _indicator

A = tables.advisories.c
R = tables.advisory_revisions.c
I = tables.indicators.c  # noqa: E741
S = tables.sightings.c
P = tables.case_parties.c
C = tables.cases.c
O = tables.organisations.c  # noqa: E741
M = tables.case_markers.c


def _advisory(row: Row[Any]) -> Advisory:
    return Advisory(
        id=row.id,
        slug=row.slug,
        status=AdvisoryStatus(row.status),
        tlp=row.tlp,
        content=AdvisoryContent.from_dict(row.content or {}),
        case_ids=tuple(int(x) for x in row.case_ids or ()),
        indicator_ids=tuple(int(x) for x in row.indicator_ids or ()),
        source=row.source,
        created_by=row.created_by,
        updated_by=row.updated_by,
        review_requested_by=row.review_requested_by,
        approved_by=row.approved_by,
        approved_at=row.approved_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        published_at=row.published_at,
        revision=row.revision,
    )


def _values(advisory: Advisory) -> dict[str, Any]:
    return {
        "slug": advisory.slug,
        "status": advisory.status.value,
        "tlp": advisory.tlp,
        "content": advisory.content.to_dict(),
        "case_ids": list(advisory.case_ids),
        "indicator_ids": list(advisory.indicator_ids),
        "source": advisory.source,
        "created_by": advisory.created_by,
        "updated_by": advisory.updated_by,
        "review_requested_by": advisory.review_requested_by,
        "approved_by": advisory.approved_by,
        "approved_at": advisory.approved_at,
        "created_at": advisory.created_at,
        "updated_at": advisory.updated_at,
        "published_at": advisory.published_at,
        "revision": advisory.revision,
    }


def _revision(row: Row[Any]) -> AdvisoryRevision:
    return AdvisoryRevision(
        id=row.id,
        advisory_id=row.advisory_id,
        number=row.number,
        content=AdvisoryContent.from_dict(row.content or {}),
        indicators=tuple(PublishedIndicator.from_dict(item) for item in row.indicators or ()),
        published_at=row.published_at,
        published_by=row.published_by,
        approved_by=row.approved_by,
    )


def _after(time_column: Any, id_column: Any, after: StreamPosition | None) -> ColumnElement[bool]:
    if after is None:
        return true()
    moment, last_id = after
    return or_(time_column > moment, and_(time_column == moment, id_column > last_id))


class SqlAdvisoryRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- advisories and revisions ----------------------------------------------------------

    def add(self, advisory: Advisory) -> Advisory:
        new_id = self.session.execute(
            insert(tables.advisories).values(**_values(advisory)).returning(A.id)
        ).scalar_one()
        advisory.id = int(new_id)
        return advisory

    def get(self, advisory_id: int) -> Advisory | None:
        row = self.session.execute(select(tables.advisories).where(A.id == advisory_id)).first()
        return _advisory(row) if row is not None else None

    def by_slug(self, slug: str) -> Advisory | None:
        row = self.session.execute(select(tables.advisories).where(A.slug == slug)).first()
        return _advisory(row) if row is not None else None

    def list(self) -> Sequence[Advisory]:
        rows = self.session.execute(
            select(tables.advisories).order_by(A.updated_at.desc(), A.id.desc())
        )
        return [_advisory(row) for row in rows]

    def save(self, advisory: Advisory) -> None:
        assert advisory.id is not None
        self.session.execute(
            update(tables.advisories).where(A.id == advisory.id).values(**_values(advisory))
        )

    def add_revision(self, revision: AdvisoryRevision) -> AdvisoryRevision:
        new_id = self.session.execute(
            insert(tables.advisory_revisions)
            .values(
                advisory_id=revision.advisory_id,
                number=revision.number,
                content=revision.content.to_dict(),
                indicators=[item.to_dict() for item in revision.indicators],
                published_at=revision.published_at,
                published_by=revision.published_by,
                approved_by=revision.approved_by,
            )
            .returning(R.id)
        ).scalar_one()
        return AdvisoryRevision(
            id=int(new_id),
            advisory_id=revision.advisory_id,
            number=revision.number,
            content=revision.content,
            indicators=revision.indicators,
            published_at=revision.published_at,
            published_by=revision.published_by,
            approved_by=revision.approved_by,
        )

    def revisions(self, advisory_id: int) -> Sequence[AdvisoryRevision]:
        rows = self.session.execute(
            select(tables.advisory_revisions).where(R.advisory_id == advisory_id).order_by(R.number)
        )
        return [_revision(row) for row in rows]

    def published(self) -> Sequence[tuple[Advisory, AdvisoryRevision]]:
        """Each published advisory with its latest revision, newest first."""
        latest = (
            select(R.advisory_id, func.max(R.number).label("number"))
            .group_by(R.advisory_id)
            .subquery()
        )
        stmt = (
            select(tables.advisory_revisions)
            .join(
                latest,
                and_(R.advisory_id == latest.c.advisory_id, R.number == latest.c.number),
            )
            .order_by(R.published_at.desc(), R.id.desc())
        )
        revisions = [_revision(row) for row in self.session.execute(stmt)]
        ids = [revision.advisory_id for revision in revisions]
        rows = self.session.execute(select(tables.advisories).where(A.id.in_(ids)))
        by_id = {row.id: _advisory(row) for row in rows}
        return [(by_id[r.advisory_id], r) for r in revisions if r.advisory_id in by_id]

    # -- indicators and cases (read only) --------------------------------------------------

    def dated_indicators(self, indicator_ids: Iterable[int]) -> Sequence[DatedIndicator]:
        wanted = sorted(set(indicator_ids))
        if not wanted:
            return []
        rows = self.session.execute(
            select(tables.indicators).where(I.id.in_(wanted)).order_by(I.id)
        )
        return [DatedIndicator(_indicator(row), row.created_at) for row in rows]

    def indicator_ids_for_cases(self, case_ids: Iterable[int]) -> Sequence[int]:
        """Indicators sighted in, or taken from, any of the cases."""
        cases = sorted(set(case_ids))
        if not cases:
            return []
        sighted = select(S.indicator_id).where(S.case_id.in_(cases))
        stmt = select(I.id).where(or_(I.id.in_(sighted), I.case_id.in_(cases))).order_by(I.id)
        return [int(x) for x in self.session.execute(stmt).scalars()]

    def indicator_ids_with_tag(self, tag: str) -> Sequence[int]:
        stmt = select(I.id, I.tags).where(cast(I.tags, String).like(f"%{tag}%")).order_by(I.id)
        wanted = tag.casefold()
        return [
            int(row.id)
            for row in self.session.execute(stmt)
            if any(str(t).casefold() == wanted for t in row.tags or ())
        ]

    def case_ids_for_indicators(self, indicator_ids: Iterable[int]) -> Sequence[int]:
        wanted = sorted(set(indicator_ids))
        if not wanted:
            return []
        sighted = {
            int(x)
            for x in self.session.execute(
                select(S.case_id).where(S.indicator_id.in_(wanted))
            ).scalars()
        }
        sources = self.session.execute(
            select(I.case_id).where(I.id.in_(wanted), I.case_id.is_not(None))
        ).scalars()
        return sorted(sighted | {int(x) for x in sources})

    def case_ids_for_tag(self, tag: str) -> Sequence[int]:
        """Cases naming a CVE (``cve:…``), or marked with a family or technique."""
        kind, _, value = tag.partition(":")
        if not value:
            return []
        found: set[int] = set()
        if kind == "cve":
            rows = self.session.execute(
                select(C.id, C.cves).where(cast(C.cves, String).like(f"%{value.upper()}%"))
            )
            found |= {int(r.id) for r in rows if value.upper() in {str(c).upper() for c in r.cves}}
        rows = self.session.execute(
            select(M.case_id).where(M.kind == kind, func.lower(M.value) == value.lower())
        )
        found |= {int(x) for x in rows.scalars()}
        return sorted(found)

    def party_names(self, case_ids: Iterable[int]) -> tuple[set[str], set[str]]:
        """Names (``name``, ``name_en``, hidden victim names) and domains of every
        organisation that is a party to the cases."""
        cases = sorted(set(case_ids))
        names: set[str] = set()
        domains: set[str] = set()
        if not cases:
            return names, domains
        orgs = self.session.execute(
            select(O.name, O.name_en, O.domains)
            .join(tables.case_parties, P.organisation_id == O.id)
            .where(P.case_id.in_(cases))
        )
        for row in orgs:
            names |= {n for n in (row.name, row.name_en) if n}
            domains |= {str(d) for d in row.domains or () if d}
        victims = self.session.execute(select(C.victim_name).where(C.id.in_(cases))).scalars()
        names |= {v for v in victims if v}
        return names, domains

    def party_case_ids(self, organisation_ids: Iterable[int]) -> Sequence[int]:
        orgs = sorted(set(organisation_ids))
        if not orgs:
            return []
        stmt = select(P.case_id).where(P.organisation_id.in_(orgs)).distinct()
        return sorted(int(x) for x in self.session.execute(stmt).scalars())

    # -- streams for TAXII -----------------------------------------------------------------

    def _scope(self, scope: IndicatorScope) -> ColumnElement[bool]:
        allowed: ColumnElement[bool] = I.tlp.in_(sorted(scope.levels)) if scope.levels else false()
        if scope.case_levels and scope.case_ids:
            cases = list(scope.case_ids)
            in_cases = or_(
                I.id.in_(select(S.indicator_id).where(S.case_id.in_(cases))),
                I.case_id.in_(cases),
            )
            allowed = or_(allowed, and_(I.tlp.in_(sorted(scope.case_levels)), in_cases))
        condition = and_(allowed, I.false_positive.is_(False))
        if scope.kinds:
            condition = and_(condition, I.type.in_([kind.value for kind in scope.kinds]))
        return condition

    def indicator_stream(
        self, scope: IndicatorScope, after: StreamPosition | None, limit: int
    ) -> Sequence[DatedIndicator]:
        stmt: Select[Any] = (
            select(tables.indicators)
            .where(self._scope(scope), _after(I.created_at, I.id, after))
            .order_by(I.created_at, I.id)
            .limit(limit)
        )
        return [
            DatedIndicator(_indicator(row), row.created_at) for row in self.session.execute(stmt)
        ]

    def sighting_stream(
        self,
        scope: IndicatorScope,
        cases: Sequence[int] | None,
        after: StreamPosition | None,
        limit: int,
    ) -> Sequence[DatedSighting]:
        """Sightings of indicators in ``scope``, only those in ``cases`` unless it is
        ``None`` (a member never gets sightings from other organisations' cases)."""
        stmt = (
            select(
                tables.indicators,
                S.id.label("s_id"),
                S.case_id.label("s_case_id"),
                S.evidence_id.label("s_evidence_id"),
                S.first_seen.label("s_first_seen"),
                S.context.label("s_context"),
                S.stage.label("s_stage"),
                S.count.label("s_count"),
                S.created_at.label("s_created_at"),
            )
            .join(tables.sightings, I.id == S.indicator_id)
            .where(self._scope(scope), _after(S.created_at, S.id, after))
            .order_by(S.created_at, S.id)
            .limit(limit)
        )
        if cases is not None:
            stmt = stmt.where(S.case_id.in_(list(cases)))
        found = []
        for row in self.session.execute(stmt):
            sighting = Sighting(
                indicator=_indicator(row),
                case_id=row.s_case_id,
                evidence_id=row.s_evidence_id,
                seen_at=row.s_first_seen,
                context=row.s_context,
                stage=Stage(row.s_stage) if row.s_stage else None,
                count=row.s_count,
            )
            found.append(DatedSighting(sighting, row.s_created_at, int(row.s_id)))
        return found
