"""Every route of the app × every role: who may use it, and that nothing leaks.

A new route fails ``test_every_route_is_classified`` until it is added to ``RULES``.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.routing import Mount
from tests.conftest import LiveServer
from tests.services.advisory_world import probe_placeholders
from tests.web.client import csrf_from, new_client, sign_in
from tests.world import PASSWORD, World, build_world, leaks_for

# Who may use a route: public, signed_in (any account), desk, case (a party of the case
# or the desk), token (API, any valid token), token_case (API, a party or the desk), taxii
# (TAXII 2.1 with any valid token; anonymous gets 401, not a sign-in redirect).
RULES: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "public",
    ("GET", "/login"): "public",
    ("POST", "/login"): "public",
    ("GET", "/login/totp"): "public",
    ("POST", "/login/totp"): "public",
    ("POST", "/logout"): "public",
    ("POST", "/lang"): "public",
    ("GET", "/"): "public",
    ("GET", "/account"): "signed_in",
    ("POST", "/account/password"): "signed_in",
    ("GET", "/account/totp"): "signed_in",
    ("POST", "/account/totp"): "signed_in",
    ("POST", "/account/tokens"): "signed_in",
    ("GET", "/desk/cases"): "desk",
    ("GET", "/cases"): "signed_in",
    ("GET", "/cases/{case_id}"): "case",
    ("POST", "/cases/{case_id}/messages"): "case",
    ("GET", "/api/v1/openapi.json"): "public",
    ("GET", "/api/v1/me"): "token",
    ("GET", "/api/v1/cases"): "token",
    ("POST", "/api/v1/cases"): "token",
    ("GET", "/api/v1/cases/{case_id}"): "token_case",
    ("GET", "/api/v1/cases/{case_id}/messages"): "token_case",
    ("POST", "/api/v1/cases/{case_id}/messages"): "token_case",
    ("GET", "/report"): "public",
    ("POST", "/report"): "public",
    ("GET", "/welcome/{token}"): "link",
    ("POST", "/cases/{case_id}/evidence"): "case",
    ("GET", "/evidence/{evidence_id}"): "evidence",
    ("GET", "/evidence/{evidence_id}/download"): "evidence",
    ("POST", "/evidence/{evidence_id}/share"): "desk_evidence",
    ("POST", "/evidence/{evidence_id}/malware"): "desk_evidence",
    ("POST", "/cases/{case_id}/status"): "desk_case",
    ("POST", "/cases/{case_id}/assign"): "desk_case",
    ("POST", "/cases/{case_id}/urgency"): "desk_case",
    ("POST", "/cases/{case_id}/merge"): "desk_case",
    ("POST", "/cases/{case_id}/link"): "desk_case",
    ("POST", "/cases/{case_id}/plan/recommend"): "desk_case",
    ("POST", "/cases/{case_id}/plan/accept"): "desk_case",
    ("POST", "/cases/{case_id}/plan/add"): "desk_case",
    ("POST", "/cases/{case_id}/plan/remove"): "desk_case",
    ("POST", "/cases/{case_id}/plan/status"): "desk_case",
    ("GET", "/cases/{case_id}/hearing"): "case",
    ("POST", "/cases/{case_id}/hearing"): "desk_case",
    ("POST", "/cases/{case_id}/hearing/open"): "desk_case",
    ("POST", "/api/v1/reports"): "token",
    ("GET", "/api/v1/cases/{case_id}/hearing"): "token_case",
    ("PUT", "/api/v1/cases/{case_id}/hearing"): "token_desk_case",
    ("GET", "/api/v1/cases/{case_id}/plan"): "token_case",
    ("POST", "/api/v1/cases/{case_id}/plan/recommend"): "token_desk_case",
    ("POST", "/api/v1/cases/{case_id}/plan/accept"): "token_desk_case",
    ("POST", "/api/v1/cases/{case_id}/plan/items"): "token_desk_case",
    ("PATCH", "/api/v1/cases/{case_id}/plan/items/{item_id}"): "token_desk_case",
    ("DELETE", "/api/v1/cases/{case_id}/plan/items/{item_id}"): "token_desk_case",
    ("POST", "/api/v1/cases/{case_id}/status"): "token_desk_case",
    ("POST", "/api/v1/cases/{case_id}/assign"): "token_desk_case",
    ("POST", "/api/v1/cases/{case_id}/urgency"): "token_desk_case",
    ("POST", "/api/v1/cases/{case_id}/merge"): "token_desk_case",
    ("POST", "/api/v1/cases/{case_id}/links"): "token_desk_case",
    ("GET", "/api/v1/cases/{case_id}/evidence"): "token_case",
    ("PUT", "/api/v1/cases/{case_id}/evidence/{filename}"): "token_case",
    ("POST", "/api/v1/cases/{case_id}/evidence"): "token_case",
    ("GET", "/api/v1/evidence/{evidence_id}"): "token_case",
    ("GET", "/api/v1/evidence/{evidence_id}/content"): "token_case",
    # --- issue 7 (indicators, workspace, feedback) routes go here ---
    ("POST", "/cases/{case_id}/analysis/rerun"): "desk_case",
    ("GET", "/cases/{case_id}/indicators.{fmt}"): "case",
    ("GET", "/desk/workspace"): "desk",
    ("GET", "/cases/{case_id}/ransomware"): "case",
    ("POST", "/cases/{case_id}/guides/{guide_id}/send"): "desk_case",
    ("POST", "/cases/{case_id}/ransomware"): "case",
    ("GET", "/desk/workspace/feedback"): "desk_any",
    ("POST", "/desk/workspace/feedback"): "desk_any",
    ("GET", "/desk/indicators"): "desk",
    ("POST", "/desk/indicators"): "desk",
    ("POST", "/desk/indicators/{indicator_id}"): "desk_any",
    ("GET", "/api/v1/cases/{case_id}/indicators"): "token_case",
    ("GET", "/api/v1/workspace"): "token_desk",
    ("POST", "/api/v1/workspace/feedback"): "token_desk_any",
    ("POST", "/cases/{case_id}/misp-push"): "desk_case",
    ("POST", "/api/v1/cases/{case_id}/misp-push"): "token_desk_case",
    ("GET", "/api/v1/cases/{case_id}/misp-push"): "token_desk_case",
    # --- issue 7 (advisories, TAXII) routes go here ---
    ("GET", "/advisories"): "public",
    ("GET", "/advisories.atom"): "public",
    ("GET", "/advisories/{slug}"): "public",
    ("GET", "/advisories/{slug}.json"): "public",
    ("GET", "/guides"): "public",
    ("GET", "/guides/{guide_id}"): "public",
    ("GET", "/desk/advisories"): "desk",
    ("POST", "/desk/advisories"): "desk",
    ("GET", "/desk/advisories/{advisory_id}"): "desk",
    ("POST", "/desk/advisories/{advisory_id}"): "desk",
    ("POST", "/desk/advisories/{advisory_id}/review"): "desk",
    ("POST", "/desk/advisories/{advisory_id}/approve"): "desk",
    ("POST", "/desk/advisories/{advisory_id}/publish"): "desk",
    ("POST", "/api/v1/advisories"): "token_desk_any",
    ("GET", "/api/v1/advisories/{advisory_id}"): "token_desk",
    ("PUT", "/api/v1/advisories/{advisory_id}"): "token_desk",
    ("POST", "/api/v1/advisories/{advisory_id}/review"): "token_desk",
    ("POST", "/api/v1/advisories/{advisory_id}/approve"): "token_desk",
    ("POST", "/api/v1/advisories/{advisory_id}/publish"): "token_desk",
    ("PATCH", "/api/v1/indicators/{indicator_id}"): "token_desk_any",
    ("GET", "/taxii2/"): "taxii",
    ("GET", "/taxii2/api1/"): "taxii",
    ("GET", "/taxii2/api1/collections/"): "taxii",
    ("GET", "/taxii2/api1/collections/{collection_id}/"): "taxii",
    ("GET", "/taxii2/api1/collections/{collection_id}/objects/"): "taxii",
    ("GET", "/taxii2/api1/collections/{collection_id}/manifest/"): "taxii",
    # --- issue 8 (leaks, playbooks, advice) routes go here ---
    ("GET", "/desk/leaks"): "desk",
    ("POST", "/desk/leaks/import"): "desk",
    ("POST", "/desk/leaks/check"): "desk",
    ("POST", "/desk/leaks/fetch"): "desk",
    ("POST", "/desk/leaks/review"): "desk",
    ("POST", "/cases/{case_id}/leaks/check"): "desk_case",
    ("POST", "/cases/{case_id}/leaks/review"): "desk_case",
    ("POST", "/cases/{case_id}/exfiltration/assemble"): "desk_case",
    ("POST", "/cases/{case_id}/exfiltration/review"): "desk_case",
    ("POST", "/cases/{case_id}/advice/checklist"): "desk_case",
    ("POST", "/cases/{case_id}/advice/memos"): "desk_case",
    ("POST", "/cases/{case_id}/advice/memos/share"): "desk_case",
    ("GET", "/cases/{case_id}/advice/memos"): "case",
    ("GET", "/desk/settings"): "desk_admin",
    ("POST", "/desk/settings"): "desk_admin",
}

ROLES = (
    "desk_admin",
    "desk_handler",
    "party_org_admin",
    "party_reporter",
    "other_reporter",
    "anonymous",
)
DESK = {"desk_admin", "desk_handler"}

FORM_BODIES = {
    "/login": {"email": "nobody@example.org", "password": "x"},
    "/login/totp": {"code": "000000"},
    "/lang": {"language": "en"},
    "/account/password": {"current_password": "wrong", "new_password": "x"},
    "/account/totp": {"code": "000000"},
    "/account/tokens": {"name": "t"},
    "/cases/{case_id}/messages": {"body": "hello", "visibility": "internal"},
    "/report": {"title": "Authorization probe"},
    "/cases/{case_id}/status": {"status": "hearing"},
    "/cases/{case_id}/assign": {"assignee_id": ""},
    "/cases/{case_id}/urgency": {"urgency": "high"},
    "/cases/{case_id}/merge": {"into": "MDG-1999-99999"},
    "/cases/{case_id}/link": {"other": "MDG-1999-99999"},
    "/cases/{case_id}/plan/add": {"item_id": "initial_response_advice"},
    "/cases/{case_id}/plan/remove": {"item_id": "nothing"},
    "/cases/{case_id}/plan/status": {"item_id": "nothing", "status": "done"},
    "/cases/{case_id}/hearing/open": {"open": "false"},
    "/evidence/{evidence_id}/share": {},
    "/evidence/{evidence_id}/malware": {},
    "/desk/settings": {},
    "/desk/workspace/feedback": {"tag": "cve:CVE-2024-3400", "organisation_id": "1"},
    "/desk/indicators": {"value": "198.51.100.200"},
    "/cases/{case_id}/ransomware": {"note_name": "readme.txt"},
    "/desk/indicators/{indicator_id}": {},
}
FILE_PATHS = {"/cases/{case_id}/evidence"}
JSON_BODIES: dict[str, dict[str, object]] = {
    "/api/v1/cases": {"title": "API case"},
    "/api/v1/cases/{case_id}/messages": {"body": "hello", "internal": True},
    "/api/v1/reports": {"title": "Authorization probe"},
    "/api/v1/cases/{case_id}/hearing": {"answers": {}},
    "/api/v1/cases/{case_id}/plan/items": {"item_id": "initial_response_advice"},
    "/api/v1/cases/{case_id}/plan/items/{item_id}": {"status": "done"},
    "/api/v1/cases/{case_id}/status": {"status": "hearing"},
    "/api/v1/cases/{case_id}/assign": {"assignee_id": None},
    "/api/v1/cases/{case_id}/urgency": {"urgency": "high"},
    # Merging or linking a case with itself is refused (422), after the access checks.
    "/api/v1/cases/{case_id}/merge": {"other_case_id": "{target}"},
    "/api/v1/cases/{case_id}/links": {"other_case_id": "{target}"},
    "/api/v1/workspace/feedback": {"tag": "cve:CVE-2024-3400", "organisation_id": 1},
    "/api/v1/advisories": {"tag": "cve:CVE-2024-3400"},
    "/api/v1/advisories/{advisory_id}": {"tlp": "clear"},
    "/api/v1/indicators/{indicator_id}": {"false_positive": False},
}
API_FILE_PATHS = {"/api/v1/cases/{case_id}/evidence"}


def app_routes(app: object) -> set[tuple[str, str]]:
    """(method, path) of every route, including those of included routers."""
    found = set()
    for route in app.routes:  # type: ignore[attr-defined]
        if isinstance(route, Mount):
            continue
        contexts = getattr(route, "effective_route_contexts", None)
        entries = (
            [(c.methods, c.path) for c in contexts()]
            if contexts
            else [(getattr(route, "methods", None) or set(), route.path)]
        )
        for methods, path in entries:
            for method in set(methods) - {"HEAD", "OPTIONS"}:
                found.add((method, path))
    return found


# Ids that routes of later issues take, filled by the world fixture (issue 7: advisories).
PLACEHOLDERS: dict[str, str] = {}


@pytest.fixture
def world(live_server: LiveServer) -> World:
    built = build_world(live_server.desk)
    PLACEHOLDERS.update(probe_placeholders(live_server.desk, built))
    return built


@pytest.fixture
def clients(live_server: LiveServer, world: World) -> Iterator[dict[str, httpx.Client]]:
    made = {}
    for role in ROLES:
        client = new_client(live_server.url)
        if role != "anonymous":
            response = sign_in(client, world.people[role].email, PASSWORD)
            assert response.status_code == 303, response.text
        made[role] = client
    yield made
    for client in made.values():
        client.close()


def test_every_route_is_classified(live_server: LiveServer) -> None:
    from madoguchi.web.app import create_app

    app = create_app(live_server.desk.settings, desk=live_server.desk)
    assert app_routes(app) == set(RULES), "classify new routes in RULES"


def _request(
    client: httpx.Client, method: str, path: str, role: str, world: World, target: int
) -> httpx.Response:
    url = (
        path.replace("{case_id}", str(target))
        .replace("{evidence_id}", str(target))
        .replace("{token}", "not-a-valid-token")
        .replace("{item_id}", "initial_response_advice")
        .replace("{filename}", "probe.txt")
        .replace("{fmt}", "csv")
        .replace("{guide_id}", "panos")
        .replace("{indicator_id}", "999999")
    )
    for placeholder, value in PLACEHOLDERS.items():
        url = url.replace(placeholder, value)
    headers = {}
    if (
        path.startswith(("/api/", "/taxii2/"))
        and role != "anonymous"
        and path != "/api/v1/openapi.json"
    ):
        headers["Authorization"] = f"Bearer {world.people[role].token}"
    if method == "GET":
        return client.get(url, headers=headers)
    if path.startswith("/api/"):
        if "{filename}" in path:
            return client.request(method, url, content=b"probe", headers=headers)
        if path in API_FILE_PATHS:
            files = {"file": ("probe.txt", b"probe", "text/plain")}
            return client.request(method, url, files=files, headers=headers)
        body = {
            key: target if value == "{target}" else value
            for key, value in JSON_BODIES.get(path, {}).items()
        }
        return client.request(method, url, json=body, headers=headers)
    token = csrf_from(client.get("/login" if role == "anonymous" else "/account").text)
    data = {**FORM_BODIES.get(path, {}), "csrf_token": token}
    if path in FILE_PATHS:
        files = {"files": ("probe.txt", b"probe", "text/plain")}
        return client.post(url, data=data, files=files, headers=headers)
    return client.post(url, data=data, headers=headers)


def _allowed(rule: str, role: str, case_visible: bool) -> bool:
    signed_in = role != "anonymous"
    return {
        "public": True,
        "signed_in": signed_in,
        "desk": role in DESK,
        "case": signed_in and case_visible,
        "token": signed_in,
        "token_case": signed_in and case_visible,
        "desk_case": role in DESK and case_visible,
        "token_desk_case": role in DESK and case_visible,
        "evidence": signed_in and case_visible,
        "desk_evidence": role in DESK and case_visible,
        "desk_admin": role == "desk_admin",
        "token_desk": role in DESK,
        "link": False,
        "taxii": signed_in,
    }[rule]


@pytest.mark.parametrize("role", ROLES)
def test_role_against_every_route(
    role: str, clients: dict[str, httpx.Client], world: World
) -> None:
    client = clients[role]
    party_case = world.case_b if role == "other_reporter" else world.case_a
    foreign_case = world.case_a if role == "other_reporter" else world.case_b
    problems = []
    for (method, path), rule in sorted(RULES.items()):
        if path in {"/logout", "/login", "/login/totp"} and method == "POST":
            continue  # these end or replace the session; covered by the login tests
        if "{evidence_id}" in path:
            own = world.evidence_b if role == "other_reporter" else world.evidence_a
            foreign = world.evidence_a if role == "other_reporter" else world.evidence_b
            targets = [(own, True), (foreign, role in DESK), (999_999, False)]
        elif "{case_id}" in path:
            targets = [(party_case, True), (foreign_case, role in DESK), (999_999, False)]
        else:
            targets = [(0, True)]
        for target, visible in targets:
            response = _request(client, method, path, role, world, target)
            where = f"{role} {method} {path} [{target}]"
            status = response.status_code
            if status >= 500:
                problems.append(f"{where}: server error {status}")
                continue
            effective = rule
            if rule in ("desk_any", "token_desk_any"):
                # The desk may get 404/422 for an unknown target; others never get more.
                if role in DESK:
                    continue
                effective = "desk"
            allowed = _allowed(effective, role, visible)
            if allowed and status in (401, 404):
                problems.append(f"{where}: refused with {status}")
            if not allowed:
                if effective == "link":
                    ok = status == 404
                elif role == "anonymous" and not path.startswith(("/api/", "/taxii2/")):
                    ok = status == 303 and "/login" in response.headers.get("location", "")
                elif role == "anonymous":
                    ok = status == 401
                else:
                    ok = status == 404
                if not ok:
                    problems.append(f"{where}: expected refusal, got {status}")
            for leak in leaks_for(role, world, response.text, own_case_b=role == "other_reporter"):
                problems.append(f"{where}: leaks {leak}")
    assert problems == [], "\n".join(problems)
