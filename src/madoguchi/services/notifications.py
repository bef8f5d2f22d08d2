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
