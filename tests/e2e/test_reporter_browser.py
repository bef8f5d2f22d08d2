"""A reporter signs in with a real browser, switches to Japanese, sees only their case."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import LiveServer
from tests.world import PASSWORD, VICTIM_NAME, build_world

pytestmark = pytest.mark.browser


def test_reporter_signs_in_switches_to_japanese_and_sees_only_their_case(
    live_server: LiveServer, browser: Any
) -> None:
    world = build_world(live_server.desk)
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Sign in"
    page.fill("input[name=email]", world.people["party_reporter"].email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/cases")
    assert page.locator("h1").inner_text() == "My cases"

    page.click("button[data-lang=ja]")
    page.wait_for_url("**/cases")
    assert page.locator("h1").inner_text() == "自組織の案件"
    assert page.locator("html").get_attribute("lang") == "ja"
    rows = page.locator("table.cases tbody tr[data-reference]")
    assert rows.count() == 1
    assert "Encrypted servers at a customer" in rows.first.inner_text()
    assert world.other_case_title not in page.content()

    rows.first.locator("a").first.click()
    page.wait_for_url(f"**/cases/{world.case_a}")
    body = page.content()
    assert "非開示" in body  # the hidden victim is shown as "not disclosed"
    assert VICTIM_NAME not in body
    assert world.internal_note not in body and world.shared_message in body

    page.goto(f"{live_server.url}/cases/{world.case_b}")
    assert "404" in page.locator("h1").inner_text()
    context.close()
