"""Leak-site posts, leak matches and exfiltration items (SQLAlchemy Core)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.orm import Session

from madoguchi.domain.leak import (
    EvidencePointer,
    ExfilItem,
    ExfilKind,
    LeakMatch,
    LeakPost,
    ReviewState,
)
from madoguchi.storage.sql import tables

P = tables.leak_posts.c
M = tables.leak_matches.c
X = tables.exfil_items.c


def _post(row: Row[Any]) -> LeakPost:
    return LeakPost(
        source=row.source,
        post_title=row.post_title,
        group_name=row.group_name,
        key=row.key,
        discovered=row.discovered,
        published=row.published,
        post_url=row.post_url,
        website=row.website,
        country=row.country,
        description=row.description,
        activity=row.activity,
        id=row.id,
        imported_at=row.imported_at,
    )


def _match(row: Row[Any]) -> LeakMatch:
    return LeakMatch(
        post_id=row.post_id,
        matched_name=row.matched_name,
        matched_on=row.matched_on,
        score=row.score,
        case_id=row.case_id,
        organisation_id=row.organisation_id,
        state=ReviewState(row.state),
        shared_with=list(row.shared_with or []),
        reviewed_by=row.reviewed_by,
        reviewed_at=row.reviewed_at,
        note=row.note,
        created_at=row.created_at,
        id=row.id,
    )


def _item(row: Row[Any]) -> ExfilItem:
    return ExfilItem(
        case_id=row.case_id,
        key=row.key,
        kind=ExfilKind(row.kind),
        summary=row.summary,
        confidence=row.confidence,
        tool=row.tool,
        hosts=list(row.hosts or []),
        accounts=list(row.accounts or []),
        sources=list(row.sources or []),
        destinations=list(row.destinations or []),
        filters=list(row.filters or []),
        bytes=row.bytes,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        evidence=[EvidencePointer.from_dict(e) for e in row.evidence or []],
        state=ReviewState(row.state),
        shared_with=list(row.shared_with or []),
        personal_data=row.personal_data,
        reviewed_by=row.reviewed_by,
        reviewed_at=row.reviewed_at,
        note=row.note,
        id=row.id,
    )


def _item_values(item: ExfilItem) -> dict[str, Any]:
    return {
        "case_id": item.case_id,
        "key": item.key,
        "kind": item.kind.value,
        "summary": item.summary,
        "confidence": item.confidence,
        "tool": item.tool[:64],
        "hosts": item.hosts,
        "accounts": item.accounts,
        "sources": item.sources,
        "destinations": item.destinations,
        "filters": item.filters,
        "bytes": item.bytes,
        "first_seen": item.first_seen,
        "last_seen": item.last_seen,
        "evidence": [e.to_dict() for e in item.evidence],
        "state": item.state.value,
        "shared_with": sorted(set(item.shared_with)),
        "personal_data": item.personal_data,
        "reviewed_by": item.reviewed_by,
        "reviewed_at": item.reviewed_at,
        "note": item.note,
    }


class SqlLeakRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- posts -------------------------------------------------------------------------------

    def add_post(self, post: LeakPost) -> tuple[LeakPost, bool]:
        """Insert a post, or refresh the stored one with the same key; says if it was new."""
        values = {
            "source": post.source[:32],
            "post_title": post.post_title,
            "group_name": post.group_name[:200],
            "discovered": post.discovered,
            "published": post.published,
            "post_url": post.post_url,
            "website": post.website[:500],
            "country": post.country[:8],
            "description": post.description,
            "activity": post.activity[:200],
        }
        row = self.session.execute(select(P.id).where(P.key == post.key)).first()
        if row is not None:
            self.session.execute(update(tables.leak_posts).where(P.id == row.id).values(**values))
            stored = self.get_post(row.id)
            assert stored is not None
            return stored, False
        new_id = self.session.execute(
            insert(tables.leak_posts)
            .values(key=post.key, imported_at=post.imported_at or datetime.now(UTC), **values)
            .returning(P.id)
        ).scalar_one()
        stored = self.get_post(int(new_id))
        assert stored is not None
        return stored, True

    def get_post(self, post_id: int) -> LeakPost | None:
        row = self.session.execute(select(tables.leak_posts).where(P.id == post_id)).first()
        return _post(row) if row is not None else None

    def posts(self, *, limit: int = 500, offset: int = 0) -> Sequence[LeakPost]:
        stmt = (
            select(tables.leak_posts)
            .order_by(P.published.desc().nulls_last(), P.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [_post(r) for r in self.session.execute(stmt)]

    def posts_by_ids(self, post_ids: Iterable[int]) -> Mapping[int, LeakPost]:
        wanted = sorted(set(post_ids))
        if not wanted:
            return {}
        rows = self.session.execute(select(tables.leak_posts).where(P.id.in_(wanted)))
        return {r.id: _post(r) for r in rows}

    def count_posts(self) -> int:
        return int(
            self.session.execute(select(func.count()).select_from(tables.leak_posts)).scalar_one()
        )

    # -- matches -----------------------------------------------------------------------------

    def add_match(self, match: LeakMatch) -> LeakMatch | None:
        """Store a new match; ``None`` when this post already matched this case/organisation."""
        stmt = select(M.id).where(M.post_id == match.post_id)
        stmt = stmt.where(
            M.case_id == match.case_id if match.case_id is not None else M.case_id.is_(None)
        )
        stmt = stmt.where(
            M.organisation_id == match.organisation_id
            if match.organisation_id is not None
            else M.organisation_id.is_(None)
        )
        if self.session.execute(stmt).first() is not None:
            return None
        new_id = self.session.execute(
            insert(tables.leak_matches)
            .values(
                post_id=match.post_id,
                case_id=match.case_id,
                organisation_id=match.organisation_id,
                matched_name=match.matched_name[:300],
                matched_on=match.matched_on,
                score=match.score,
                state=match.state.value,
                shared_with=sorted(set(match.shared_with)),
                note=match.note,
                created_at=match.created_at or datetime.now(UTC),
            )
            .returning(M.id)
        ).scalar_one()
        return self.get_match(int(new_id))

    def get_match(self, match_id: int) -> LeakMatch | None:
        row = self.session.execute(select(tables.leak_matches).where(M.id == match_id)).first()
        return _match(row) if row is not None else None

    def matches(
        self, *, case_id: int | None = None, organisations_only: bool = False
    ) -> Sequence[LeakMatch]:
        stmt = select(tables.leak_matches).order_by(M.score.desc(), M.id)
        if case_id is not None:
            stmt = stmt.where(M.case_id == case_id)
        if organisations_only:
            stmt = stmt.where(M.case_id.is_(None))
        return [_match(r) for r in self.session.execute(stmt)]

    def update_match(self, match: LeakMatch) -> None:
        assert match.id is not None
        self.session.execute(
            update(tables.leak_matches)
            .where(M.id == match.id)
            .values(
                state=match.state.value,
                shared_with=sorted(set(match.shared_with)),
                reviewed_by=match.reviewed_by,
                reviewed_at=match.reviewed_at,
                note=match.note,
                score=match.score,
            )
        )

    # -- exfiltration items ------------------------------------------------------------------

    def exfil_items(self, case_id: int) -> Sequence[ExfilItem]:
        stmt = (
            select(tables.exfil_items)
            .where(X.case_id == case_id)
            .order_by(X.confidence.desc(), X.first_seen, X.id)
        )
        return [_item(r) for r in self.session.execute(stmt)]

    def get_exfil(self, item_id: int) -> ExfilItem | None:
        row = self.session.execute(select(tables.exfil_items).where(X.id == item_id)).first()
        return _item(row) if row is not None else None

    def save_exfil(self, item: ExfilItem) -> ExfilItem:
        """Insert, or update the stored item with the same id or (case, key)."""
        values = _item_values(item)
        item_id = item.id
        if item_id is None:
            row = self.session.execute(
                select(X.id).where(X.case_id == item.case_id, X.key == item.key)
            ).first()
            item_id = row.id if row is not None else None
        if item_id is None:
            item_id = int(
                self.session.execute(
                    insert(tables.exfil_items).values(**values).returning(X.id)
                ).scalar_one()
            )
        else:
            self.session.execute(update(tables.exfil_items).where(X.id == item_id).values(**values))
        stored = self.get_exfil(item_id)
        assert stored is not None
        return stored

    def remove_exfil(self, item_id: int) -> None:
        self.session.execute(delete(tables.exfil_items).where(X.id == item_id))
