"""Related incidents: cases that share indicators, ransomware family or contact markers,
CVEs, products or techniques, ranked with the reasons.

The desk sees them in full. A reporter sees only sanitised summaries of other cases —
category, family, month, sector and what helped — never their organisation, title or
reference.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from madoguchi.domain.case import Case
from madoguchi.domain.organisation import Actor
from madoguchi.domain.support import SupportStatus
from madoguchi.intel.correlation import CaseFeatures, RelatedCase, rank_related
from madoguchi.ports import CaseQuery, UnitOfWork
from madoguchi.services.cases import load_case


@dataclass(frozen=True)
class RelatedView:
    related: RelatedCase
    case: Case | None  # the desk only
    categories: tuple[str, ...]
    families: tuple[str, ...]
    month: str
    sector: str
    helped: tuple[str, ...]


def _features(uow: UnitOfWork, cases: list[Case]) -> list[CaseFeatures]:
    ids = [c.id for c in cases if c.id is not None]
    indicators: dict[int, set[str]] = defaultdict(set)
    for sighting in uow.indicators.sightings(case_ids=ids):
        if sighting.case_id is not None and not sighting.indicator.false_positive:
            indicators[sighting.case_id].add(
                f"{sighting.indicator.type.value}:{sighting.indicator.value}"
            )
    markers: dict[tuple[int, str], set[str]] = defaultdict(set)
    for case_id, kind, value in uow.indicators.markers(ids):
        markers[(case_id, kind)].add(value)
    found = []
    for case in cases:
        assert case.id is not None
        found.append(
            CaseFeatures.of(
                case.id,
                indicator=indicators[case.id],
                family=markers[(case.id, "family")],
                contact=markers[(case.id, "contact")],
                cve=case.cves,
                product=[_product_family(p) for p in case.products],
                technique=markers[(case.id, "technique")],
            )
        )
    return found


def _product_family(product: str) -> str:
    """``PAN-OS 10.2.9 GlobalProtect`` → ``pan-os``: versions do not make cases related."""
    words = [w for w in product.lower().replace(",", " ").split() if not w[:1].isdigit()]
    return " ".join(words[:2])


def related_cases(
    uow: UnitOfWork, actor: Actor, case_id: int, limit: int = 10
) -> list[RelatedView]:
    case = load_case(uow, actor, case_id)
    everyone = list(uow.cases.query(CaseQuery(limit=5000)))
    features = _features(uow, everyone)
    mine = next(f for f in features if f.case_id == case.id)
    ranked = rank_related(mine, [f for f in features if f.case_id != case.id], limit=limit)
    by_id = {c.id: c for c in everyone}
    family_of: dict[int, set[str]] = defaultdict(set)
    for cid, kind, value in uow.indicators.markers([r.case_id for r in ranked]):
        if kind == "family":
            family_of[cid].add(value)
    views = []
    for item in ranked:
        other = by_id[item.case_id]
        sector = ""
        for party in other.parties:
            org = uow.organisations.get(party.organisation_id)
            if org is not None and org.sector:
                sector = org.sector
                break
        helped = tuple(
            s.item_id for s in uow.support.for_case(item.case_id) if s.status is SupportStatus.DONE
        )
        views.append(
            RelatedView(
                related=item if actor.is_desk else _sanitised(item),
                case=other if actor.is_desk else None,
                categories=tuple(other.categories),
                families=tuple(sorted(family_of[item.case_id])),
                month=other.created_at.strftime("%Y-%m") if other.created_at else "",
                sector=sector,
                helped=helped,
            )
        )
    return views


def _sanitised(item: RelatedCase) -> RelatedCase:
    """Reasons without the shared values of other organisations' cases (kinds only) and
    without the other case's id."""
    from madoguchi.intel.correlation import Reason

    reasons = tuple(Reason(r.kind, (), r.score) for r in item.reasons)
    return RelatedCase(0, item.score, reasons)
