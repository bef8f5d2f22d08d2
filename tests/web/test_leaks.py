"""The leak-site, exfiltration and advice pages over HTTP: the desk imports, checks,
reviews and shares; the reporter sees only what was shared, never the hidden name."""

from __future__ import annotations

import json
import re

import httpx
from tests.conftest import LiveServer
from tests.web.client import csrf_from, new_client, sign_in
from tests.world import PASSWORD, VICTIM_NAME, World, build_world

POSTS = [
    {
        "post_title": "ヒミツ電機株式会社",
        "group_name": "akira",
        "published": "2026-11-01 08:00:00",
        "discovered": "2026-11-02 01:00:00",
        "website": "himitsu.example",
        "description": "HR and finance data",
    }
]


def _client(server: LiveServer, world: World, role: str) -> httpx.Client:
    client = new_client(server.url, headers={"Accept-Language": "en"})
    assert sign_in(client, world.people[role].email, PASSWORD).status_code == 303
    return client


def _token(client: httpx.Client, page: str) -> str:
    return csrf_from(client.get(page).text)


def test_desk_imports_checks_confirms_and_the_reporter_sees_a_claim(
    live_server: LiveServer,
) -> None:
    world = build_world(live_server.desk)
    desk = _client(live_server, world, "desk_handler")
    vendor = _client(live_server, world, "party_reporter")
    token = _token(desk, "/desk/leaks")
    imported = desk.post(
        "/desk/leaks/import",
        data={"csrf_token": token, "format": "ransomwarelive"},
        files={"file": ("victims.json", json.dumps(POSTS).encode(), "application/json")},
    )
    assert imported.status_code == 303
    page = desk.get("/desk/leaks").text
    assert "1 posts read, 1 new" in page and "ヒミツ電機株式会社" in page

    case_url = f"/cases/{world.case_a}"
    assert desk.post(f"{case_url}/leaks/check", data={"csrf_token": token}).status_code == 303
    case_page = desk.get(case_url).text
    assert "Claimed on 2026-11-01 by akira" in case_page
    match_id = re.search(r'name="match_id" value="(\d+)"', case_page)
    assert match_id is not None
    assert "Claimed on" not in vendor.get(case_url).text, "nothing before the desk's review"

    reviewed = desk.post(
        f"{case_url}/leaks/review",
        data={
            "csrf_token": token,
            "match_id": match_id.group(1),
            "state": "confirmed",
            "shared_with": str(world.vendor_org),
        },
    )
    assert reviewed.status_code == 303
    seen = vendor.get(case_url).text
    assert "Claimed on 2026-11-01 by akira" in seen
    assert "not a confirmed breach" in seen
    assert VICTIM_NAME not in seen and "ヒミツ電機" not in seen and "himitsu.example" not in seen
    assert 'action="/cases/' + str(world.case_a) + '/leaks/review"' not in seen


def test_reporters_get_404_for_desk_leak_actions(live_server: LiveServer) -> None:
    world = build_world(live_server.desk)
    vendor = _client(live_server, world, "party_reporter")
    token = _token(vendor, "/account")
    assert vendor.get("/desk/leaks").status_code == 404
    for path in ("leaks/check", "exfiltration/assemble", "advice/memos"):
        response = vendor.post(f"/cases/{world.case_a}/{path}", data={"csrf_token": token})
        assert response.status_code == 404, path


def test_memo_composed_and_shared_over_http_reaches_the_reporter(live_server: LiveServer) -> None:
    world = build_world(live_server.desk)
    desk = _client(live_server, world, "desk_handler")
    vendor = _client(live_server, world, "party_reporter")
    case_url = f"/cases/{world.case_a}"
    token = _token(desk, case_url)
    composed = desk.post(
        f"{case_url}/advice/memos",
        data={
            "csrf_token": token,
            "lang": "en",
            "title": "First steps",
            "intro": "Please keep the encrypted files.",
            "sections": ["evidence-preservation/" + _first_section(desk, case_url)],
        },
    )
    assert composed.status_code == 303 and "/advice/memos#memo-" in composed.headers["location"]
    memo_id = composed.headers["location"].rsplit("-", 1)[1]
    assert "First steps" not in vendor.get(f"{case_url}/advice/memos").text, "drafts stay"
    shared = desk.post(
        f"{case_url}/advice/memos/share",
        data={"csrf_token": token, "memo_id": memo_id, "shared_with": str(world.vendor_org)},
    )
    assert shared.status_code == 303
    memos = vendor.get(f"{case_url}/advice/memos").text
    assert "First steps" in memos and "not legal advice" in memos
    pdf_link = re.search(r'href="(/evidence/\d+/download)"', memos)
    assert pdf_link is not None
    assert vendor.get(pdf_link.group(1)).content.startswith(b"%PDF-")
    assert "The desk has shared an advice memo: First steps" in vendor.get(case_url).text


def _first_section(client: httpx.Client, case_url: str) -> str:
    found = re.search(
        r'name="sections" value="evidence-preservation/([a-z0-9-]+)"', client.get(case_url).text
    )
    assert found is not None, "the composer offers the evidence-preservation playbook"
    return found.group(1)
