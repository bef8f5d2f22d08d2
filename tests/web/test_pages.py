from __future__ import annotations

import httpx
from tests.conftest import LiveServer
from tests.web.client import csrf_from, new_client, sign_in
from tests.world import PASSWORD, build_world


def test_sign_in_lands_a_reporter_on_their_cases(live_server: LiveServer) -> None:
    world = build_world(live_server.desk)
    with new_client(live_server.url) as client:
        response = sign_in(client, world.people["party_reporter"].email, PASSWORD)
        assert response.status_code == 303 and response.headers["location"] == "/"
        page = client.get("/", follow_redirects=True)
        assert str(page.url).endswith("/cases")
        assert "Encrypted servers at a customer" in page.text
        assert world.other_case_title not in page.text


def test_wrong_password_shows_an_error_and_no_session(live_server: LiveServer) -> None:
    world = build_world(live_server.desk)
    with new_client(live_server.url) as client:
        response = sign_in(client, world.people["party_reporter"].email, "not the password")
        assert response.status_code == 401
        assert "メールアドレスまたはパスワードが違います" in response.text  # default language: ja
        assert client.get("/cases").status_code == 303


def test_forms_without_the_csrf_token_are_refused(live_server: LiveServer) -> None:
    world = build_world(live_server.desk)
    with new_client(live_server.url) as client:
        sign_in(client, world.people["desk_handler"].email, PASSWORD)
        response = client.post(
            f"/cases/{world.case_a}/messages", data={"body": "forged", "visibility": "internal"}
        )
        assert response.status_code == 403
        thread = client.get(f"/cases/{world.case_a}").text
        assert "forged" not in thread


def test_session_cookie_changes_at_sign_in(live_server: LiveServer) -> None:
    world = build_world(live_server.desk)
    with new_client(live_server.url) as client:
        client.get("/login")
        before = client.cookies.get("madoguchi_session")
        sign_in(client, world.people["party_reporter"].email, PASSWORD)
        after = client.cookies.get("madoguchi_session")
        assert before and after and before != after


def test_language_follows_accept_language_then_the_switch(live_server: LiveServer) -> None:
    with new_client(live_server.url) as client:
        english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
        assert "Sign in" in english.text and 'lang="en"' in english.text
        japanese = client.get("/login", headers={"Accept-Language": "ja,en;q=0.5"})
        assert "ログイン" in japanese.text
        token = csrf_from(english.text)
        client.post("/lang", data={"language": "ja", "next": "/login", "csrf_token": token})
        switched = client.get("/login", headers={"Accept-Language": "en"})
        assert "ログイン" in switched.text and 'lang="ja"' in switched.text


def test_user_language_setting_is_remembered(live_server: LiveServer) -> None:
    world = build_world(live_server.desk)
    with new_client(live_server.url, headers={"Accept-Language": "en"}) as client:
        sign_in(client, world.people["party_reporter"].email, PASSWORD)
        token = csrf_from(client.get("/cases").text)
        client.post("/lang", data={"language": "ja", "next": "/cases", "csrf_token": token})
    with new_client(live_server.url, headers={"Accept-Language": "en"}) as client:
        sign_in(client, world.people["party_reporter"].email, PASSWORD)
        assert "自組織の案件" in client.get("/cases").text


def test_user_supplied_text_is_escaped(live_server: LiveServer) -> None:
    world = build_world(live_server.desk)
    payload = '<script>alert("x")</script>'
    with new_client(live_server.url) as client:
        sign_in(client, world.people["party_reporter"].email, PASSWORD)
        token = csrf_from(client.get(f"/cases/{world.case_a}").text)
        client.post(f"/cases/{world.case_a}/messages", data={"body": payload, "csrf_token": token})
        page = client.get(f"/cases/{world.case_a}").text
    assert payload not in page
    assert "&lt;script&gt;" in page


def test_security_headers(live_server: LiveServer) -> None:
    response = httpx.get(live_server.url + "/login")
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"


def test_api_with_a_token(live_server: LiveServer) -> None:
    world = build_world(live_server.desk)
    headers = {"Authorization": f"Bearer {world.people['party_reporter'].token}"}
    with new_client(live_server.url, headers=headers) as client:
        me = client.get("/api/v1/me").json()
        assert me["desk"] is False
        listed = client.get("/api/v1/cases").json()
        assert [c["id"] for c in listed] == [world.case_a]
        case = client.get(f"/api/v1/cases/{world.case_a}").json()
        victim = next(p for p in case["parties"] if p["role"] == "victim")
        assert victim["name"] is None and victim["organisation_id"] is None
        created = client.post("/api/v1/cases", json={"title": "Via the API"})
        assert created.status_code == 201 and created.json()["reference"].startswith("MDG-")
        posted = client.post(f"/api/v1/cases/{world.case_a}/messages", json={"body": "hi"})
        assert posted.status_code == 201
    assert httpx.get(live_server.url + "/api/v1/me").status_code == 401
    bad = httpx.get(live_server.url + "/api/v1/me", headers={"Authorization": "Bearer mdg_nope"})
    assert bad.status_code == 401 and bad.json()["code"] == "authentication"


def test_openapi_document_describes_the_api_with_examples(live_server: LiveServer) -> None:
    spec = httpx.get(live_server.url + "/api/v1/openapi.json").json()
    assert "/api/v1/cases" in spec["paths"]
    assert "/login" not in spec["paths"]
    assert spec["components"]["schemas"]["CaseIn"].get("examples")


def test_healthz(live_server: LiveServer) -> None:
    assert httpx.get(live_server.url + "/healthz").json() == {"status": "ok", "database": "ok"}
