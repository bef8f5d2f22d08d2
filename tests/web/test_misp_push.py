"""The MISP push over HTTP: the desk's button on the case page and ``/api/v1`` (real
PyMISP against ``tests/misp_server.py``); the button only when an instance is configured,
409 from the API when none is, 404 for everyone but the desk."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from tests.conftest import LiveServer
from tests.misp_server import MispServer, serve_misp
from tests.services.advisory_world import (
    AMBER_IP,
    CLEAR_IP,
    GREEN_DOMAIN,
    RED_HASH,
    seed_indicators,
)
from tests.web.client import csrf_from, new_client, sign_in
from tests.world import PASSWORD, World, build_world

KEY = "misp-web-test-key"
BUTTON = 'action="/cases/{case}/misp-push"'


def _client(server: LiveServer, world: World, role: str) -> httpx.Client:
    client = new_client(server.url, headers={"Accept-Language": "en"})
    assert sign_in(client, world.people[role].email, PASSWORD).status_code == 303
    return client


def _api(server: LiveServer, world: World, role: str) -> httpx.Client:
    return new_client(server.url, headers={"Authorization": f"Bearer {world.people[role].token}"})


def _run_jobs(server: LiveServer) -> None:
    assert server.desk.inline_queue is not None
    server.desk.inline_queue.run_pending()


@pytest.fixture
def world(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.delenv("MADOGUCHI_MISP_URL", raising=False)
    built = build_world(live_server.desk)
    seed_indicators(live_server.desk, built)
    return built


@pytest.fixture
def misp(monkeypatch: pytest.MonkeyPatch) -> Iterator[MispServer]:
    with serve_misp(KEY) as server:
        monkeypatch.setenv("MADOGUCHI_MISP_URL", server.url)
        monkeypatch.setenv("MADOGUCHI_MISP_KEY", KEY)
        monkeypatch.setenv("MADOGUCHI_MISP_ALLOW_PRIVATE", "true")  # the test instance
        yield server


def test_without_an_instance_there_is_no_button_and_the_api_says_so(
    live_server: LiveServer, world: World
) -> None:
    desk = _client(live_server, world, "desk_handler")
    page = desk.get(f"/cases/{world.case_a}").text
    assert BUTTON.format(case=world.case_a) not in page
    assert f"/cases/{world.case_a}/indicators.misp" in page
    api = _api(live_server, world, "desk_handler")
    refused = api.post(f"/api/v1/cases/{world.case_a}/misp-push")
    assert refused.status_code == 409
    assert refused.json() == {"detail": "no MISP instance is configured", "code": "conflict"}
    assert api.get(f"/api/v1/cases/{world.case_a}/misp-push").json() == {
        "configured": False,
        "push": None,
    }
    posted = desk.post(f"/cases/{world.case_a}/misp-push", data={"csrf_token": csrf_from(page)})
    assert posted.status_code == 303
    assert "no MISP instance is configured" in desk.get(f"/cases/{world.case_a}").text


def test_the_desk_pushes_from_the_case_page_and_the_api(
    live_server: LiveServer, world: World, misp: MispServer
) -> None:
    desk = _client(live_server, world, "desk_handler")
    case_url = f"/cases/{world.case_a}"
    page = desk.get(case_url).text
    assert BUTTON.format(case=world.case_a) in page and "Push to MISP" in page
    pushed = desk.post(f"{case_url}/misp-push", data={"csrf_token": csrf_from(page)})
    assert pushed.status_code == 303 and pushed.headers["location"] == f"{case_url}#exchange"
    assert "Push queued at" in desk.get(case_url).text
    assert misp.state.requests == []  # the request only queued the job
    _run_jobs(live_server)
    page = desk.get(case_url).text
    assert "Pushed at" in page and "attributes sent: 3;" in page
    (event_uuid,) = misp.state.events
    assert misp.state.live_values(event_uuid) == {CLEAR_IP, GREEN_DOMAIN, AMBER_IP}
    assert RED_HASH not in misp.state.bodies()

    api = _api(live_server, world, "desk_admin")
    queued = api.post(f"/api/v1/cases/{world.case_a}/misp-push")
    assert queued.status_code == 202
    assert queued.json()["state"] == "queued" and queued.json()["event_uuid"] == event_uuid
    _run_jobs(live_server)
    status = api.get(f"/api/v1/cases/{world.case_a}/misp-push").json()
    assert status["configured"] is True
    push = status["push"]
    assert (push["state"], push["event_uuid"], push["sent"], push["error"]) == (
        "done",
        event_uuid,
        3,
        "",
    )
    assert list(misp.state.events) == [event_uuid]


def test_a_failed_push_is_shown_with_what_to_do(
    live_server: LiveServer, world: World, misp: MispServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MADOGUCHI_MISP_KEY", "wrong-key")
    api = _api(live_server, world, "desk_handler")
    assert api.post(f"/api/v1/cases/{world.case_a}/misp-push").status_code == 202
    _run_jobs(live_server)
    push = api.get(f"/api/v1/cases/{world.case_a}/misp-push").json()["push"]
    assert push["state"] == "failed" and "MADOGUCHI_MISP_KEY" in push["error"]
    assert "HTTP 403" in push["error"]
    page = _client(live_server, world, "desk_handler").get(f"/cases/{world.case_a}").text
    assert "The last push failed at" in page and "HTTP 403" in page
    ja = new_client(live_server.url, headers={"Accept-Language": "ja"})
    sign_in(ja, world.people["desk_handler"].email, PASSWORD)
    assert "MISP に送信" in ja.get(f"/cases/{world.case_a}").text


def test_nobody_but_the_desk_may_push(
    live_server: LiveServer, world: World, misp: MispServer
) -> None:
    for role in ("party_reporter", "party_org_admin", "victim_reporter", "other_reporter"):
        own = world.case_b if role == "other_reporter" else world.case_a
        api = _api(live_server, world, role)
        for case in (own, 999_999):
            assert api.post(f"/api/v1/cases/{case}/misp-push").status_code == 404
            assert api.get(f"/api/v1/cases/{case}/misp-push").status_code == 404
        client = _client(live_server, world, role)
        page = client.get(f"/cases/{own}").text
        assert "misp-push" not in page and "Push to MISP" not in page
        posted = client.post(f"/cases/{own}/misp-push", data={"csrf_token": csrf_from(page)})
        assert posted.status_code == 404
    assert misp.state.requests == [] and misp.state.events == {}
    with live_server.desk.uow_factory() as uow:
        assert uow.misp_pushes.get(world.case_a) is None
