"""Leak-site checks: posts imported from ransomware.live JSON, CSV and a configured feed,
matched to cases and constituent organisations, reviewed, shown as claims."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from tests.services.leak_world import RecordingMailer, actor
from tests.world import OTHER_NAME, VICTIM_NAME, build_world

from madoguchi.bootstrap import Desk
from madoguchi.domain.errors import PermissionDeniedError, ValidationError
from madoguchi.domain.leak import ReviewState
from madoguchi.intel.leak_posts import parse_csv, parse_ransomwarelive
from madoguchi.services import leak_feed, leak_sites

VICTIMS = [
    {
        "post_title": "ﾋﾐﾂ電機㈱",
        "group_name": "akira",
        "discovered": "2026-11-02 10:22:33.123456",
        "published": "2026-11-01 08:00:00",
        "post_url": "http://akiralexampleexampleexampleexampleexampleexampleexam.onion/p/1",
        "website": "himitsu-denki.example",
        "country": "jp",
        "description": "We took 120 GB: HR, finance.",
        "activity": "Manufacturing",
    },
    {
        "post_title": "OTHER ORG LIMITED",
        "group_name": "qilin",
        "discovered": "2026-10-20T00:00:00Z",
        "published": "",
        "post_url": "",
        "website": "",
        "country": "GB",
        "description": "",
        "activity": "",
    },
    {
        "post_title": "Himitsu Denko Inc.",
        "group_name": "play",
        "discovered": "2026-10-01",
        "published": "2026-10-01",
        "post_url": "",
        "website": "denko.example",
        "country": "US",
        "description": "",
        "activity": "",
    },
    {"group_name": "broken"},
]
GROUPS = [{"name": "akira", "description": "Akira", "locations": [{"fqdn": "akira.onion"}]}]


def test_ransomwarelive_and_csv_formats_are_read_with_problems_named() -> None:
    parsed = parse_ransomwarelive(json.dumps(VICTIMS).encode())
    assert [p.post_title for p in parsed.posts] == [
        "ﾋﾐﾂ電機㈱",
        "OTHER ORG LIMITED",
        "Himitsu Denko Inc.",
    ]
    first = parsed.posts[0]
    assert first.group_name == "akira" and first.country == "JP"
    assert (
        first.published is not None and first.published.isoformat() == "2026-11-01T08:00:00+00:00"
    )
    assert first.claimed_on == first.published
    assert parsed.problems == ["record 4: no victim name (post_title)"]
    groups = parse_ransomwarelive(json.dumps(GROUPS).encode())
    assert groups.posts == [] and groups.groups[0].locations == ("akira.onion",)
    csv_text = "victim,group,published,website\nひみつ電機株式会社,lynx,2026/11/03,\n,lynx,,\n"
    from_csv = parse_csv(csv_text.encode("cp932"))
    assert [p.post_title for p in from_csv.posts] == ["ひみつ電機株式会社"]
    assert from_csv.problems == ["line 3: no victim name (post_title)"]


def test_import_matches_the_hidden_victim_and_constituents_but_not_a_near_name(desk: Desk) -> None:
    world = build_world(desk)
    handler = actor(desk, world, "desk_handler")
    with desk.uow_factory() as uow:
        result = leak_sites.import_posts(
            uow, handler, parse_ransomwarelive(json.dumps(VICTIMS).encode())
        )
        again = leak_sites.import_posts(
            uow, handler, parse_ransomwarelive(json.dumps(VICTIMS).encode())
        )
        uow.commit()
    assert (result.read, result.new) == (3, 3)
    assert (again.new, again.updated, again.new_matches) == (0, 3, [])
    with desk.uow_factory() as uow:
        claims = leak_sites.case_claims(uow, handler, world.case_a)
        constituents = leak_sites.constituency_claims(uow, handler)
    assert [(c.group, c.title) for c in claims] == [("akira", "ﾋﾐﾂ電機㈱")]
    assert (
        claims[0].claimed_on is not None and claims[0].claimed_on.date().isoformat() == "2026-11-01"
    )
    assert claims[0].match.state is ReviewState.NEW
    by_org = {(c.organisation, c.group) for c in constituents}
    assert (VICTIM_NAME, "akira") in by_org and (OTHER_NAME, "qilin") in by_org
    assert all(c.group != "play" for c in claims + constituents), "Denko is not Denki"


def test_review_and_what_each_reporter_sees(desk: Desk) -> None:
    world = build_world(desk)
    handler = actor(desk, world, "desk_handler")
    vendor = actor(desk, world, "party_reporter")
    victim = actor(desk, world, "victim_reporter")
    with desk.uow_factory() as uow:
        leak_sites.import_posts(
            uow, handler, parse_ransomwarelive(json.dumps(VICTIMS[:1]).encode())
        )
        uow.commit()
    with desk.uow_factory() as uow:
        match = leak_sites.case_claims(uow, handler, world.case_a)[0].match
        assert match.id is not None
        assert leak_sites.case_claims(uow, vendor, world.case_a) == [], "not before review"
        with pytest.raises(PermissionDeniedError):
            leak_sites.review_match(
                uow, vendor, match.id, ReviewState.CONFIRMED, case_id=world.case_a
            )
        with pytest.raises(ValidationError):
            leak_sites.review_match(
                uow,
                handler,
                match.id,
                ReviewState.CONFIRMED,
                case_id=world.case_a,
                shared_with=[world.other_org],
            )
        leak_sites.review_match(
            uow,
            handler,
            match.id,
            ReviewState.CONFIRMED,
            case_id=world.case_a,
            shared_with=[world.vendor_org, world.victim_org],
        )
        uow.commit()
    with desk.uow_factory() as uow:
        for_vendor = leak_sites.case_claims(uow, vendor, world.case_a)
        for_victim = leak_sites.case_claims(uow, victim, world.case_a)
        uow.commit()
    # The vendor may not learn the hidden victim's name: group and date only.
    assert [(c.group, c.title, c.website) for c in for_vendor] == [("akira", None, None)]
    assert for_vendor[0].claimed_on is not None
    assert for_victim[0].title == "ﾋﾐﾂ電機㈱" and for_victim[0].website == "himitsu-denki.example"


def test_new_matches_are_mailed_to_the_desk_without_names(desk: Desk) -> None:
    world = build_world(desk)
    handler = actor(desk, world, "desk_handler")
    with desk.uow_factory() as uow:
        result = leak_sites.import_posts(
            uow, handler, parse_ransomwarelive(json.dumps(VICTIMS).encode())
        )
        uow.commit()
    mailer = RecordingMailer()
    leak_sites.send_match_notice(
        desk.uow_factory, mailer, "https://desk.example", {"match_ids": result.new_matches}
    )
    recipients = sorted(m.to[0] for m in mailer.sent)
    assert recipients == ["desk_admin@example.org", "desk_handler@example.org"]
    mail = mailer.sent[0]
    assert f"https://desk.example/cases/{world.case_a}#leaks" in mail.body
    assert "https://desk.example/desk/leaks" in mail.body
    assert VICTIM_NAME not in mail.body + mail.subject and "ひみつ" not in mail.body


class _Feed(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        if self.path == "/elsewhere":
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{self.server.server_port}/feed")  # type: ignore[attr-defined]
            self.end_headers()
            return
        if self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/feed")
            self.end_headers()
            return
        if self.headers.get("X-API-KEY") != "secret-key":
            self.send_response(401)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def feed_server() -> Iterator[str]:
    _Feed.body = json.dumps(VICTIMS[:1]).encode()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_the_feed_is_fetched_with_its_key_and_refuses_other_hosts(
    desk: Desk, feed_server: str
) -> None:
    world = build_world(desk)
    config = leak_feed.feed_config(
        {
            "MADOGUCHI_LEAK_FEED_URL": feed_server + "/moved",
            "MADOGUCHI_LEAK_FEED_KEY": "secret-key",
            "MADOGUCHI_LEAK_FEED_ALLOW_PRIVATE": "true",  # the test feed is on loopback
        }
    )
    assert config is not None
    result = leak_feed.fetch(desk.uow_factory, config)
    assert result.new == 1 and result.new_matches
    with desk.uow_factory() as uow:
        handler = actor(desk, world, "desk_handler")
        assert [c.group for c in leak_sites.case_claims(uow, handler, world.case_a)] == ["akira"]
    with pytest.raises(leak_feed.LeakFeedError, match="another host"):
        leak_feed.download(
            leak_feed.FeedConfig(feed_server + "/elsewhere", key="secret-key", allow_private=True)
        )
    with pytest.raises(leak_feed.LeakFeedError, match="401"):
        leak_feed.download(
            leak_feed.FeedConfig(feed_server + "/feed", key="wrong", allow_private=True)
        )
    assert leak_feed.feed_config({}) is None
