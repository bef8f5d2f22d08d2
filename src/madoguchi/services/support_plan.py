"""The support plan: rules recommend catalogue items with reasons; the desk decides.

Recommended items start as ``proposed`` (desk only). The handler accepts them
(``planned``), adds or removes items and moves them through ``in progress`` to
``done`` or ``declined``; everything but ``proposed`` is shown to the reporter.
Requests the desk does not handle get the catalogue's standard reply as a declined item.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from madoguchi.domain.case import Case
from madoguchi.domain.errors import ValidationError
from madoguchi.domain.organisation import Actor
from madoguchi.domain.support import SupportItem, SupportStatus
from madoguchi.i18n.catalogue import N_
from madoguchi.knowledge.datafiles import LocalText
from madoguchi.knowledge.support import (
    CaseFacts,
    OutOfScopeMatch,
    load_catalogue,
    recommend,
)
from madoguchi.ports import UnitOfWork
from madoguchi.services import access, audit
from madoguchi.services.cases import load_case
from madoguchi.services.hearing import current_answers


@dataclass(frozen=True)
class PlanEntry:
    item: SupportItem
    title: LocalText
    description: LocalText
    out_of_scope: bool


def _titles() -> dict[str, tuple[LocalText, LocalText, bool]]:
    catalogue = load_catalogue()
    found = {i.id: (i.title, i.description, False) for i in catalogue.items}
    for item in catalogue.out_of_scope:
        found[item.id] = (item.title, item.reply, True)
    return found


def record_out_of_scope(
    uow: UnitOfWork, actor: Actor, case: Case, matches: Iterable[OutOfScopeMatch]
) -> None:
    assert case.id is not None
    existing = {i.item_id for i in uow.support.for_case(case.id)}
    for match in matches:
        if match.item_id in existing:
            continue
        uow.support.add(
            SupportItem(
                case_id=case.id,
                item_id=match.item_id,
                status=SupportStatus.DECLINED,
                recommended=True,
                reasons=[{"ja": match.reply.ja, "en": match.reply.en, "phrase": match.phrase}],
                updated_by=actor.user_id,
                updated_at=datetime.now(UTC),
            )
        )


def case_facts(uow: UnitOfWork, case: Case, families: Sequence[str] = ()) -> CaseFacts:
    assert case.id is not None
    kinds = sorted({e.kind for e in uow.evidence.for_case(case.id)})
    return CaseFacts(
        categories=tuple(case.categories),
        purpose=case.purpose.value,
        products=tuple(case.products),
        cves=tuple(case.cves),
        evidence_kinds=tuple(kinds),
        families=tuple(families),
        answers=current_answers(uow, case.id),
    )


def recommend_plan(
    uow: UnitOfWork, actor: Actor, case_id: int, *, families: Sequence[str] = ()
) -> list[SupportItem]:
    """Run the rules and add what they recommend as proposed items, with the reasons."""
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    current = {i.item_id: i for i in uow.support.for_case(case.id)}
    added = []
    for recommendation in recommend(case_facts(uow, case, families)):
        reasons = [
            {"ja": r.text.ja, "en": r.text.en, "rule": r.rule_id} for r in recommendation.reasons
        ]
        item = current.get(recommendation.item_id)
        if item is None:
            item = uow.support.add(
                SupportItem(
                    case_id=case.id,
                    item_id=recommendation.item_id,
                    status=SupportStatus.PROPOSED,
                    recommended=True,
                    reasons=reasons,
                    updated_by=actor.user_id,
                    updated_at=datetime.now(UTC),
                )
            )
            added.append(item)
        elif item.status is SupportStatus.PROPOSED:
            item.reasons = reasons
    audit.record(
        uow,
        actor,
        "plan:recommend",
        "case",
        case.id,
        case_id=case.id,
        added=[i.item_id for i in added],
    )
    return added


def _item(uow: UnitOfWork, case_id: int, item_id: str) -> SupportItem:
    for item in uow.support.for_case(case_id):
        if item.item_id == item_id:
            return item
    raise ValidationError(N_("no such item in the plan"), where="item_id")


def accept_proposals(uow: UnitOfWork, actor: Actor, case_id: int) -> int:
    """Every proposed item becomes planned (and so visible to the reporter)."""
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    count = 0
    for item in uow.support.for_case(case.id):
        if item.status is SupportStatus.PROPOSED:
            item.status = SupportStatus.PLANNED
            item.updated_by, item.updated_at = actor.user_id, datetime.now(UTC)
            count += 1
    audit.record(uow, actor, "plan:accept", "case", case.id, case_id=case.id, accepted=count)
    return count


def add_item(uow: UnitOfWork, actor: Actor, case_id: int, item_id: str, note: str = "") -> None:
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    if item_id not in {i.id for i in load_catalogue().items}:
        raise ValidationError(N_("unknown support item"), where="item_id")
    if any(i.item_id == item_id for i in uow.support.for_case(case.id)):
        raise ValidationError(N_("this item is already in the plan"), where="item_id")
    uow.support.add(
        SupportItem(
            case_id=case.id,
            item_id=item_id,
            status=SupportStatus.PLANNED,
            note=note,
            updated_by=actor.user_id,
            updated_at=datetime.now(UTC),
        )
    )
    audit.record(uow, actor, "plan:add", "case", case.id, case_id=case.id, item=item_id)


def remove_item(uow: UnitOfWork, actor: Actor, case_id: int, item_id: str) -> None:
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    uow.support.remove(_item(uow, case.id, item_id))
    audit.record(uow, actor, "plan:remove", "case", case.id, case_id=case.id, item=item_id)


def set_status(
    uow: UnitOfWork,
    actor: Actor,
    case_id: int,
    item_id: str,
    status: SupportStatus,
    note: str | None = None,
) -> SupportItem:
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    item = _item(uow, case.id, item_id)
    old = item.status
    item.status = status
    if note is not None:
        item.note = note.strip()
    item.updated_by, item.updated_at = actor.user_id, datetime.now(UTC)
    audit.record(
        uow,
        actor,
        "plan:status",
        "case",
        case.id,
        case_id=case.id,
        item=item_id,
        old=old.value,
        new=status.value,
    )
    return item


def plan_for(uow: UnitOfWork, actor: Actor, case_id: int) -> list[PlanEntry]:
    """The plan as the actor may see it (reporters never see proposals)."""
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    titles = _titles()
    entries = []
    for item in uow.support.for_case(case.id):
        if not actor.is_desk and not item.status.visible_to_reporter:
            continue
        title, description, out_of_scope = titles.get(
            item.item_id, (LocalText(item.item_id, item.item_id), LocalText("", ""), False)
        )
        entries.append(PlanEntry(item, title, description, out_of_scope))
    return entries


def catalogue_choices() -> list[tuple[str, LocalText]]:
    return [(item.id, item.title) for item in load_catalogue().items]
