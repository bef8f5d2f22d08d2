"""Regressions for what the Schemathesis run found: each answered 500 (or broke the
published document) before its fix."""

from __future__ import annotations

import httpx
import pytest
from tests.conftest import LiveServer
from tests.web.client import new_client, sign_in
from tests.world import PASSWORD, World, build_world

HUGE = str(2**70)
BEYOND_INTEGER = str(2**31)  # fits SQLite, overflows a PostgreSQL INTEGER column


@pytest.fixture
def world(live_server: LiveServer) -> World:
    return build_world(live_server.desk)


def _api(live_server: LiveServer, world: World, role: str = "desk_admin") -> httpx.Client:
    client = new_client(live_server.url)
    client.headers["Authorization"] = f"Bearer {world.people[role].token}"
    return client


def test_an_id_beyond_any_row_is_unknown(live_server: LiveServer, world: World) -> None:
    # SQLite cannot bind an integer over 64 bits: this was an OverflowError (500).
    with _api(live_server, world) as client:
        for path in (
            f"/api/v1/cases/{HUGE}",
            f"/api/v1/cases/{BEYOND_INTEGER}/messages",
            f"/api/v1/evidence/{HUGE}/content",
            f"/api/v1/advisories/{BEYOND_INTEGER}",
        ):
            response = client.get(path)
            assert response.status_code == 404, path
        assert client.get(f"/api/v1/cases/{world.case_a}").status_code == 200
    with new_client(live_server.url) as browser:
        sign_in(browser, world.people["desk_handler"].email, PASSWORD)
        assert browser.get(f"/cases/{HUGE}").status_code == 404
        assert browser.get(f"/cases/{BEYOND_INTEGER}").status_code == 404


def test_ids_in_bodies_are_bounded(live_server: LiveServer, world: World) -> None:
    with _api(live_server, world) as client:
        merged = client.post(f"/api/v1/cases/{world.case_a}/merge", json={"other_case_id": 2**31})
        assert merged.status_code == 422
        message = client.post(
            f"/api/v1/cases/{world.case_a}/messages", json={"body": "x", "shared_with": [2**70]}
        )
        assert message.status_code == 422
        for offset in (2**31, 2**62, 2**70):
            listed = client.get("/api/v1/cases", params={"offset": offset})
            assert listed.status_code == 200 and listed.json() == []


def test_an_unknown_tlp_is_invalid_input(live_server: LiveServer, world: World) -> None:
    # TLP.parse raised a bare ValueError: 500 on the API and on the page.
    with _api(live_server, world, "party_reporter") as client:
        response = client.get(
            f"/api/v1/cases/{world.case_a}/indicators", params={"format": "csv", "tlp": "pink"}
        )
        assert response.status_code == 422
        assert response.json()["code"] == "invalid"
    with new_client(live_server.url) as browser:
        sign_in(browser, world.people["party_reporter"].email, PASSWORD)
        page = browser.get(f"/cases/{world.case_a}/indicators.csv", params={"tlp": "pink"})
        assert page.status_code == 422


def test_an_undecodable_body_is_invalid_input(live_server: LiveServer, world: World) -> None:
    with _api(live_server, world) as client:
        response = client.post(
            "/api/v1/cases",
            content=b'{"title": "\xff\xfe"}',
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 422
        assert response.json()["code"] == "invalid"


def test_the_document_describes_the_errors_the_api_sends(live_server: LiveServer) -> None:
    document = httpx.get(f"{live_server.url}/api/v1/openapi.json").json()
    error = document["components"]["schemas"]["HTTPValidationError"]
    assert error["properties"]["detail"]["type"] == "string"
    assert set(error["required"]) == {"detail", "code"}
    exports = document["paths"]["/api/v1/cases/{case_id}/indicators"]["get"]["responses"]
    assert {"text/csv; charset=utf-8", "application/stix+json;version=2.1"} <= set(
        exports["200"]["content"]
    )
    assert set(exports["404"]["content"]) == {"application/json"}


def test_a_nul_character_is_never_a_server_error(
    live_server: LiveServer, world: World, database_url: str
) -> None:
    # PostgreSQL cannot store NUL in text: this was a DataError (500) there.
    refused = database_url.startswith("postgresql")
    with _api(live_server, world, "party_reporter") as client:
        posted = client.post(f"/api/v1/cases/{world.case_a}/messages", json={"body": "a\x00b"})
        assert posted.status_code == (422 if refused else 201)
        if refused:
            assert posted.json()["code"] == "invalid"
        listed = client.get("/api/v1/cases", params={"q": "a\x00b"})
        assert listed.status_code == (422 if refused else 200)
    with new_client(live_server.url) as browser:
        sign_in(browser, world.people["party_reporter"].email, PASSWORD)
        page = browser.get("/cases", params={"q": "a\x00b"})
        assert page.status_code < 500


def test_a_form_field_where_a_file_belongs_is_invalid_input(
    live_server: LiveServer, world: World
) -> None:
    # Found by Schemathesis: pydantic's error for this carries the exception object,
    # which the 422 answer could not serialise (500).
    with _api(live_server, world, "party_reporter") as client:
        answer = client.post(
            f"/api/v1/cases/{world.case_a}/evidence",
            data={"file": '{"not": "a file"}', "malware": "[{}]"},
            files={"other": ("x.txt", b"x", "text/plain")},
        )
    assert answer.status_code == 422, answer.text
    fields = {tuple(e["loc"]) for e in answer.json()["errors"]}
    assert ("body", "file") in fields and ("body", "malware") in fields
