"""Opening, listing and reading cases, with the tenancy rules applied."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from madoguchi.domain.case import (
    Case,
    CaseKind,
    CaseParty,
    CaseStatus,
    PartyRole,
    Purpose,
    format_reference,
)
from madoguchi.domain.errors import NotFoundError, ValidationError
from madoguchi.domain.organisation import Actor
from madoguchi.domain.tlp import TLP
from madoguchi.i18n.catalogue import N_
from madoguchi.ports import CaseQuery, UnitOfWork
from madoguchi.services import access, audit


@dataclass(frozen=True)
class NewCase:
    title: str
    kind: CaseKind = CaseKind.CONSULTATION
    purpose: Purpose = Purpose.SUPPORT
    description: str = ""
    tlp: TLP = TLP.AMBER
    categories: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    cves: tuple[str, ...] = ()
    started_at: datetime | None = None
    noticed_at: datetime | None = None
    timezone: str = "Asia/Tokyo"
    reporting_org_id: int | None = None
    victim_org_id: int | None = None
    hide_victim: bool = False
    vendor_org_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class PartyView:
    """A party as the actor may see it: ``name`` is ``None`` when it must stay hidden."""

    role: PartyRole
    name: str | None
    organisation_id: int | None
    hidden_from_others: bool = False


@dataclass(frozen=True)
class CaseView:
    case: Case
    parties: tuple[PartyView, ...]
    actor_is_desk: bool
    own_roles: tuple[PartyRole, ...] = field(default=())


def open_case(uow: UnitOfWork, actor: Actor, new: NewCase, *, ip: str | None = None) -> Case:
    """Create a case with its reference number and parties; audit it."""
    access.require_authenticated(actor)
    title = new.title.strip()
    if not title:
        raise ValidationError(N_("a case needs a title"), where="title")
    reporting = new.reporting_org_id
    if reporting is None:
        if actor.is_desk:
            raise ValidationError(N_("name the reporting organisation"), where="reporting_org_id")
        reporting = min(actor.organisation_ids)
    if not actor.is_desk and reporting not in actor.organisation_ids:
        raise NotFoundError(N_("organisation not found"), where="reporting_org_id")
    for org_id in (reporting, new.victim_org_id, *new.vendor_org_ids):
        if org_id is not None and uow.organisations.get(org_id) is None:
            raise NotFoundError(N_("organisation not found"))
    now = datetime.now(UTC)
    year = now.year
    case = Case(
        reference=format_reference(year, uow.cases.next_number(year)),
        title=title,
        kind=new.kind,
        purpose=new.purpose,
        tlp=new.tlp,
        description=new.description,
        categories=list(new.categories),
        products=list(new.products),
        cves=[c.strip().upper() for c in new.cves if c.strip()],
        started_at=new.started_at,
        noticed_at=new.noticed_at,
        timezone=new.timezone,
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    case.parties.append(CaseParty(reporting, PartyRole.REPORTER))
    if new.victim_org_id is not None:
        case.parties.append(
            CaseParty(new.victim_org_id, PartyRole.VICTIM, hide_identity=new.hide_victim)
        )
    for vendor in new.vendor_org_ids:
        case.parties.append(CaseParty(vendor, PartyRole.VENDOR))
    uow.cases.add(case)
    audit.record(
        uow, actor, "case:create", "case", case.id, case_id=case.id, ip=ip, reference=case.reference
    )
    return case


def list_cases(uow: UnitOfWork, actor: Actor, query: CaseQuery | None = None) -> Sequence[Case]:
    access.require_authenticated(actor)
    query = query or CaseQuery()
    if not actor.is_desk:
        query = CaseQuery(
            visible_to_orgs=actor.organisation_ids,
            statuses=query.statuses,
            text=query.text,
            limit=query.limit,
            offset=query.offset,
        )
    return uow.cases.query(query)


def load_case(uow: UnitOfWork, actor: Actor, case_id: int) -> Case:
    """The case if the actor may see it, else ``NotFoundError`` (no audit)."""
    return access.require_case(actor, uow.cases.get(case_id))


def view_case(uow: UnitOfWork, actor: Actor, case_id: int, *, ip: str | None = None) -> CaseView:
    """Read a case as the actor may see it, and audit the read."""
    case = load_case(uow, actor, case_id)
    audit.record(uow, actor, "case:read", "case", case.id, case_id=case.id, ip=ip)
    return CaseView(
        case=case,
        parties=tuple(party_views(uow, actor, case)),
        actor_is_desk=actor.is_desk,
        own_roles=tuple(
            p.role for p in case.parties if p.organisation_id in actor.organisation_ids
        ),
    )


def party_views(uow: UnitOfWork, actor: Actor, case: Case) -> list[PartyView]:
    views = []
    own = actor.organisation_ids
    viewer_is_victim = any(
        p.role is PartyRole.VICTIM and p.organisation_id in own for p in case.parties
    )
    for party in case.parties:
        org = uow.organisations.get(party.organisation_id)
        name = org.name if org is not None else None
        if actor.is_desk or party.organisation_id in own:
            visible = True
        elif party.role is PartyRole.VICTIM:
            visible = access.can_see_victim_identity(actor, case)
        elif party.role is PartyRole.REPORTER:
            visible = viewer_is_victim
        else:
            visible = False
        views.append(
            PartyView(
                role=party.role,
                name=name if visible else None,
                organisation_id=party.organisation_id if visible else None,
                hidden_from_others=party.hide_identity,
            )
        )
    if case.victim_name and case.victim() is None:
        visible = actor.is_desk or not case.hide_victim
        views.append(
            PartyView(
                role=PartyRole.VICTIM,
                name=case.victim_name if visible else None,
                organisation_id=None,
                hidden_from_others=case.hide_victim,
            )
        )
    return views


def change_status(
    uow: UnitOfWork, actor: Actor, case_id: int, status: CaseStatus, *, ip: str | None = None
) -> Case:
    case = load_case(uow, actor, case_id)
    access.require_desk(actor)
    old = case.status
    case.status = status
    case.updated_at = datetime.now(UTC)
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
