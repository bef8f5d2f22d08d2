"""The message thread of a case: internal notes and messages shared with parties."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from madoguchi.domain.errors import ValidationError
from madoguchi.domain.message import Message
from madoguchi.domain.organisation import Actor
from madoguchi.domain.tlp import TLP
from madoguchi.i18n.catalogue import N_
from madoguchi.ports import UnitOfWork
from madoguchi.services import access, audit
from madoguchi.services.cases import load_case

MAX_BODY = 100_000


@dataclass(frozen=True)
class MessageView:
    message: Message
    author_label: str
    author_is_desk: bool
    shared_with_names: tuple[str, ...]
    attachment_ids: tuple[int, ...] = ()


def post_message(
    uow: UnitOfWork,
    actor: Actor,
    case_id: int,
    body: str,
    *,
    internal: bool = False,
    shared_with: Iterable[int] = (),
    tlp: TLP | None = None,
    ip: str | None = None,
) -> Message:
    """The desk writes internal notes or messages shared with named parties; a reporter's
    message is always shared with their own organisation (and the desk)."""
    case = load_case(uow, actor, case_id)
    body = body.strip()
    if not body:
        raise ValidationError(N_("the message is empty"), where="body")
    if len(body) > MAX_BODY:
        raise ValidationError(N_("the message is too long"), where="body")
    assert actor.user_id is not None and case.id is not None
    parties = case.party_org_ids()
    if actor.is_desk:
        targets = sorted(set(shared_with))
        if not internal and not targets:
            raise ValidationError(N_("choose who the message is shared with"), where="shared_with")
        if any(t not in parties for t in targets):
            raise ValidationError(
                N_("messages can only be shared with parties of the case"), where="shared_with"
            )
    else:
        internal = False
        targets = sorted(actor.organisation_ids & parties)
    message = uow.messages.add(
        Message(
            case_id=case.id,
            author_id=actor.user_id,
            body=body,
            internal=internal,
            shared_with=[] if internal else targets,
            tlp=tlp or case.tlp,
            created_at=datetime.now(UTC),
        )
    )
    audit.record(
        uow,
        actor,
        "message:create",
        "message",
        message.id,
        case_id=case.id,
        ip=ip,
        internal=internal,
        shared_with=message.shared_with,
    )
    return message


def visible_messages(uow: UnitOfWork, actor: Actor, case_id: int) -> Sequence[MessageView]:
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    names: dict[int, str] = {}
    for party in case.parties:
        org = uow.organisations.get(party.organisation_id)
        if org is not None and org.id is not None:
            names[org.id] = org.name
    views = []
    thread = uow.messages.for_case(case.id)
    attached = uow.messages.attachments([m.id for m in thread if m.id is not None])
    for message in thread:
        if not access.can_see_message(actor, message):
            continue
        author = uow.users.get(message.author_id)
        author_orgs = (
            {m.organisation_id: m.role for m in uow.users.memberships_of(author.id)}
            if author is not None and author.id is not None
            else {}
        )
        author_is_desk = any(role.is_desk for role in author_orgs.values())
        if author is None:
            label = "?"
        elif actor.is_desk or author_is_desk or set(author_orgs) & actor.organisation_ids:
            label = author.display_name
        else:
            label = ""  # another party: rendered as "another party", never named
        shared = tuple(
            names.get(org_id, "?")
            for org_id in message.shared_with
            if actor.is_desk or org_id in actor.organisation_ids
        )
        views.append(
            MessageView(
                message, label, author_is_desk, shared, tuple(attached.get(message.id or 0, ()))
            )
        )
    return views
