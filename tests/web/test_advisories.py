"""Advisory pages over HTTP: the desk drafts, a second member approves, the public reads
the page, the Atom feed, the STIX bundle and the investigation guides without signing in."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree as ET

import httpx
import pytest
import stix2
from tests.conftest import LiveServer
from tests.services.advisory_world import AMBER_IP, CLEAR_IP, seed_indicators
from tests.web.client import csrf_from, new_client, sign_in
from tests.world import PASSWORD, VENDOR_NAME, VICTIM_NAME, World, build_world

from madoguchi.web.markdown_render import render_markdown

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def world(live_server: LiveServer) -> World:
    built = build_world(live_server.desk)
    seed_indicators(live_server.desk, built)
    return built


def _signed_in(live_server: LiveServer, world: World, role: str) -> httpx.Client:
    client = new_client(live_server.url, headers={"Accept-Language": "en"})
    assert sign_in(client, world.people[role].email, PASSWORD).status_code == 303
    return client


def _post(client: httpx.Client, url: str, data: dict[str, object] | None = None) -> httpx.Response:
    token = csrf_from(client.get("/account").text)
    return client.post(url, data={**(data or {}), "csrf_token": token})


def _form_of(page: str) -> dict[str, object]:
    """The edit form's current values, as the browser would send them back."""
    data: dict[str, object] = {}
    for name, value in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        data[name] = _unescape(value)
    for name in ("cves", "tags", "slug"):
        match = re.search(rf'<input name="{name}" value="([^"]*)"', page)
        data[name] = _unescape(match.group(1)) if match else ""
    data["tlp"] = "clear"
    data["indicator_ids"] = re.findall(r'name="indicator_ids" value="(\d+)" checked', page)
    return data


def _unescape(text: str) -> str:
    for escaped, plain in (("&#39;", "'"), ("&#34;", '"'), ("&lt;", "<"), ("&gt;", ">")):
        text = text.replace(escaped, plain)
    return text.replace("&amp;", "&")


def _draft(handler: httpx.Client, world: World, live_server: LiveServer) -> str:
    with live_server.desk.uow_factory() as uow:
        case = uow.cases.get(world.case_a)
        assert case is not None
        reference = case.reference
    response = _post(handler, "/desk/advisories", {"case": reference})
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert re.fullmatch(r"/desk/advisories/\d+", location)
    return location


def test_draft_review_approve_publish_and_read_it_in_public(
    live_server: LiveServer, world: World
) -> None:
    handler = _signed_in(live_server, world, "desk_handler")
    admin = _signed_in(live_server, world, "desk_admin")
    location = _draft(handler, world, live_server)
    page = handler.get(location)
    assert page.status_code == 200
    assert re.search(rf'value="\d+" checked aria-label="{re.escape(CLEAR_IP)}"', page.text)
    assert re.search(rf'value="\d+" aria-label="{re.escape(AMBER_IP)}"', page.text)

    form = _form_of(page.text)
    form["summary_en"] = "Attackers exploit CVE-2024-3400 on exposed gateways."
    form["affected"] = "PAN-OS | 10.2.0 - 10.2.9 | 10.2.9-h1"
    assert _post(handler, location, form).status_code == 303
    assert _post(handler, location + "/review").status_code == 303
    # the author cannot approve: the page says why
    assert _post(handler, location + "/approve").status_code == 303
    refused = handler.get(location).text
    assert "approver must be a different desk member" in refused
    assert _post(admin, location + "/approve").status_code == 303
    assert _post(admin, location + "/publish").status_code == 303
    assert "Published revision 1" in admin.get(location).text

    public = new_client(live_server.url)
    listing = public.get("/advisories?lang=en")
    assert listing.status_code == 200
    slug = re.search(r'data-slug="([^"]+)"', listing.text)
    assert slug is not None
    en = public.get(f"/advisories/{slug.group(1)}?lang=en")
    assert en.status_code == 200
    assert "Attackers exploit CVE-2024-3400 on exposed gateways." in en.text
    assert "10.2.9-h1" in en.text and CLEAR_IP in en.text and AMBER_IP not in en.text
    assert "/guides/panos?lang=en" in en.text
    ja = public.get(f"/advisories/{slug.group(1)}?lang=ja")
    assert "を悪用する攻撃に関する注意喚起" in ja.text and "/guides/panos?lang=ja" in ja.text
    for text in (listing.text, en.text, ja.text):
        assert VICTIM_NAME not in text and VENDOR_NAME not in text

    bundle = public.get(f"/advisories/{slug.group(1)}.json")
    assert bundle.headers["content-type"].startswith("application/stix+json")
    parsed = stix2.parse(bundle.text, allow_custom=True)
    assert any(obj.type == "report" for obj in parsed.objects)
    assert CLEAR_IP in bundle.text and AMBER_IP not in bundle.text


