"""Case workflow for the desk: status, assignment, urgency, merging and links."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from madoguchi.domain.case import Case, CaseParty, CaseStatus, Urgency
from madoguchi.domain.errors import ValidationError
from madoguchi.domain.organisation import Actor
from madoguchi.domain.support import CaseLink
from madoguchi.i18n.catalogue import N_
from madoguchi.ports import CaseQuery, UnitOfWork
from madoguchi.services import access, audit
from madoguchi.services.cases import load_case

# new → hearing → analysing → advising → closed, or declined / merged from any open state.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.NEW: frozenset(
        {CaseStatus.HEARING, CaseStatus.ANALYSING, CaseStatus.DECLINED, CaseStatus.CLOSED}
    ),
    CaseStatus.HEARING: frozenset(
        {CaseStatus.ANALYSING, CaseStatus.ADVISING, CaseStatus.DECLINED, CaseStatus.CLOSED}
    ),
    CaseStatus.ANALYSING: frozenset({CaseStatus.HEARING, CaseStatus.ADVISING, CaseStatus.CLOSED}),
    CaseStatus.ADVISING: frozenset({CaseStatus.ANALYSING, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.ADVISING}),
    CaseStatus.DECLINED: frozenset({CaseStatus.NEW}),
    CaseStatus.MERGED: frozenset(),
}


def _touch(case: Case) -> None:
    case.updated_at = datetime.now(UTC)


def change_status(
    uow: UnitOfWork, actor: Actor, case_id: int, status: CaseStatus, *, ip: str | None = None
) -> Case:
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    if status is CaseStatus.MERGED:
        raise ValidationError(N_("use merge to mark a duplicate"), where="status")
    if status is not case.status and status not in TRANSITIONS[case.status]:
        raise ValidationError(N_("this status change is not allowed"), where="status")
    old, case.status = case.status, status
    _touch(case)
    audit.record(
        uow,
        actor,
        "case:status",
        "case",
        case.id,
        case_id=case.id,
        ip=ip,
        old=old.value,
        new=status.value,
    )
    return case


def assign(uow: UnitOfWork, actor: Actor, case_id: int, assignee_id: int | None) -> Case:
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    if assignee_id is not None:
        memberships = uow.users.memberships_of(assignee_id)
        if not any(m.role.is_desk for m in memberships):
            raise ValidationError(N_("cases are assigned to desk handlers"), where="assignee_id")
    case.assignee_id = assignee_id
    _touch(case)
    audit.record(uow, actor, "case:assign", "case", case.id, case_id=case.id, assignee=assignee_id)
    return case


def set_urgency(uow: UnitOfWork, actor: Actor, case_id: int, urgency: Urgency) -> Case:
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    old, case.urgency = case.urgency, urgency
    _touch(case)
    audit.record(
        uow,
        actor,
        "case:urgency",
        "case",
        case.id,
        case_id=case.id,
        old=old.value,
        new=urgency.value,
    )
    return case


def link(uow: UnitOfWork, actor: Actor, case_id: int, other_id: int, kind: str = "related") -> None:
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    other = load_case(uow, actor, other_id)
    if case.id == other.id:
        raise ValidationError(N_("a case cannot be linked to itself"), where="other")
    assert case.id is not None and other.id is not None
    for existing in uow.links.for_case(case.id):
        if {existing.case_id, existing.other_case_id} == {case.id, other.id}:
            return
    uow.links.add(CaseLink(case.id, other.id, kind, actor.user_id, datetime.now(UTC)))
    audit.record(
        uow, actor, "case:link", "case", case.id, case_id=case.id, other=other.id, kind=kind
    )


def linked_cases(uow: UnitOfWork, actor: Actor, case_id: int) -> list[tuple[CaseLink, Case]]:
    """Links of a case (desk only: a link may point at another organisation's case)."""
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    found = []
    for item in uow.links.for_case(case.id):
        other_id = item.other_case_id if item.case_id == case.id else item.case_id
        other = uow.cases.get(other_id)
        if other is not None:
            found.append((item, other))
    return found


def merge(uow: UnitOfWork, actor: Actor, duplicate_id: int, into_id: int) -> Case:
    """Mark a duplicate submission as merged into another case; its parties join it."""
    access.require_desk(actor)
    duplicate = load_case(uow, actor, duplicate_id)
    target = load_case(uow, actor, into_id)
    if duplicate.id == target.id:
        raise ValidationError(N_("a case cannot be merged into itself"), where="into")
    if not target.status.is_open:
        raise ValidationError(N_("merge into an open case"), where="into")
    present = {(p.organisation_id, p.role) for p in target.parties}
    for party in duplicate.parties:
        if (party.organisation_id, party.role) not in present:
            target.parties.append(
                CaseParty(party.organisation_id, party.role, hide_identity=party.hide_identity)
            )
    duplicate.status = CaseStatus.MERGED
    duplicate.merged_into_id = target.id
    _touch(duplicate)
    _touch(target)
    assert duplicate.id is not None and target.id is not None
    link(uow, actor, duplicate.id, target.id, "duplicate")
    audit.record(
        uow, actor, "case:merge", "case", duplicate.id, case_id=duplicate.id, into=target.id
    )
    audit.record(
        uow, actor, "case:merged-in", "case", target.id, case_id=target.id, duplicate=duplicate.id
    )
    return target


def desk_queue(uow: UnitOfWork, actor: Actor, query: CaseQuery) -> Sequence[Case]:
    """The desk's queue: open cases by urgency, then oldest first."""
    access.require_desk(actor)
    return uow.cases.query(query)


def desk_members(uow: UnitOfWork, actor: Actor) -> list[tuple[int, str]]:
    access.require_desk(actor)
    found = []
    for user in uow.users.list():
        assert user.id is not None
        if any(m.role.is_desk for m in uow.users.memberships_of(user.id)):
            found.append((user.id, user.display_name))
    return found
