"""TAXII 2.1 with the real ``taxii2-client`` against the live server: what each token may
read, paging, ``added_after`` and the date headers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import requests
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages
from tests.conftest import LiveServer
from tests.services.advisory_world import (
    AMBER_IP,
    AMBER_OTHER_IP,
    CLEAR_IP,
    GREEN_DOMAIN,
    RED_HASH,
    publish_from_case_a,
    seed_indicators,
)
from tests.world import (
    OTHER_NAME,
    PASSWORD,
    VENDOR_NAME,
    VICTIM_NAME,
    Person,
    World,
    build_world,
)

from madoguchi.domain.organisation import OrgKind, Role
from madoguchi.services import accounts
from madoguchi.services.taxii import ADVISORIES, INDICATORS, MEDIA_TAXII

CLEAR_MARKING = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
GREEN_MARKING = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
RED_MARKING = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
STRICT_MARKING = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"


class Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


@pytest.fixture
def world(live_server: LiveServer) -> World:
    built = build_world(live_server.desk)
    seed_indicators(live_server.desk, built)
    publish_from_case_a(live_server.desk, built)
    return built


def _collection(live_server: LiveServer, world: World, role: str, alias: str) -> Collection:
    server = Server(f"{live_server.url}/taxii2/", auth=Bearer(world.people[role].token))
    assert server.title == "madoguchi TAXII"
    root = server.default
    assert isinstance(root, ApiRoot)
    assert "application/taxii+json;version=2.1" in root.versions
    found = {c.alias: c for c in root.collections}
    assert set(found) == {INDICATORS.alias, ADVISORIES.alias}
    return found[alias]


def _all_objects(collection: Collection, per_page: int = 2) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for envelope in as_pages(collection.get_objects, per_request=per_page):
        objects.extend(envelope.get("objects", []))
    return objects


def _values(objects: list[dict[str, Any]]) -> str:
    return " ".join(o.get("pattern", "") for o in objects if o["type"] == "indicator")


def _member_without_cases(live_server: LiveServer, world: World) -> None:
    with live_server.desk.uow_factory() as uow:
        org = accounts.create_organisation(uow, None, "Observer Co.", OrgKind.OTHER)
        user = accounts.create_user(
            uow, None, "observer@example.org", "observer", PASSWORD, org, Role.REPORTER
        )
        _, secret = accounts.create_token(uow, accounts.actor_for(uow, user), user, "taxii")
        uow.commit()
    world.people["observer"] = Person(user.email, "observer", secret, user.id or 0)


def test_an_organisation_without_cases_reads_only_clear_and_green(
    live_server: LiveServer, world: World
) -> None:
    _member_without_cases(live_server, world)
    objects = _all_objects(_collection(live_server, world, "observer", INDICATORS.alias))
    ids = [o["id"] for o in objects]
    assert len(ids) == len(set(ids)), "paging returned an object twice"
    patterns = _values(objects)
    assert CLEAR_IP in patterns and GREEN_DOMAIN in patterns
    for value in (AMBER_IP, AMBER_OTHER_IP, RED_HASH):
        assert value not in patterns
    markings = {
        ref
        for o in objects
        if o["type"] not in ("marking-definition", "identity")
        for ref in o["object_marking_refs"]
    }
    assert markings == {CLEAR_MARKING, GREEN_MARKING}
    assert not [o for o in objects if o["type"] == "sighting"]


def test_the_fourth_organisation_reads_amber_only_from_its_own_case(
    live_server: LiveServer, world: World
) -> None:
    objects = _all_objects(_collection(live_server, world, "other_reporter", INDICATORS.alias))
    patterns = _values(objects)
    assert CLEAR_IP in patterns and GREEN_DOMAIN in patterns
    assert AMBER_IP not in patterns and RED_HASH not in patterns
    assert AMBER_OTHER_IP in patterns  # sighted in case_b, where it is a party
    sightings = [o for o in objects if o["type"] == "sighting"]
    assert len(sightings) == 1 and "where_sighted_refs" not in sightings[0]
    indicator_ids = {o["id"] for o in objects if o["type"] == "indicator"}
    assert sightings[0]["sighting_of_ref"] in indicator_ids
    markings = {ref for o in objects for ref in o.get("object_marking_refs", ())}
    assert RED_MARKING not in markings and STRICT_MARKING not in markings
    text = str(objects)
    for name in (VICTIM_NAME, VENDOR_NAME, OTHER_NAME):
        assert name not in text


def test_a_party_reads_amber_indicators_of_its_cases_and_the_desk_reads_all(
    live_server: LiveServer, world: World
) -> None:
    vendor = _all_objects(_collection(live_server, world, "party_reporter", INDICATORS.alias))
    patterns = _values(vendor)
    assert AMBER_IP in patterns and AMBER_OTHER_IP not in patterns and RED_HASH not in patterns
    desk = _all_objects(_collection(live_server, world, "desk_handler", INDICATORS.alias), 50)
    patterns = _values(desk)
    for value in (CLEAR_IP, GREEN_DOMAIN, AMBER_IP, AMBER_OTHER_IP, RED_HASH):
        assert value in patterns
    assert len([o for o in desk if o["type"] == "sighting"]) == 5


def test_the_advisory_collection_holds_the_published_report(
    live_server: LiveServer, world: World
) -> None:
    objects = _all_objects(_collection(live_server, world, "other_reporter", ADVISORIES.alias))
    reports = [o for o in objects if o["type"] == "report"]
    assert len(reports) == 1
    assert CLEAR_IP in _values(objects) and AMBER_IP not in _values(objects)
    manifest = _collection(live_server, world, "other_reporter", ADVISORIES.alias).get_manifest()
    assert {m["id"] for m in manifest["objects"]} == {o["id"] for o in objects}


def test_paging_headers_and_added_after(live_server: LiveServer, world: World) -> None:
    token = world.people["desk_admin"].token
    client = httpx.Client(
        base_url=live_server.url,
        headers={"Authorization": f"Bearer {token}", "Accept": MEDIA_TAXII},
    )
    url = f"/taxii2/api1/collections/{INDICATORS.id}/objects/"
    first = client.get(url, params={"limit": 3})
    assert first.status_code == 200
    assert first.headers["content-type"].replace(" ", "") == MEDIA_TAXII
    body = first.json()
    assert body["more"] is True and len(body["objects"]) == 3
    last = first.headers["X-TAXII-Date-Added-Last"]
    assert first.headers["X-TAXII-Date-Added-First"] <= last
    rest = client.get(url, params={"limit": 100, "next": body["next"]}).json()
    after = client.get(url, params={"added_after": last, "limit": 100}).json()
    seen = [o["id"] for o in body["objects"] + rest["objects"]]
    assert len(seen) == len(set(seen))
    assert {o["id"] for o in after["objects"]} <= {o["id"] for o in rest["objects"]}
    everything = client.get(url, params={"limit": 1000}).json()
    assert [o["id"] for o in everything["objects"]] == seen and everything["more"] is False
    only = client.get(url, params={"match[type]": "sighting"}).json()["objects"]
    assert only and {o["type"] for o in only} == {"sighting"}


def test_errors_are_taxii_messages(live_server: LiveServer, world: World) -> None:
    client = httpx.Client(base_url=live_server.url)
    anonymous = client.get("/taxii2/", headers={"Accept": MEDIA_TAXII})
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].replace(" ", "") == MEDIA_TAXII
    assert anonymous.json()["http_status"] == "401"
    headers = {"Authorization": f"Bearer {world.people['other_reporter'].token}"}
    wrong = client.get("/taxii2/", headers={**headers, "Accept": "application/xml"})
    assert wrong.status_code == 406
    missing = client.get("/taxii2/api1/collections/nope/objects/", headers=headers)
    assert missing.status_code == 404 and missing.json()["title"] == "Not Found"
    bad = client.get(
        f"/taxii2/api1/collections/{INDICATORS.alias}/objects/",
        params={"next": "not-a-token"},
        headers=headers,
    )
    assert bad.status_code == 400