def test_the_atom_feed_is_atom_with_stable_ids(live_server: LiveServer, world: World) -> None:
    from tests.services.advisory_world import publish_from_case_a

    _, slug = publish_from_case_a(live_server.desk, world)
    public = new_client(live_server.url)
    first = public.get("/advisories.atom?lang=en")
    second = public.get("/advisories.atom?lang=en")
    assert first.headers["content-type"].startswith("application/atom+xml")
    assert first.content == second.content
    feed = ET.fromstring(first.content)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None, required
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1
    entry = entries[0]
    entry_id = entry.findtext(f"{ATOM}id")
    assert entry_id is not None and entry_id.startswith("urn:uuid:")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry.findtext(f"{ATOM}updated") or "")
    link = entry.find(f"{ATOM}link[@rel='alternate']")
    assert link is not None and link.get("href", "").endswith(f"/advisories/{slug}?lang=en")
    ja = ET.fromstring(public.get("/advisories.atom?lang=ja").content)
    assert ja.get("{http://www.w3.org/XML/1998/namespace}lang") == "ja"
    assert "注意喚起" in (ja.find(f"{ATOM}entry/{ATOM}title").text or "")  # type: ignore[union-attr]


def test_publication_with_an_organisation_name_is_refused_naming_the_field(
    live_server: LiveServer, world: World
) -> None:
    handler = _signed_in(live_server, world, "desk_handler")
    admin = _signed_in(live_server, world, "desk_admin")
    location = _draft(handler, world, live_server)
    form = _form_of(handler.get(location).text)
    form["observed_ja"] = "ひみつ電機の VPN 装置で侵害を確認しました。"
    assert _post(handler, location, form).status_code == 303
    _post(handler, location + "/review")
    assert _post(admin, location + "/approve").status_code == 303
    page = admin.get(location).text
    assert "observed.ja" in page
    assert "this field names an organisation from the linked cases" in page
    assert new_client(live_server.url).get("/advisories?lang=en").text.count("data-slug") == 0


def test_unpublished_drafts_are_not_public(live_server: LiveServer, world: World) -> None:
    handler = _signed_in(live_server, world, "desk_handler")
    location = _draft(handler, world, live_server)
    with live_server.desk.uow_factory() as uow:
        advisory = uow.advisories.get(int(location.rsplit("/", 1)[1]))
        assert advisory is not None
        slug = advisory.slug
    public = new_client(live_server.url)
    assert public.get(f"/advisories/{slug}").status_code == 404
    assert public.get(f"/advisories/{slug}.json").status_code == 404
    assert public.get(location).status_code == 303  # desk pages send strangers to sign in
    reporter = _signed_in(live_server, world, "party_reporter")
    assert reporter.get(location).status_code == 404
    assert reporter.get("/desk/advisories").status_code == 404


def test_guides_are_public_and_rendered_without_raw_html(
    live_server: LiveServer, world: World
) -> None:
    public = new_client(live_server.url)
    listing = public.get("/guides?lang=en")
    assert listing.status_code == 200 and "/guides/panos?lang=en" in listing.text
    page = public.get("/guides/panos?lang=ja")
    assert page.status_code == 200
    assert "<table>" in page.text and "<h1>" in page.text
    assert public.get("/guides/no-such-guide?lang=en").status_code == 404


def test_markdown_escapes_html_and_drops_script_links() -> None:
    html = str(render_markdown("# T\n\n<script>alert(1)</script> [x](javascript:alert(1))"))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html


def test_the_stix_bundle_of_a_revision_and_json_is_stable(
    live_server: LiveServer, world: World
) -> None:
    from tests.services.advisory_world import publish_from_case_a

    _, slug = publish_from_case_a(live_server.desk, world)
    public = new_client(live_server.url)
    one = public.get(f"/advisories/{slug}.json").json()
    again = public.get(f"/advisories/{slug}.json?revision=1").json()
    assert one == again
    assert public.get(f"/advisories/{slug}.json?revision=9").status_code == 404
    assert json.dumps(one).count('"type": "report"') == 1
