"""The PAN-OS CVE-2024-3400 model case, through the HTTP API only.

Three organisations each report PAN-OS logs showing exploitation from overlapping
attacker addresses; the desk's workspace shows the overlap; each organisation's
feedback carries only its own data plus counts; the desk publishes an advisory listing
the shared address and naming nobody; a fourth organisation's TAXII client reads only
TLP:CLEAR objects.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import requests
from taxii2client.v21 import Server, as_pages
from tests.conftest import LiveServer

from madoguchi.domain.organisation import OrgKind, Role
from madoguchi.services import accounts

THREAT = (
    "<14>Apr 12 10:{minute:02d}:02 fw01 1,2024/04/12 10:{minute:02d}:02,013201001234,THREAT,"
    "vulnerability,2561,2024/04/12 10:{minute:02d}:02,{ip},192.0.2.10,0.0.0.0,0.0.0.0,"
    "GP-portal-in,,,web-browsing,vsys1,untrust,trust,ethernet1/1,ethernet1/2,default,,"
    '{session},1,51514,443,0,0,0x2000,tcp,reset-both,"",Palo Alto Networks PAN-OS '
    "GlobalProtect Command Injection Vulnerability(95187),any,critical,client-to-server\n"
)
SHARED = "198.51.100.23"  # seen at every organisation
ADDRESSES = {
    "Org Alpha K.K.": [SHARED, "203.0.113.5"],
    "Org Beta Co., Ltd.": [SHARED, "203.0.113.5", "192.0.2.200"],
    "Org Gamma Inc.": [SHARED],
}
PASSWORD = "correct horse battery staple"
OUTSIDER = "Org Delta Holdings"  # a member organisation that reported nothing
TAG = "cve:CVE-2024-3400"
CLEAR_MARKING = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"


@pytest.fixture
def tokens(live_server: LiveServer) -> dict[str, str]:
    made = {}
    with live_server.desk.uow_factory() as uow:
        desk_org = accounts.create_organisation(uow, None, "Desk", OrgKind.DESK)
        people = [("desk", desk_org, Role.DESK_HANDLER), ("desk2", desk_org, Role.DESK_HANDLER)]
        for name in [*ADDRESSES, OUTSIDER]:
            org = accounts.create_organisation(uow, None, name, OrgKind.SYSTEM_OPERATOR)
            people.append((name, org, Role.REPORTER))
        for key, org, role in people:
            user = accounts.create_user(
                uow, None, f"{abs(hash(key))}@example.org", key, PASSWORD, org, role
            )
            _, secret = accounts.create_token(uow, accounts.actor_for(uow, user), user, "t")
            made[key] = secret
        uow.commit()
    return made


def _client(server: LiveServer, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    )


def _report_all(live_server: LiveServer, tokens: dict[str, str]) -> dict[str, int]:
    """Each organisation reports its case and uploads its threat log; analysis runs."""
    case_of: dict[str, int] = {}
    for index, (name, addresses) in enumerate(ADDRESSES.items()):
        with _client(live_server, tokens[name]) as client:
            report = client.post(
                "/api/v1/reports",
                json={
                    "title": f"GlobalProtect exploitation at {name}",
                    "reporter_kind": "system_operator",
                    "categories": ["device_vulnerability"],
                    "products": ["PAN-OS 10.2.9 GlobalProtect"],
                    "cves": ["CVE-2024-3400"],
                    "purpose": "support",
                    "tlp": "amber",
                },
            )
            assert report.status_code == 201, report.text
            case_id = report.json()["case"]["id"]
            case_of[name] = case_id
            lines = "".join(
                THREAT.format(minute=m + index, ip=ip, session=1000 + m)
                for m, ip in enumerate(addresses)
            )
            upload = client.put(
                f"/api/v1/cases/{case_id}/evidence/threat.log", content=lines.encode()
            )
            assert upload.status_code == 201, upload.text
    assert live_server.desk.inline_queue is not None
    live_server.desk.inline_queue.run_pending()
    return case_of


def test_three_organisations_report_and_get_their_own_feedback(
    live_server: LiveServer, tokens: dict[str, str]
) -> None:
    case_of = _report_all(live_server, tokens)

    with _client(live_server, tokens["desk"]) as desk:
        ws = desk.get("/api/v1/workspace", params={"tag": "cve:CVE-2024-3400"}).json()
        by_address: dict[str, set[int]] = {}
        for cell in ws["cells"]:
            by_address.setdefault(cell["address"], set()).add(cell["organisation_id"])
            assert cell["max_stage"] is not None
        assert len(by_address[SHARED]) == 3
        assert len(by_address["203.0.113.5"]) == 2
        orgs = {v: int(k) for k, v in ws["organisations"].items()}
        assert set(orgs) == set(ADDRESSES)
        for name, addresses in ADDRESSES.items():
            package = desk.post(
                "/api/v1/workspace/feedback",
                json={
                    "tag": "cve:CVE-2024-3400",
                    "organisation_id": orgs[name],
                    "language": "en",
                    "send": True,
                },
            )
            assert package.status_code == 200, package.text
            body = package.json()
            own = {a["address"] for a in body["addresses"]}
            assert own == set(addresses)
            shared = next(a for a in body["addresses"] if a["address"] == SHARED)
            assert shared["other_organisations"] == 2
            text = json.dumps(body)
            for other in ADDRESSES:
                if other != name:
                    assert other not in text

    # Each organisation reads the feedback on its own case; nobody else is named.
    for name, addresses in ADDRESSES.items():
        with _client(live_server, tokens[name]) as client:
            thread = client.get(f"/api/v1/cases/{case_of[name]}/messages").json()
            feedback = [m for m in thread if m["from_desk"]]
            assert feedback and "also seen at 2 other organisations" in feedback[-1]["body"]
            everything = json.dumps(thread)
            assert all(other not in everything for other in ADDRESSES if other != name)
            exported = client.get(
                f"/api/v1/cases/{case_of[name]}/indicators",
                params={"format": "csv", "tlp": "amber"},
            ).text
            assert SHARED in exported
            foreign = {ip for other, ips in ADDRESSES.items() if other != name for ip in ips}
            assert not (foreign - set(addresses)) & set(exported.split())


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def _edit(desk: httpx.Client, advisory_id: int, observed_en: str, ids: list[int]) -> None:
    body = {
        "tlp": "clear",
        "indicator_ids": ids,
        "content": {
            "title": {
                "ja": "PAN-OS GlobalProtect の脆弱性 CVE-2024-3400 を悪用する攻撃",
                "en": "Exploitation of PAN-OS GlobalProtect CVE-2024-3400",
            },
            "summary": {
                "ja": "複数の組織で同じ攻撃元からの悪用が確認されています。",
                "en": "Several organisations saw exploitation from the same addresses.",
            },
            "observed": {"ja": f"攻撃元 {SHARED} を確認。", "en": observed_en},
        },
    }
    edited = desk.put(f"/api/v1/advisories/{advisory_id}", json=body)
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "draft"


def _not_public(client: httpx.Client, slug: str) -> bool:
    return slug not in client.get("/advisories.atom").text and (
        client.get(f"/advisories/{slug}").status_code == 404
    )


def _review_and_approve(desk: httpx.Client, second: httpx.Client, advisory_id: int) -> None:
    assert desk.post(f"/api/v1/advisories/{advisory_id}/review").status_code == 200
    # The author cannot approve their own draft; a second handler does.
    assert desk.post(f"/api/v1/advisories/{advisory_id}/approve").status_code in (409, 422)
    approved = second.post(f"/api/v1/advisories/{advisory_id}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"


def test_advisory_lists_the_shared_address_and_taxii_serves_only_clear(
    live_server: LiveServer, tokens: dict[str, str]
) -> None:
    _report_all(live_server, tokens)
    with (
        _client(live_server, tokens["desk"]) as desk,
        _client(live_server, tokens["desk2"]) as second,
    ):
        draft = desk.post("/api/v1/advisories", json={"tag": TAG})
        assert draft.status_code == 201, draft.text
        advisory_id = draft.json()["id"]
        candidates = {c["value"]: c for c in draft.json()["candidates"]}
        assert {SHARED, "203.0.113.5", "192.0.2.200"} <= set(candidates)
        shared = candidates[SHARED]
        assert shared["tlp"] == "amber" and not shared["releasable"]
        draft_text = json.dumps(draft.json()["content"], ensure_ascii=False)
        assert all(name not in draft_text for name in ADDRESSES)

        # The handler picks the still-AMBER shared address and slips an organisation's
        # name into the text: the second handler's approval is refused, naming both fields.
        slip = f"Org Beta Co., Ltd. and others saw {SHARED}."
        _edit(desk, advisory_id, slip, [shared["id"]])
        assert desk.post(f"/api/v1/advisories/{advisory_id}/review").status_code == 200
        blocked = second.post(f"/api/v1/advisories/{advisory_id}/approve")
        assert blocked.status_code == 422, blocked.text
        problems = blocked.json()["problems"]
        wheres = {p["where"] for p in problems}
        assert "observed.en" in wheres, problems
        assert any(w.startswith(f"indicators: {SHARED}") for w in wheres), problems
        assert "Org Beta" not in json.dumps(problems)
        assert desk.post(f"/api/v1/advisories/{advisory_id}/publish").status_code == 409
        assert _not_public(desk, draft.json()["slug"])

        # The desk releases the shared address to CLEAR and rewords the text.
        released = desk.patch(f"/api/v1/indicators/{shared['id']}", json={"tlp": "clear"})
        assert released.status_code == 200 and released.json()["tlp"] == "clear"

        _edit(desk, advisory_id, f"Exploitation attempts came from {SHARED}.", [shared["id"]])
        _review_and_approve(desk, second, advisory_id)
        published = desk.post(f"/api/v1/advisories/{advisory_id}/publish")
        assert published.status_code == 200, published.text
        public_url = published.json()["public_url"]
        slug = published.json()["slug"]

    with httpx.Client(base_url=live_server.url, timeout=60) as anonymous:
        for url in (public_url, f"{public_url}?lang=ja", f"/advisories/{slug}.json"):
            page = anonymous.get(url)
            assert page.status_code == 200, url
            assert SHARED in page.text
            assert "203.0.113.5" not in page.text and "192.0.2.200" not in page.text
            assert all(name not in page.text for name in [*ADDRESSES, OUTSIDER])
        assert slug in anonymous.get("/advisories.atom").text

    # A fourth organisation reads the indicator collection over TAXII 2.1.
    server = Server(f"{live_server.url}/taxii2/", auth=_Bearer(tokens[OUTSIDER]))
    collections = {c.alias: c for c in server.default.collections}
    objects: list[dict[str, Any]] = []
    for alias in sorted(collections):
        for envelope in as_pages(collections[alias].get_objects, per_request=3):
            objects.extend(envelope.get("objects", []))
    marked = [o for o in objects if o["type"] not in ("marking-definition", "identity")]
    assert marked, "the outsider should at least see the published advisory"
    assert all(o.get("object_marking_refs") == [CLEAR_MARKING] for o in marked), marked
    patterns = " ".join(o.get("pattern", "") for o in objects)
    assert SHARED in patterns
    assert "203.0.113.5" not in patterns and "192.0.2.200" not in patterns
    assert all(name not in json.dumps(objects) for name in [*ADDRESSES, OUTSIDER])
