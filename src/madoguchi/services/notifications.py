"""Mail the desk sends: confirmations to reporters, notices to handlers.

These run as jobs (``mail.case_confirmation``); the payload carries ids only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from madoguchi.domain.errors import NotFoundError
from madoguchi.i18n.catalogue import Translator
from madoguchi.ports import Mailer, OutgoingMail, UnitOfWorkFactory

CASE_CONFIRMATION = "mail.case_confirmation"


def send_case_confirmation(
    uow_factory: UnitOfWorkFactory, mailer: Mailer, base_url: str, payload: Mapping[str, Any]
) -> None:
    """Tell the person who opened a case its reference number and where to follow it."""
    with uow_factory() as uow:
        case = uow.cases.get(int(payload["case_id"]))
        if case is None or case.created_by is None:
            raise NotFoundError("case not found for confirmation mail")
        user = uow.users.get(case.created_by)
        if user is None:
            raise NotFoundError("reporter not found for confirmation mail")
        _ = Translator(user.language or str(payload.get("language", "ja")))
        link = f"{base_url.rstrip('/')}/cases/{case.id}"
        subject = _("[{reference}] Your report was received", reference=case.reference)
        body = "\n\n".join(
            [
                _("Thank you. The desk received your report."),
                _("Reference number: {reference}", reference=case.reference),
                _("Title: {title}", title=case.title),
                _("You can follow the case here: {link}", link=link),
                _("Please quote the reference number in any further contact."),
            ]
        )
        mailer.send(OutgoingMail(to=(user.email,), subject=subject, body=body + "\n"))


DESK_NEW_CASE = "mail.desk_new_case"
SHARED_MESSAGE = "mail.shared_message"
WELCOME = "mail.welcome"


def _desk_addresses(uow: UnitOfWorkFactory) -> list[tuple[str, str]]:
    found = []
    with uow() as work:
        for user in work.users.list():
            if user.id is None or not user.is_active:
                continue
            if any(m.role.is_desk for m in work.users.memberships_of(user.id)):
                found.append((user.email, user.language or "ja"))
    return found


def send_desk_notice(
    uow_factory: UnitOfWorkFactory, mailer: Mailer, base_url: str, payload: Mapping[str, Any]
) -> None:
    """Tell desk handlers a new case arrived (no victim name, no description in mail)."""
    with uow_factory() as uow:
        case = uow.cases.get(int(payload["case_id"]))
        if case is None:
            raise NotFoundError("case not found for desk notice")
        reference, title, case_id = case.reference, case.title, case.id
    for address, language in _desk_addresses(uow_factory):
        _ = Translator(language)
        mailer.send(
            OutgoingMail(
                to=(address,),
                subject=_("[{reference}] New case", reference=reference),
                body=_("A new case arrived: {title}", title=title)
                + f"\n\n{base_url.rstrip('/')}/cases/{case_id}\n",
            )
        )


def send_shared_message_notice(
    uow_factory: UnitOfWorkFactory, mailer: Mailer, base_url: str, payload: Mapping[str, Any]
) -> None:
    """Tell the members of the organisations a message was shared with; the mail only
    links to the case, it never carries the message itself."""
    with uow_factory() as uow:
        message_id = int(payload["message_id"])
        case = uow.cases.get(int(payload["case_id"]))
        if case is None:
            raise NotFoundError("case not found for message notice")
        message = next((m for m in uow.messages.for_case(case.id or 0) if m.id == message_id), None)
        if message is None or message.internal:
            return
        recipients: list[tuple[str, str]] = []
        for org_id in message.shared_with:
            for membership in uow.users.members_of(org_id):
                user = uow.users.get(membership.user_id)
                if user is not None and user.is_active and user.id != message.author_id:
                    recipients.append((user.email, user.language or "ja"))
        reference, case_id = case.reference, case.id
    for address, language in sorted(set(recipients)):
        _ = Translator(language)
        mailer.send(
            OutgoingMail(
                to=(address,),
                subject=_("[{reference}] New message from the desk", reference=reference),
                body=_(
                    "There is a new message on your case. Sign in to read it: {link}",
                    link=f"{base_url.rstrip('/')}/cases/{case_id}#thread",
                )
                + "\n",
            )
        )


def send_welcome(
    uow_factory: UnitOfWorkFactory, mailer: Mailer, base_url: str, payload: Mapping[str, Any]
) -> None:
    """The one-time link a first-time reporter follows to see their case."""
    with uow_factory() as uow:
        user = uow.users.get(int(payload["user_id"]))
        case = uow.cases.get(int(payload["case_id"]))
        if user is None or case is None:
            raise NotFoundError("user or case not found for welcome mail")
        email, language, reference = user.email, user.language or "ja", case.reference
    _ = Translator(language)
    link = f"{base_url.rstrip('/')}/welcome/{payload['token']}"
    mailer.send(
        OutgoingMail(
            to=(email,),
            subject=_("[{reference}] Your report was received", reference=reference),
            body="\n\n".join(
                [
                    _("Thank you. The desk received your report."),
                    _("Reference number: {reference}", reference=reference),
                    _(
                        "Follow your case with this link (valid for 7 days, once): {link}",
                        link=link,
                    ),
                ]
            )
            + "\n",
        )
    )
