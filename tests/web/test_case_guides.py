"""Investigation guides on the case page, and sending one to the reporter."""

from __future__ import annotations

from tests.conftest import LiveServer
from tests.web.client import csrf_from, new_client, sign_in
from tests.world import PASSWORD, build_world

from madoguchi.services import accounts, cases


def test_guides_of_the_case_products_are_shown_and_can_be_sent(live_server: LiveServer) -> None:
    world = build_world(live_server.desk)
    with live_server.desk.uow_factory() as uow:
        user = uow.users.get(world.people["party_reporter"].user_id)
        assert user is not None
        case = cases.open_case(
            uow,
            accounts.actor_for(uow, user),
            cases.NewCase(title="GlobalProtect", products=("PAN-OS 10.2.9",)),
        )
        uow.commit()
    with new_client(live_server.url, headers={"Accept-Language": "en"}) as desk:
        sign_in(desk, world.people["desk_handler"].email, PASSWORD)
        desk.post(
            "/lang", data={"language": "en", "csrf_token": csrf_from(desk.get("/account").text)}
        )
        page = desk.get(f"/cases/{case.id}")
        assert "/guides/panos" in page.text
        sent = desk.post(
            f"/cases/{case.id}/guides/panos/send",
            data={"lang": "en", "csrf_token": csrf_from(page.text)},
        )
        assert sent.status_code == 303
    with new_client(live_server.url) as reporter:
        sign_in(reporter, world.people["party_reporter"].email, PASSWORD)
        thread = reporter.get(f"/cases/{case.id}").text
    assert "PAN-OS" in thread and "gpsvc.log" in thread
