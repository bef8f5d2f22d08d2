"""Correlation: address × organisation matrix, clusters, feedback, related cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from madoguchi.domain.findings import Stage
from madoguchi.domain.indicator import Indicator, IndicatorType, Sighting
from madoguchi.intel.correlation import (
    CaseFeatures,
    address_clusters,
    attack_matrix,
    feedback_for,
    rank_related,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TAG = "cve:CVE-2024-3400"


def seen(address: str, org: int, day: int, stage: Stage | None = None, tags=(TAG,)) -> Sighting:
    return Sighting(
        Indicator(IndicatorType.IPV4, address, tags=tuple(tags)),
        case_id=org * 10,
        organisation_id=org,
        seen_at=T0 + timedelta(days=day),
        stage=stage,
    )


SIGHTINGS = [
    seen("198.51.100.1", 1, 3, Stage.SCAN),
    seen("198.51.100.1", 1, 5, Stage.EXPLOITED),
    seen("198.51.100.1", 1, 4, Stage.ATTEMPT),
    seen("198.51.100.1", 2, 1, Stage.SCAN),
    seen("198.51.100.1", 3, 7, Stage.IMPACT),
    seen("198.51.100.2", 1, 2),
    seen("198.51.100.2", 2, 2, Stage.POST_EXPLOITATION),
    seen("198.51.100.2", 3, 2),
    seen("203.0.113.9", 4, 9, Stage.SCAN),
    seen("203.0.113.10", 4, 9, Stage.SCAN),
    seen("192.0.2.77", 1, 1, tags=("family:other",)),
]


def test_matrix_counts_times_and_highest_stage() -> None:
    cells = attack_matrix(SIGHTINGS, TAG)
    cell = next(c for c in cells if c.address == "198.51.100.1" and c.organisation_id == 1)
    assert (cell.count, cell.first_seen, cell.last_seen, cell.max_stage) == (
        3,
        T0 + timedelta(days=3),
        T0 + timedelta(days=5),
        Stage.EXPLOITED,
    )
    assert "192.0.2.77" not in {c.address for c in cells}
    assert len(cells) == 8


def test_clusters_group_addresses_by_organisations_hit() -> None:
    clusters = address_clusters(attack_matrix(SIGHTINGS, TAG))
    assert [(c.addresses, sorted(c.organisations)) for c in clusters] == [
        (("198.51.100.1", "198.51.100.2"), [1, 2, 3]),
        (("203.0.113.10", "203.0.113.9"), [4]),
    ]
    assert address_clusters(reversed(attack_matrix(SIGHTINGS, TAG))) == clusters


def test_near_sets_merge_only_above_threshold() -> None:
    sightings = [seen("10.0.0.1", o, 1) for o in (1, 2, 3, 4)] + [
        seen("10.0.0.2", o, 1) for o in (1, 2, 3)
    ]
    cells = attack_matrix(sightings, TAG)
    assert len(address_clusters(cells, threshold=0.7)) == 1
    assert len(address_clusters(cells, threshold=0.8)) == 2


def test_feedback_counts_others_without_naming_them() -> None:
    feedback = feedback_for(1, SIGHTINGS, TAG)
    first = next(a for a in feedback.addresses if a.address == "198.51.100.1")
    assert (first.count, first.max_stage, first.other_organisations, first.earliest_elsewhere) == (
        3,
        Stage.EXPLOITED,
        2,
        T0 + timedelta(days=1),
    )
    assert {a.address for a in feedback.addresses} == {"198.51.100.1", "198.51.100.2"}
    text = repr(feedback)
    for other in ("organisation_id=2", "organisation_id=3", "organisation_id=4"):
        assert other not in text
    lonely = feedback_for(4, SIGHTINGS, TAG)
    assert all(a.other_organisations == 0 for a in lonely.addresses)
    assert lonely.seen_elsewhere == ()


def test_related_cases_ranked_with_reasons() -> None:
    case = CaseFeatures.of(
        1,
        family=["Akira"],
        contact=["akira-contact.onion"],
        cve=["CVE-2024-3400"],
        product=["PAN-OS"],
        technique=["T1486"],
    )
    others = [
        CaseFeatures.of(2, family=["akira"], contact=["AKIRA-contact.onion"], technique=["T1486"]),
        CaseFeatures.of(3, cve=["CVE-2024-3400"], product=["pan-os"]),
        CaseFeatures.of(4, technique=["T1486"]),
        CaseFeatures.of(5, family=["lockbit"]),
    ]
    ranked = rank_related(case, others)
    assert [r.case_id for r in ranked] == [2, 3, 4]
    top = ranked[0]
    assert [reason.kind for reason in top.reasons] == ["contact", "family", "technique"]
    assert top.reasons[0].shared == ("akira-contact.onion",)
    assert ranked[1].reasons[0].kind == "cve"
    assert ranked[2].score < ranked[1].score
