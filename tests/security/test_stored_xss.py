"""Stored XSS sweep: a script payload in every user-supplied field the UI renders.

Planted: organisation and user names, case title and description, messages of both
sides, a hearing answer, an evidence file name, log lines that become findings and
timeline rows (an auth.log analysed by the inline queue) and a leak-site post (title,
group, description), which the attackers write themselves.

Each field carries its own marker in front of two payloads (a ``<script>`` element and
an attribute break-out ``"><img onerror>``). Every page is loaded in chromium with the
Content-Security-Policy *bypassed*, so a payload that reached the HTML unescaped would
run and set ``window.__xss``; the raw HTML must also show the escaped form of each
marker where the field is rendered and never the raw payload. Either check alone fails
when escaping breaks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from tests.conftest import LiveServer
from tests.world import PASSWORD, World, build_world, store_bytes

from madoguchi.bootstrap import Desk
from madoguchi.domain.case import Category
from madoguchi.domain.organisation import OrgKind, Role
from madoguchi.intel.leak_posts import parse_ransomwarelive
from madoguchi.services import (
    accounts,
    analysis_runs,
    cases,
    evidence,
    hearing,
    leak_sites,
    messages,
)

pytestmark = pytest.mark.browser

SCRIPT = "<script>window.__xss=1</script>"
ATTRIBUTE = '"><img src=x onerror=window.__xss=1>'
# A file name cannot hold "/", so it carries only the attribute payload.
FILE_NAME = f"XSSFILE{ATTRIBUTE}.log"
RAW = re.compile(r"<script>window\.__xss|<img src=x onerror", re.IGNORECASE)


def planted(marker: str) -> str:
    return f"{marker}{SCRIPT}{marker}{ATTRIBUTE}"


def escaped(marker: str) -> str:
    """What the page must show: the marker before an escaped ``<script>``."""
    return f"{marker}&lt;script&gt;window.__xss=1&lt;/script&gt;"


def auth_log(marker: str) -> bytes:
    lines = [
        f"Nov 20 10:00:0{i} web01 sshd[42]: Failed password for invalid user "
        f"{marker}{SCRIPT} from 203.0.113.5 port 5{i}22 ssh2"
        for i in range(8)
    ]
    lines.append(
        f"Nov 20 10:01:00 web01 sshd[42]: Accepted password for {marker}{SCRIPT} "
        "from 203.0.113.5 port 5999 ssh2"
    )
    return ("\n".join(lines) + "\n").encode()


@dataclass
class Planted:
    case_id: int
    evidence_id: int
    reporter_email: str
    markers: dict[str, set[str]] = field(default_factory=dict)


def plant(desk: Desk, world: World) -> Planted:
    with desk.uow_factory() as uow:
        org = accounts.create_organisation(uow, None, planted("XSSORG"), OrgKind.VICTIM)
        user = accounts.create_user(
            uow, None, "xss@example.org", planted("XSSUSER"), PASSWORD, org, Role.REPORTER
        )
        reporter = accounts.actor_for(uow, user)
        handler_user = uow.users.get(world.people["desk_handler"].user_id)
        assert handler_user is not None
        handler = accounts.actor_for(uow, handler_user)
        case = cases.open_case(
            uow,
            reporter,
            cases.NewCase(
                title=planted("XSSTITLE"),
                description=planted("XSSDESC"),
                categories=(Category.OTHER.value,),
            ),
        )
        assert case.id is not None and org.id is not None
        messages.post_message(uow, reporter, case.id, planted("XSSMSGREP"))
        messages.post_message(uow, handler, case.id, planted("XSSMSGDESK"), shared_with=[org.id])
        hearing.open_to_reporter(uow, handler, case.id, True)
        hearing.save_answers(uow, reporter, case.id, {"common.noticed_how": planted("XSSHEAR")})
        attached = evidence.attach_evidence(
            uow, desk.store, reporter, case.id, store_bytes(desk, b"plain\n"), FILE_NAME
        )
        log = evidence.attach_evidence(
            uow, desk.store, reporter, case.id, store_bytes(desk, auth_log("XSSLOG")), "auth.log"
        )
        # A leak-site feed is written by the attackers themselves.
        post = {
            "post_title": planted("XSSLEAK"),
            "group_name": planted("XSSGROUP"),
            "discovered": "2026-11-02 10:22:33",
            "post_url": "http://leak.example/p/1",
            "website": "victim.example",
            "country": "jp",
            "description": planted("XSSLEAKDESC"),
        }
        leak_sites.import_posts(uow, handler, parse_ransomwarelive(json.dumps([post]).encode()))
        uow.commit()
        assert attached.evidence.id is not None
        queued = [attached.evidence, log.evidence]
        case_id, evidence_id = case.id, attached.evidence.id
    analysis_runs.queue_analysis(desk.queue, queued)
    assert desk.inline_queue is not None
    desk.inline_queue.run_pending()
    return Planted(case_id, evidence_id, "xss@example.org")


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()


def _visit(page: Any, url: str) -> str:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.wait_for_load_state("load")
    raw: str = response.text()
    assert page.evaluate("() => window.__xss") is None, f"a payload ran on {url}"
    assert not RAW.search(raw), f"an unescaped payload in the HTML of {url}"
    return raw


def test_no_planted_payload_runs_or_reaches_the_html(live_server: LiveServer, browser: Any) -> None:
    world = build_world(live_server.desk)
    seeded = plant(live_server.desk, world)
    base, case = live_server.url, seeded.case_id
    # What each page must show escaped: proof that the field is rendered there.
    case_page = {"XSSTITLE", "XSSDESC", "XSSMSGREP", "XSSMSGDESK", "XSSORG", "XSSUSER", "XSSLOG"}
    pages = {
        "desk": {
            "/desk/cases": {"XSSTITLE"},
            f"/cases/{case}": case_page,
            f"/cases/{case}/hearing": {"XSSHEAR"},
            f"/evidence/{seeded.evidence_id}": set(),
            "/desk/leaks": {"XSSLEAK", "XSSGROUP"},
        },
        "reporter": {
            "/cases": {"XSSTITLE"},
            f"/cases/{case}": case_page,
            f"/cases/{case}/hearing": {"XSSHEAR"},
            f"/evidence/{seeded.evidence_id}": set(),
            "/account": {"XSSUSER"},
        },
    }
    emails = {"desk": world.people["desk_handler"].email, "reporter": seeded.reporter_email}
    missing = []
    for who, visits in pages.items():
        context = browser.new_context(locale="en-US", bypass_csp=True)
        page = context.new_page()
        _sign_in(page, base, emails[who])
        for path, markers in visits.items():
            raw = _visit(page, base + path)
            missing += [f"{who} {path}: {m}" for m in sorted(markers) if escaped(m) not in raw]
            shows_file = path.startswith("/evidence/") or path == f"/cases/{case}"
            if shows_file and not re.search(r"XSSFILE(&#34;|&quot;)&gt;&lt;img", raw):
                missing.append(f"{who} {path}: the evidence file name")
        context.close()
    assert missing == [], "fields not shown escaped where expected:\n" + "\n".join(missing)


def test_the_check_would_see_a_payload_that_runs(live_server: LiveServer, browser: Any) -> None:
    """The browser check is live: with CSP bypassed an inline script does run."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(live_server.url + "/login")
    page.set_content(f"<html><body>{SCRIPT}</body></html>")
    assert page.evaluate("() => window.__xss") == 1
    context.close()
