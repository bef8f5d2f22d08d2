"""Investigation guides on a case: the guides of its affected products, and sending one
to the reporter as a shared message."""

from __future__ import annotations

from madoguchi.domain.errors import NotFoundError
from madoguchi.domain.message import Message
from madoguchi.domain.organisation import Actor
from madoguchi.i18n.catalogue import N_
from madoguchi.knowledge.guides import Guide, get_guide, guides_for_products
from madoguchi.ports import UnitOfWork
from madoguchi.services import access, messages
from madoguchi.services.cases import load_case
from madoguchi.services.indicators import reporting_org


def case_guides(uow: UnitOfWork, actor: Actor, case_id: int, lang: str) -> list[Guide]:
    case = load_case(uow, actor, case_id)
    return guides_for_products(case.products, lang)


def send_guide(
    uow: UnitOfWork,
    actor: Actor,
    case_id: int,
    guide_id: str,
    lang: str,
    *,
    ip: str | None = None,
) -> Message:
    """Post the guide (Markdown) as a message shared with the reporting organisation."""
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    try:
        guide = get_guide(guide_id, lang)
    except (KeyError, LookupError) as error:
        raise NotFoundError(N_("guide not found")) from error
    target = reporting_org(case)
    body = f"# {guide.title}\n\n{guide.body}"
    return messages.post_message(
        uow, actor, case_id, body, shared_with=[target] if target else [], ip=ip
    )
