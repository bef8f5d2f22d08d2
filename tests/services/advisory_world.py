"""Indicators, sightings and a published advisory on top of ``tests.world``.

``case_a`` (vendor reporting for a hidden victim) gets PAN-OS / CVE-2024-3400 and
attacker addresses at several TLP levels; ``case_b`` (the other organisation) gets one
AMBER address of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tests.world import World

from madoguchi.bootstrap import Desk
from madoguchi.domain.indicator import Indicator, IndicatorSource, IndicatorType, SourceKind
from madoguchi.domain.organisation import Actor
from madoguchi.domain.tlp import TLP
from madoguchi.ports import StoredSighting, UnitOfWork
from madoguchi.services import accounts, advisories

CLEAR_IP = "198.51.100.7"
GREEN_DOMAIN = "update-check.example"
AMBER_IP = "203.0.113.9"
AMBER_OTHER_IP = "192.0.2.44"
RED_HASH = "a" * 64
SEEN = datetime(2026, 3, 2, 4, 5, tzinfo=UTC)


@dataclass
class Seeded:
    ids: dict[str, int]


def actor(uow: UnitOfWork, world: World, role: str) -> Actor:
    user = uow.users.get(world.people[role].user_id)
    assert user is not None
    return accounts.actor_for(uow, user)


def add_indicator(
    uow: UnitOfWork,
    kind: IndicatorType,
    value: str,
    tlp: TLP,
    case_id: int,
    *,
    description: str = "",
    count: int = 3,
) -> int:
    """A PAN-OS analyzer indicator seen in ``case_id`` (not committed)."""
    stored = uow.indicators.upsert(
        Indicator(
            type=kind,
            value=value,
            tlp=tlp,
            source=IndicatorSource(SourceKind.ANALYZER, "panos"),
            tags=("cve:CVE-2024-3400",),
            description=description,
            first_seen=SEEN,
            last_seen=SEEN,
        )
    )
    assert stored.id is not None
    uow.indicators.add_sighting(
        StoredSighting(indicator_id=stored.id, case_id=case_id, first_seen=SEEN, count=count)
    )
    return stored.id


def seed_indicators(desk: Desk, world: World) -> Seeded:
    with desk.uow_factory() as uow:
        case = uow.cases.get(world.case_a)
        assert case is not None
        case.products = ["PAN-OS 10.2.9"]
        case.cves = ["CVE-2024-3400"]
        case.categories = ["device_vulnerability"]
        case.started_at = SEEN
        ids = {
            "clear": add_indicator(uow, IndicatorType.IPV4, CLEAR_IP, TLP.CLEAR, world.case_a),
            "green": add_indicator(
                uow, IndicatorType.DOMAIN, GREEN_DOMAIN, TLP.GREEN, world.case_a
            ),
            "amber": add_indicator(uow, IndicatorType.IPV4, AMBER_IP, TLP.AMBER, world.case_a),
            "amber_other": add_indicator(
                uow, IndicatorType.IPV4, AMBER_OTHER_IP, TLP.AMBER, world.case_b
            ),
            "red": add_indicator(uow, IndicatorType.SHA256, RED_HASH, TLP.RED, world.case_a),
        }
        uow.commit()
    return Seeded(ids)


def publish_from_case_a(desk: Desk, world: World) -> tuple[int, str]:
    """Draft from case_a (handler), approve and publish (admin): (advisory id, slug)."""
    with desk.uow_factory() as uow:
        handler = actor(uow, world, "desk_handler")
        admin = actor(uow, world, "desk_admin")
        draft = advisories.draft_from_case(uow, handler, world.case_a)
        assert draft.id is not None
        advisories.request_review(uow, handler, draft.id)
        advisories.approve(uow, admin, draft.id)
        advisories.publish(uow, admin, draft.id)
        uow.commit()
        return draft.id, draft.slug


def probe_placeholders(desk: Desk, world: World) -> dict[str, str]:
    """For the authorization test: a published advisory and the ids its routes take."""
    seed_indicators(desk, world)
    advisory_id, slug = publish_from_case_a(desk, world)
    return {
        "{advisory_id}": str(advisory_id),
        "{slug}": slug,
        "{collection_id}": "madoguchi-indicators",
    }
