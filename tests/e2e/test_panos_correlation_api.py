"""The PAN-OS CVE-2024-3400 model case, through the HTTP API only.

Three organisations each report PAN-OS logs showing exploitation from overlapping
attacker addresses; the desk's workspace shows the overlap; each organisation's
feedback carries only its own data plus counts.
"""

from __future__ import annotations

import json

import httpx
import pytest
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


@pytest.fixture
def tokens(live_server: LiveServer) -> dict[str, str]:
    made = {}
    with live_server.desk.uow_factory() as uow:
        desk_org = accounts.create_organisation(uow, None, "Desk", OrgKind.DESK)
        people = [("desk", desk_org, Role.DESK_HANDLER)]
        for name in ADDRESSES:
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


def test_three_organisations_report_and_get_their_own_feedback(
    live_server: LiveServer, tokens: dict[str, str]
) -> None:
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
