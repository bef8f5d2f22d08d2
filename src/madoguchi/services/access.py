"""Who may see and do what. Every check lives here so routes and the API agree.

A reporter sees only cases where one of their organisations is a party, and only
messages shared with one of their organisations. Forbidden and unknown look the same
(``NotFoundError``), so ids cannot be probed.
"""

from __future__ import annotations

from madoguchi.domain.case import Case
from madoguchi.domain.errors import NotFoundError, PermissionDeniedError
from madoguchi.domain.message import Message
from madoguchi.domain.organisation import Actor
from madoguchi.i18n.catalogue import N_


def can_see_case(actor: Actor, case: Case) -> bool:
    if actor.is_desk:
        return True
    return bool(actor.organisation_ids & case.party_org_ids())


def require_case(actor: Actor, case: Case | None) -> Case:
    if case is None or not can_see_case(actor, case):
        raise NotFoundError(N_("case not found"))
    return case


def can_see_message(actor: Actor, message: Message) -> bool:
    if actor.is_desk:
        return True
    return any(message.visible_to_org(org_id) for org_id in actor.organisation_ids)


def can_see_victim_identity(actor: Actor, case: Case) -> bool:
    """The hidden victim's name is for the desk only (and the victim itself)."""
    if actor.is_desk or not case.victim_hidden():
        return True
    victim = case.victim()
    return victim is not None and victim.organisation_id in actor.organisation_ids


def require_desk(actor: Actor) -> None:
    if not actor.is_desk:
        raise PermissionDeniedError(N_("only the desk may do this"))


def require_desk_admin(actor: Actor) -> None:
    if not actor.is_desk_admin:
        raise PermissionDeniedError(N_("only a desk administrator may do this"))


def require_authenticated(actor: Actor) -> None:
    if not actor.is_authenticated:
        raise PermissionDeniedError(N_("sign in first"))
