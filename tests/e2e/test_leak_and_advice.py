"""In a real browser: the desk imports leak-site posts, checks a case's victim against
them, confirms the match, and shares an advice memo that the reporter then reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import LiveServer
from tests.world import PASSWORD, VICTIM_NAME, World, build_world

pytestmark = pytest.mark.browser

POSTS = [
    {
        "post_title": "ﾋﾐﾂ電機㈱",
        "group_name": "akira",
        "published": "2026-11-01 08:00:00",
        "website": "himitsu-denki.example",
    },
    {"post_title": "Himitsu Denko Inc.", "group_name": "play", "published": "2026-10-01"},
]


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()


def test_leak_check_confirmation_and_shared_memo(
    live_server: LiveServer, browser: Any, tmp_path: Path
) -> None:
    world: World = build_world(live_server.desk)
    base = live_server.url
    feed = tmp_path / "victims.json"
    feed.write_text(json.dumps(POSTS, ensure_ascii=False), encoding="utf-8")

    desk = browser.new_context(locale="en-US").new_page()
    _sign_in(desk, base, world.people["desk_handler"].email)
    desk.goto(base + "/desk/leaks")
    desk.set_input_files("form[action='/desk/leaks/import'] input[name=file]", str(feed))
    desk.click("form[action='/desk/leaks/import'] button[type=submit]")
    desk.wait_for_url("**/desk/leaks")
    assert "2 posts read, 2 new" in desk.content()

    case_url = f"{base}/cases/{world.case_a}"
    desk.goto(case_url)
    desk.click(f"form[action='/cases/{world.case_a}/leaks/check'] button")
    desk.wait_for_load_state()
    claims = desk.locator("#leaks .claim")
    assert claims.count() == 1, "Denko is not Denki"
    assert "Claimed on 2026-11-01 by akira" in claims.first.inner_text()
    review = claims.first.locator("form.review")
    review.locator("select[name=state]").select_option("confirmed")
    review.locator(f"input[name=shared_with][value='{world.vendor_org}']").check()
    review.locator("button[type=submit]").click()
    desk.wait_for_load_state()
    assert "Confirmed" in desk.locator("#leaks .claim").first.inner_text()

    composer = desk.locator("form.memo-composer")
    composer.locator("select[name=lang]").select_option("en")
    composer.locator("input[name=title]").fill("What to do next")
    composer.locator("textarea[name=intro]").fill("Keep the encrypted files and the logs.")
    composer.locator("input[name=sections][value='extortion-consultation/decryptor']").check()
    composer.locator("input[name=personal_data_facts]").check()
    composer.locator("button[type=submit]").click()
    desk.wait_for_url("**/advice/memos#memo-*")
    memo = desk.locator(".memo").first
    assert "Draft" in memo.inner_text() and "not legal advice" in memo.inner_text()
    memo.locator(f"input[name=shared_with][value='{world.vendor_org}']").check()
    memo.locator("form.share-memo button[type=submit]").click()
    desk.wait_for_load_state()
    assert "Shared" in desk.locator(".memo").first.inner_text()

    vendor = browser.new_context(locale="en-US").new_page()
    _sign_in(vendor, base, world.people["party_reporter"].email)
    vendor.goto(case_url)
    leaks = vendor.locator("#leaks").inner_text()
    assert "Claimed on 2026-11-01 by akira" in leaks and "not a confirmed breach" in leaks
    assert (
        "The desk has shared an advice memo: What to do next"
        in vendor.locator("#thread").inner_text()
    )
    vendor.click("#advice a")
    vendor.wait_for_load_state()
    body = vendor.locator(".memo").first.inner_text()
    assert "What to do next" in body and "Keep the encrypted files" in body
    assert "Personal Information Protection Commission" in body
    assert VICTIM_NAME not in vendor.content() and "ﾋﾐﾂ電機" not in vendor.content()
