"""Cross-organisation correlation: who was hit by which address, and how far it got.

Pure functions over sightings that carry an ``organisation_id``. The desk sees the
whole matrix; an organisation only ever gets ``feedback_for`` its own id, which
says how many *other* organisations saw each address and the earliest time they
did, never which ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from madoguchi.domain.findings import Stage
from madoguchi.domain.indicator import Sighting

_STAGE_ORDER = list(Stage)


def stage_rank(stage: Stage | None) -> int:
    """scan < attempt < exploited < post-exploitation < impact; no stage ranks lowest."""
    return -1 if stage is None else _STAGE_ORDER.index(stage)


def _max_stage(first: Stage | None, second: Stage | None) -> Stage | None:
    return first if stage_rank(first) >= stage_rank(second) else second


def _earliest(first: datetime | None, second: datetime | None) -> datetime | None:
    if first is None or second is None:
        return first or second
    return min(first, second)


def _latest(first: datetime | None, second: datetime | None) -> datetime | None:
    if first is None or second is None:
        return first or second
    return max(first, second)


@dataclass(frozen=True, slots=True)
class MatrixCell:
    """One attacker address × one organisation."""

    address: str
    organisation_id: int
    count: int
    first_seen: datetime | None
    last_seen: datetime | None
    max_stage: Stage | None


def attack_matrix(sightings: Iterable[Sighting], tag: str | None = None) -> list[MatrixCell]:
    """Address × organisation cells for address sightings carrying ``tag`` (all when None).

    ``tag`` is a full tag such as ``cve:CVE-2024-3400`` or ``family:akira``.
    """
    cells: dict[tuple[str, int], MatrixCell] = {}
    for sighting in sightings:
        indicator = sighting.indicator
        if sighting.organisation_id is None or not indicator.type.is_address:
            continue
        if tag is not None and tag not in indicator.tags:
            continue
        key = (indicator.value, sighting.organisation_id)
        old = cells.get(key)
        if old is None:
            cells[key] = MatrixCell(
                indicator.value,
                sighting.organisation_id,
                sighting.count,
                sighting.seen_at,
                sighting.seen_at,
                sighting.stage,
            )
            continue
        cells[key] = MatrixCell(
            old.address,
            old.organisation_id,
            old.count + sighting.count,
            _earliest(old.first_seen, sighting.seen_at),
            _latest(old.last_seen, sighting.seen_at),
            _max_stage(old.max_stage, sighting.stage),
        )
    return sorted(cells.values(), key=lambda cell: (cell.address, cell.organisation_id))


@dataclass(frozen=True, slots=True)
class AddressCluster:
    """Addresses that hit the same (or nearly the same) set of organisations."""

    addresses: tuple[str, ...]
    organisations: frozenset[int]


def _jaccard(first: frozenset[int], second: frozenset[int]) -> float:
    union = first | second
    return len(first & second) / len(union) if union else 0.0


def address_clusters(
    cells: Iterable[MatrixCell], *, threshold: float = 0.6
) -> list[AddressCluster]:
    """Group addresses by the organisations they hit, merging sets with Jaccard ≥ ``threshold``.

    Addresses with exactly the same organisation set start in one group; groups
    are then joined (single linkage) when their sets are similar enough. The
    result is the same whatever the input order. Only addresses that hit at least
    one organisation take part; clusters come largest first.
    """
    targets: dict[str, set[int]] = {}
    for cell in cells:
        targets.setdefault(cell.address, set()).add(cell.organisation_id)
    groups: dict[frozenset[int], list[str]] = {}
    for address, organisations in targets.items():
        groups.setdefault(frozenset(organisations), []).append(address)
    keys = sorted(groups, key=lambda orgs: (-len(orgs), sorted(orgs)))
    parent = list(range(len(keys)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for i, first in enumerate(keys):
        for j in range(i + 1, len(keys)):
            if _jaccard(first, keys[j]) >= threshold:
                parent[root(j)] = root(i)
    merged: dict[int, tuple[list[str], set[int]]] = {}
    for index, key in enumerate(keys):
        addresses, organisations = merged.setdefault(root(index), ([], set()))
        addresses.extend(groups[key])
        organisations.update(key)
    clusters = [
        AddressCluster(tuple(sorted(addresses)), frozenset(organisations))
        for addresses, organisations in merged.values()
    ]
    return sorted(clusters, key=lambda c: (-len(c.organisations), -len(c.addresses), c.addresses))


@dataclass(frozen=True, slots=True)
class AddressFeedback:
    """What organisation X may learn about one address it saw itself."""

    address: str
    count: int
    first_seen: datetime | None
    last_seen: datetime | None
    max_stage: Stage | None
    other_organisations: int
    earliest_elsewhere: datetime | None


@dataclass(frozen=True, slots=True)
class OrganisationFeedback:
    organisation_id: int
    addresses: tuple[AddressFeedback, ...]

    @property
    def seen_elsewhere(self) -> tuple[AddressFeedback, ...]:
        return tuple(item for item in self.addresses if item.other_organisations)


def feedback_for(
    organisation_id: int, sightings: Iterable[Sighting], tag: str | None = None
) -> OrganisationFeedback:
    """Organisation ``organisation_id``'s own addresses with counts from the others.

    For each address it saw: its own counts, times and stage, how many other
    organisations saw the same address and the earliest first-seen among them.
    No other organisation's id, name or counts appear.
    """
    cells = attack_matrix(sightings, tag)
    own = {cell.address: cell for cell in cells if cell.organisation_id == organisation_id}
    elsewhere: dict[str, tuple[int, datetime | None]] = {}
    for cell in cells:
        if cell.organisation_id == organisation_id or cell.address not in own:
            continue
        number, first = elsewhere.get(cell.address, (0, None))
        elsewhere[cell.address] = (number + 1, _earliest(first, cell.first_seen))
    items = tuple(
        AddressFeedback(
            address,
            cell.count,
            cell.first_seen,
            cell.last_seen,
            cell.max_stage,
            *elsewhere.get(address, (0, None)),
        )
        for address, cell in sorted(own.items())
    )
    return OrganisationFeedback(organisation_id, items)


# --- related cases -------------------------------------------------------------------

#: How much one shared item of each kind counts. Contact markers and family names
#: tie cases to one actor; products and techniques are shared by many unrelated cases.
WEIGHTS: dict[str, float] = {
    "contact": 6.0,
    "family": 5.0,
    "indicator": 3.0,
    "cve": 2.0,
    "product": 1.0,
    "technique": 0.5,
}


@dataclass(frozen=True, slots=True)
class CaseFeatures:
    """What a case is about, by kind: ``indicator``, ``family``, ``contact``, ``cve``,
    ``product``, ``technique`` (values compared case-insensitively)."""

    case_id: int
    features: dict[str, frozenset[str]]

    @classmethod
    def of(cls, case_id: int, **kinds: Iterable[str]) -> CaseFeatures:
        return cls(
            case_id,
            {
                kind: frozenset(v.strip().lower() for v in values if v.strip())
                for kind, values in kinds.items()
            },
        )


@dataclass(frozen=True, slots=True)
class Reason:
    kind: str
    shared: tuple[str, ...]
    score: float


@dataclass(frozen=True, slots=True)
class RelatedCase:
    case_id: int
    score: float
    reasons: tuple[Reason, ...]


def rank_related(
    case: CaseFeatures,
    others: Sequence[CaseFeatures],
    *,
    limit: int = 10,
    weights: dict[str, float] | None = None,
) -> list[RelatedCase]:
    """Other cases sharing items with ``case``, best first, each with its reasons.

    Each shared item adds the weight of its kind divided by the number of cases
    that have it, so an item every case shares counts little. Cases sharing
    nothing are left out; ties are broken by case id.
    """
    table = weights or WEIGHTS
    everyone = [case, *(other for other in others if other.case_id != case.case_id)]
    frequency: dict[tuple[str, str], int] = {}
    for features in everyone:
        for kind, values in features.features.items():
            for value in values:
                frequency[(kind, value)] = frequency.get((kind, value), 0) + 1
    ranked: list[RelatedCase] = []
    for other in everyone[1:]:
        reasons: list[Reason] = []
        for kind in sorted(case.features):
            shared = case.features[kind] & other.features.get(kind, frozenset())
            if not shared:
                continue
            score = sum(table.get(kind, 1.0) / frequency[(kind, value)] for value in shared)
            reasons.append(Reason(kind, tuple(sorted(shared)), round(score, 3)))
        if reasons:
            reasons.sort(key=lambda reason: (-reason.score, reason.kind))
            total = round(sum(reason.score for reason in reasons), 3)
            ranked.append(RelatedCase(other.case_id, total, tuple(reasons)))
    ranked.sort(key=lambda related: (-related.score, related.case_id))
    return ranked[:limit]
