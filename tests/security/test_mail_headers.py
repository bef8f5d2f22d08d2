"""Mail header injection: CR/LF in a case title, an address or a subject never adds a
header or a recipient. Mail goes through the real jobs to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from email.message import Message

import pytest
from tests.smtp import Inbox
from tests.world import PASSWORD, build_world

from madoguchi.bootstrap import build_desk
from madoguchi.config import Settings
from madoguchi.domain.case import Category
from madoguchi.domain.errors import ValidationError
from madoguchi.domain.organisation import OrgKind, Role
from madoguchi.ports import OutgoingMail
from madoguchi.services import accounts, cases, notifications
from madoguchi.storage.sql import migrate
from madoguchi.tasks.mailer import SmtpMailer

INJECTED = "\r\nBcc: attacker@evil.example\r\nX-Injected: yes\r\n\r\nforged body"
EXPECTED_HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
}


def _clean(mail: Message) -> None:
    names = {name.lower() for name in mail}
    assert names <= EXPECTED_HEADERS, f"extra headers: {names - EXPECTED_HEADERS}"
    assert "attacker@evil.example" not in str(mail["To"])


def test_a_title_with_line_breaks_stays_in_the_body(settings: Settings, inbox: Inbox) -> None:
    desk = build_desk(
        settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": inbox.port})
    )
    migrate.upgrade(desk.engine)
    world = build_world(desk)
    with desk.uow_factory() as uow:
        user = uow.users.get(world.people["other_reporter"].user_id)
        assert user is not None
        actor = accounts.actor_for(uow, user)
        case = cases.open_case(
            uow,
            actor,
            cases.NewCase(title="Phishing" + INJECTED, categories=(Category.OTHER.value,)),
        )
        uow.commit()
        case_id = case.id
    queue = desk.inline_queue
    assert queue is not None
    queue.enqueue(notifications.CASE_CONFIRMATION, {"case_id": case_id})
    queue.enqueue(notifications.DESK_NEW_CASE, {"case_id": case_id})
    queue.run_pending()
    desk_people = {world.people[r].email for r in ("desk_admin", "desk_handler")}
    mails = inbox.wait(1 + len(desk_people))
    assert len(mails) == 1 + len(desk_people)
    for mail in mails:
        _clean(mail)
        assert "Phishing" in mail.get_content()  # the title is in the body, as text
    assert set(inbox.recipients) == {world.people["other_reporter"].email, *desk_people}
    desk.close()


def test_the_mailer_refuses_line_breaks_in_headers(inbox: Inbox) -> None:
    mailer = SmtpMailer("127.0.0.1", inbox.port, "desk@example.org")
    for mail in (
        OutgoingMail(to=("reporter@example.org",), subject="Hello" + INJECTED, body="x\n"),
        OutgoingMail(to=("reporter@example.org" + INJECTED,), subject="Hello", body="x\n"),
        OutgoingMail(
            to=("reporter@example.org",),
            subject="Hello",
            body="x\n",
            headers={"X-Case": "MDG-1" + INJECTED},
        ),
    ):
        try:
            mailer.send(mail)
        except ValueError:
            continue  # refused before anything was sent: fine
    for received in inbox.wait(0):
        _clean(received)
    assert "attacker@evil.example" not in inbox.recipients


def test_an_address_with_line_breaks_is_refused(settings: Settings) -> None:
    desk = build_desk(settings)
    migrate.upgrade(desk.engine)
    with desk.uow_factory() as uow:
        org = accounts.create_organisation(uow, None, "Victim Co.", OrgKind.VICTIM)
        for address in (
            "reporter@example.org\r\nBcc: attacker@evil.example",
            "reporter@example.org\nbcc:attacker@evil.example",
            "reporter@example.org attacker@evil.example",
        ):
            with pytest.raises(ValidationError):
                accounts.create_user(uow, None, address, "R", PASSWORD, org, Role.REPORTER)
    desk.close()
