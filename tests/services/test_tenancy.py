from __future__ import annotations

import pytest
from tests.world import VICTIM_NAME, World, build_world

from madoguchi.bootstrap import Desk
from madoguchi.domain.errors import NotFoundError, ValidationError
from madoguchi.services import accounts, cases, messages


def _actor(desk: Desk, world: World, role: str):  # type: ignore[no-untyped-def]
    with desk.uow_factory() as uow:
        user = uow.users.get(world.people[role].user_id)
        assert user is not None
        return accounts.actor_for(uow, user)


def test_reporters_list_only_cases_of_their_organisation(desk: Desk) -> None:
    world = build_world(desk)
    seen = {}
    for role in ("desk_handler", "party_reporter", "victim_reporter", "other_reporter"):
        actor = _actor(desk, world, role)
        with desk.uow_factory() as uow:
            seen[role] = {c.id for c in cases.list_cases(uow, actor)}
    assert seen["desk_handler"] == {world.case_a, world.case_b}
    assert seen["party_reporter"] == {world.case_a}
    assert seen["victim_reporter"] == {world.case_a}
    assert seen["other_reporter"] == {world.case_b}


def test_a_forbidden_case_looks_exactly_like_a_missing_one(desk: Desk) -> None:
    world = build_world(desk)
    actor = _actor(desk, world, "other_reporter")
    with desk.uow_factory() as uow:
        with pytest.raises(NotFoundError) as forbidden:
            cases.view_case(uow, actor, world.case_a)
        with pytest.raises(NotFoundError) as missing:
            cases.view_case(uow, actor, 999_999)
    assert forbidden.value.message == missing.value.message


def test_hidden_victim_is_named_only_to_the_desk_and_itself(desk: Desk) -> None:
    world = build_world(desk)
    names = {}
    for role in ("desk_admin", "party_reporter", "party_org_admin", "victim_reporter"):
        actor = _actor(desk, world, role)
        with desk.uow_factory() as uow:
            view = cases.view_case(uow, actor, world.case_a)
            names[role] = {p.name for p in view.parties}
    assert VICTIM_NAME in names["desk_admin"]
    assert VICTIM_NAME in names["victim_reporter"]
    assert VICTIM_NAME not in names["party_reporter"]
    assert VICTIM_NAME not in names["party_org_admin"]


def test_reads_of_a_case_are_audited(desk: Desk) -> None:
    world = build_world(desk)
    actor = _actor(desk, world, "party_reporter")
    with desk.uow_factory() as uow:
        cases.view_case(uow, actor, world.case_a, ip="192.0.2.1")
        uow.commit()
    with desk.uow_factory() as uow:
        reads = [e for e in uow.audit.for_case(world.case_a) if e.action == "case:read"]
    assert reads and reads[0].actor_id == actor.user_id and reads[0].ip == "192.0.2.1"


def test_reporters_see_only_messages_shared_with_them(desk: Desk) -> None:
    world = build_world(desk)
    bodies = {}
    for role in ("desk_handler", "party_reporter", "victim_reporter"):
        actor = _actor(desk, world, role)
        with desk.uow_factory() as uow:
            bodies[role] = {
                v.message.body for v in messages.visible_messages(uow, actor, world.case_a)
            }
    assert bodies["desk_handler"] == {world.internal_note, world.shared_message}
    assert bodies["party_reporter"] == {world.shared_message}
    assert bodies["victim_reporter"] == set()


def test_a_reporter_message_is_shared_with_their_organisation_only(desk: Desk) -> None:
    world = build_world(desk)
    actor = _actor(desk, world, "party_reporter")
    with desk.uow_factory() as uow:
        message = messages.post_message(
            uow,
            actor,
            world.case_a,
            "from the vendor",
            internal=True,
            shared_with=[world.victim_org],
        )
        uow.commit()
    assert not message.internal and message.shared_with == [world.vendor_org]


def test_the_desk_cannot_share_a_message_outside_the_case(desk: Desk) -> None:
    world = build_world(desk)
    actor = _actor(desk, world, "desk_handler")
    with desk.uow_factory() as uow, pytest.raises(ValidationError):
        messages.post_message(uow, actor, world.case_a, "hello", shared_with=[world.other_org])


def test_reference_numbers_count_up_per_year(desk: Desk) -> None:
    world = build_world(desk)
    with desk.uow_factory() as uow:
        a = uow.cases.get(world.case_a)
        b = uow.cases.get(world.case_b)
    assert a is not None and b is not None
    year = a.created_at.year if a.created_at else 0
    assert a.reference == f"MDG-{year}-00001"
    assert b.reference == f"MDG-{year}-00002"
