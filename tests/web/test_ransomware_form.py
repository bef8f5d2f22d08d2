"""The ransomware identification form on the case page."""

from __future__ import annotations

from tests.conftest import LiveServer
from tests.web.client import csrf_from, new_client, sign_in
from tests.world import PASSWORD, build_world

PHOBOS_NAME = "report.docx.id[1A2B3C4D-1234].[recovery@example.com].eight"


def test_a_reporter_identifies_a_family_from_file_names(live_server: LiveServer) -> None:
    world = build_world(live_server.desk)
    with new_client(live_server.url, headers={"Accept-Language": "en"}) as client:
        sign_in(client, world.people["party_reporter"].email, PASSWORD)
        page = client.get(f"/cases/{world.case_a}/ransomware")
        response = client.post(
            f"/cases/{world.case_a}/ransomware",
            data={
                "file_names": PHOBOS_NAME + "\n" + PHOBOS_NAME.replace("report", "budget"),
                "note_name": "info.hta",
                "csrf_token": csrf_from(page.text),
            },
        )
    assert response.status_code == 200
    assert "Phobos" in response.text


def test_weak_clues_say_unknown(live_server: LiveServer) -> None:
    world = build_world(live_server.desk)
    with new_client(live_server.url, headers={"Accept-Language": "en"}) as client:
        sign_in(client, world.people["party_reporter"].email, PASSWORD)
        page = client.get(f"/cases/{world.case_a}/ransomware")
        response = client.post(
            f"/cases/{world.case_a}/ransomware",
            data={"note_name": "readme.txt", "csrf_token": csrf_from(page.text)},
        )
    assert "Unknown: the evidence is too weak to name a family." in response.text


def test_contacts_given_by_the_desk_relate_cases(live_server: LiveServer) -> None:
    world = build_world(live_server.desk)
    with new_client(live_server.url, headers={"Accept-Language": "en"}) as client:
        sign_in(client, world.people["desk_handler"].email, PASSWORD)
        for case_id in (world.case_a, world.case_b):
            page = client.get(f"/cases/{case_id}/ransomware")
            client.post(
                f"/cases/{case_id}/ransomware",
                data={
                    "free_text": "Contact us: decrypt-team@onionmail.org",
                    "csrf_token": csrf_from(page.text),
                },
            )
        related = client.get(f"/cases/{world.case_a}").text
    assert "decrypt-team@onionmail.org" in related
