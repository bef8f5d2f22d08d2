"""Indicators, sightings, case markers and analysis results (SQLAlchemy Core)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, String, cast, delete, func, insert, select, update
from sqlalchemy.orm import Session

from madoguchi.domain.findings import Stage
from madoguchi.domain.indicator import (
    Indicator,
    IndicatorSource,
    IndicatorType,
    Sighting,
    SourceKind,
)
from madoguchi.domain.tlp import TLP
from madoguchi.ports import AnalysisRecord, PartSet, StoredSighting
from madoguchi.storage.sql import tables

I = tables.indicators.c  # noqa: E741
S = tables.sightings.c
A = tables.analysis_results.c
P = tables.analysis_parts.c
M = tables.case_markers.c


def value_key(kind: IndicatorType, value: str) -> str:
    return hashlib.sha256(f"{kind.value}:{value}".encode()).hexdigest()


def _indicator(row: Row[Any]) -> Indicator:
    return Indicator(
        type=IndicatorType(row.type),
        value=row.value,
        tlp=row.tlp,
        source=IndicatorSource(SourceKind(row.source), row.source_name, row.case_id),
        confidence=row.confidence,
        tags=tuple(row.tags or ()),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        expires_at=row.expires_at,
        false_positive=row.false_positive,
        description=row.description,
        id=row.id,
    )


class SqlIndicatorRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- indicators ------------------------------------------------------------------------

    def upsert(self, indicator: Indicator) -> Indicator:
        """Insert, or merge into the stored indicator (tags, seen times; the stored TLP and
        false-positive flag are kept)."""
        key = value_key(indicator.type, indicator.value)
        row = self.session.execute(select(tables.indicators).where(I.value_key == key)).first()
        if row is None:
            new_id = self.session.execute(
                insert(tables.indicators)
                .values(
                    type=indicator.type.value,
                    value=indicator.value,
                    value_key=key,
                    tlp=indicator.tlp,
                    source=indicator.source.kind.value,
                    source_name=indicator.source.name,
                    case_id=indicator.source.case_id,
                    confidence=indicator.confidence,
                    tags=sorted(set(indicator.tags)),
                    description=indicator.description,
                    first_seen=indicator.first_seen,
                    last_seen=indicator.last_seen,
                    expires_at=indicator.expires_at,
                    false_positive=indicator.false_positive,
                    created_at=datetime.now(UTC),
                )
                .returning(I.id)
            ).scalar_one()
            found = self.get(int(new_id))
            assert found is not None
            return found
        current = _indicator(row)
        tags = sorted(set(current.tags) | set(indicator.tags))
        first = _min(current.first_seen, indicator.first_seen)
        last = _max(current.last_seen, indicator.last_seen)
        self.session.execute(
            update(tables.indicators)
            .where(I.id == row.id)
            .values(tags=tags, first_seen=first, last_seen=last)
        )
        found = self.get(row.id)
        assert found is not None
        return found

    def get(self, indicator_id: int) -> Indicator | None:
        row = self.session.execute(select(tables.indicators).where(I.id == indicator_id)).first()
        return _indicator(row) if row is not None else None

    def find(self, kind: IndicatorType, value: str) -> Indicator | None:
        key = value_key(kind, value)
        row = self.session.execute(select(tables.indicators).where(I.value_key == key)).first()
        return _indicator(row) if row is not None else None

    def all(self, *, tag: str = "", limit: int = 10_000) -> Sequence[Indicator]:
        stmt = select(tables.indicators).order_by(I.id).limit(limit)
        if tag:
            stmt = stmt.where(cast(I.tags, String).like(f'%"{tag}"%'))
        return [_indicator(r) for r in self.session.execute(stmt)]

    def set_flags(
        self,
        indicator_id: int,
        *,
        false_positive: bool | None = None,
        tlp: TLP | None = None,
        tags: Iterable[str] | None = None,
    ) -> None:
        values: dict[str, Any] = {}
        if false_positive is not None:
            values["false_positive"] = false_positive
        if tlp is not None:
            values["tlp"] = tlp
        if tags is not None:
            values["tags"] = sorted(set(tags))
        if values:
            self.session.execute(
                update(tables.indicators).where(I.id == indicator_id).values(**values)
            )

    # -- sightings -------------------------------------------------------------------------

    def add_sighting(self, sighting: StoredSighting) -> None:
        """One sighting per indicator × case × evidence; repeated ones add up."""
        stmt = select(S.id, S.count, S.first_seen, S.last_seen, S.stage).where(
            S.indicator_id == sighting.indicator_id,
            S.case_id == sighting.case_id,
            S.evidence_id == sighting.evidence_id
            if sighting.evidence_id is not None
            else S.evidence_id.is_(None),
        )
        row = self.session.execute(stmt).first()
        if row is None:
            self.session.execute(
                insert(tables.sightings).values(
                    indicator_id=sighting.indicator_id,
                    case_id=sighting.case_id,
                    evidence_id=sighting.evidence_id,
                    organisation_id=sighting.organisation_id,
                    first_seen=sighting.first_seen,
                    last_seen=sighting.last_seen,
                    count=sighting.count,
                    stage=sighting.stage.value if sighting.stage else None,
                    context=sighting.context[:2000],
                    analyzer=sighting.analyzer,
                    created_at=datetime.now(UTC),
                )
            )
            return
        stage = _stage_max(row.stage, sighting.stage.value if sighting.stage else None)
        self.session.execute(
            update(tables.sightings)
            .where(S.id == row.id)
            .values(
                count=max(row._mapping["count"], sighting.count),
                first_seen=_min(row.first_seen, sighting.first_seen),
                last_seen=_max(row.last_seen, sighting.last_seen),
                stage=stage,
            )
        )

    def remove_sightings_of_evidence(self, evidence_id: int, analyzer: str) -> None:
        self.session.execute(
            delete(tables.sightings).where(S.evidence_id == evidence_id, S.analyzer == analyzer)
        )

    def sightings(
        self, *, case_ids: Iterable[int] | None = None, indicator_ids: Iterable[int] | None = None
    ) -> list[Sighting]:
        stmt = select(
            tables.indicators,
            S.case_id.label("s_case_id"),
            S.evidence_id.label("s_evidence_id"),
            S.first_seen.label("s_first_seen"),
            S.context.label("s_context"),
            S.organisation_id.label("s_organisation_id"),
            S.stage.label("s_stage"),
            S.count.label("s_count"),
        ).join(tables.sightings, I.id == S.indicator_id)
        if case_ids is not None:
            stmt = stmt.where(S.case_id.in_(list(case_ids)))
        if indicator_ids is not None:
            stmt = stmt.where(S.indicator_id.in_(list(indicator_ids)))
        found = []
        for row in self.session.execute(stmt.order_by(S.id)):
            found.append(
                Sighting(
                    indicator=_indicator(row),
                    case_id=row.s_case_id,
                    evidence_id=row.s_evidence_id,
                    seen_at=row.s_first_seen,
                    context=row.s_context,
                    organisation_id=row.s_organisation_id,
                    stage=Stage(row.s_stage) if row.s_stage else None,
                    count=row.s_count,
                )
            )
        return found

    # -- case markers (families, contact markers, techniques) -------------------------------

    def add_marker(self, case_id: int, kind: str, value: str, source: str = "") -> None:
        exists = self.session.execute(
            select(M.id).where(M.case_id == case_id, M.kind == kind, M.value == value[:300])
        ).first()
        if exists is None:
            self.session.execute(
                insert(tables.case_markers).values(
                    case_id=case_id, kind=kind, value=value[:300], source=source
                )
            )

    def markers(self, case_ids: Iterable[int] | None = None) -> list[tuple[int, str, str]]:
        stmt = select(M.case_id, M.kind, M.value).order_by(M.id)
        if case_ids is not None:
            stmt = stmt.where(M.case_id.in_(list(case_ids)))
        return [(r.case_id, r.kind, r.value) for r in self.session.execute(stmt)]


class SqlAnalysisRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def save(self, record: AnalysisRecord) -> None:
        """Store one (evidence, analyzer, version) result, replacing an earlier run."""
        self.session.execute(
            delete(tables.analysis_results).where(
                A.evidence_id == record.evidence_id,
                A.analyzer == record.analyzer,
                A.analyzer_version == record.analyzer_version,
            )
        )
        self.session.execute(
            insert(tables.analysis_results).values(
                evidence_id=record.evidence_id,
                case_id=record.case_id,
                analyzer=record.analyzer,
                analyzer_version=record.analyzer_version,
                status=record.status,
                document=record.document,
                findings=record.findings,
                warnings=record.warnings,
                error=record.error,
                created_at=record.created_at,
                finished_at=record.finished_at,
            )
        )

    def for_case(self, case_id: int) -> list[AnalysisRecord]:
        rows = self.session.execute(
            select(tables.analysis_results).where(A.case_id == case_id).order_by(A.id)
        )
        return [_record(r) for r in rows]

    def for_evidence(self, evidence_id: int) -> list[AnalysisRecord]:
        rows = self.session.execute(
            select(tables.analysis_results).where(A.evidence_id == evidence_id).order_by(A.id)
        )
        return [_record(r) for r in rows]

    # -- parts of a large file analysed by several jobs

    def open_parts(self, parts: PartSet, now: datetime) -> None:
        self.session.execute(
            delete(tables.analysis_parts).where(
                P.evidence_id == parts.evidence_id,
                P.analyzer == parts.analyzer,
                P.analyzer_version == parts.analyzer_version,
            )
        )
        self.session.execute(
            insert(tables.analysis_parts),
            [
                {
                    "evidence_id": parts.evidence_id,
                    "analyzer": parts.analyzer,
                    "analyzer_version": parts.analyzer_version,
                    "part": part,
                    "parts": parts.parts,
                    "run": parts.run,
                    "created_at": now,
                }
                for part in range(parts.parts)
            ],
        )

    def part_stored(self, parts: PartSet, part: int) -> bool | None:
        row = self.session.execute(
            select(P.data.is_not(None)).where(*_part_set(parts), P.part == part)
        ).first()
        return None if row is None else bool(row[0])

    def save_part(self, parts: PartSet, part: int, data: bytes, now: datetime) -> bool:
        result = self.session.execute(
            update(tables.analysis_parts)
            .where(*_part_set(parts), P.part == part)
            .values(data=data, stored_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def parts_stored(self, parts: PartSet) -> tuple[int, int]:
        row = self.session.execute(
            select(func.count(P.data), func.count(P.id)).where(*_part_set(parts))
        ).one()
        return int(row[0]), int(row[1])

    def part_data(self, parts: PartSet, part: int) -> bytes | None:
        data: bytes | None = self.session.execute(
            select(P.data).where(*_part_set(parts), P.part == part)
        ).scalar_one_or_none()
        return data

    def delete_parts(self, parts: PartSet) -> int:
        result = self.session.execute(delete(tables.analysis_parts).where(*_part_set(parts)))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _part_set(parts: PartSet) -> tuple[Any, ...]:
    return (
        P.evidence_id == parts.evidence_id,
        P.analyzer == parts.analyzer,
        P.analyzer_version == parts.analyzer_version,
        P.run == parts.run,
    )


def _record(row: Row[Any]) -> AnalysisRecord:
    return AnalysisRecord(
        evidence_id=row.evidence_id,
        case_id=row.case_id,
        analyzer=row.analyzer,
        analyzer_version=row.analyzer_version,
        status=row.status,
        document=row.document,
        findings=row.findings,
        warnings=row.warnings,
        error=row.error,
        created_at=row.created_at,
        finished_at=row.finished_at,
        id=row.id,
    )


def _min(a: datetime | None, b: datetime | None) -> datetime | None:
    return min(a, b) if a and b else a or b


def _max(a: datetime | None, b: datetime | None) -> datetime | None:
    return max(a, b) if a and b else a or b


_STAGES = [s.value for s in Stage]


def _stage_max(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return a if _STAGES.index(a) >= _STAGES.index(b) else b
