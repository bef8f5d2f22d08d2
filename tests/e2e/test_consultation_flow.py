"""The desk's main workflow in a real browser: a vendor reports for a hidden victim,
the desk runs the hearing and the support plan, and answers."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import LiveServer
from tests.world import PASSWORD, World, build_world

pytestmark = pytest.mark.browser

VICTIM = "株式会社みえない物流"
NOTE = (
    "!!! YOUR FILES ARE ENCRYPTED !!!\n"
    "All your files have been encrypted. To decrypt them, contact us through our chat:\n"
    "http://abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcd.onion/\n"
    "Do not rename encrypted files. Do not try to decrypt them with third-party software.\n"
)


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()


def _files(tmp_path: Path) -> tuple[Path, Path]:
    note = tmp_path / "README_TO_DECRYPT.txt"
    note.write_text(NOTE, encoding="utf-8")
    logs = tmp_path / "logs.zip"
    with zipfile.ZipFile(logs, "w") as archive:
        archive.writestr("esxi/hostd.log", "2026-11-20T01:00:00Z info hostd[1] VM powered off\n")
        archive.writestr(
            "esxi/shell.log", "2026-11-20T01:01:00Z shell[2]: esxcli vm process list\n"
        )
    return note, logs


def test_vendor_report_hearing_plan_and_answer(
    live_server: LiveServer, browser: Any, tmp_path: Path
) -> None:
    world: World = build_world(live_server.desk)
    base = live_server.url
    note, logs = _files(tmp_path)
    vendor_ctx = browser.new_context(locale="en-US")
    vendor = vendor_ctx.new_page()
    _sign_in(vendor, base, world.people["party_reporter"].email)

    # The vendor reports on behalf of a victim that must stay anonymous.
    vendor.goto(base + "/report")
    vendor.select_option("select[name=reporter_kind]", "security_vendor")
    vendor.check("input[name=on_behalf]")
    vendor.fill("input[name=victim_name]", VICTIM)
    vendor.check("input[name=hide_victim]")
    vendor.fill("input[name=title]", "Ransomware on our customer's ESXi hosts")
    vendor.check("input[name=categories][value=ransomware]")
    vendor.fill("input[name=products]", "VMware ESXi 7.0")
    vendor.fill(
        "textarea[name=description]",
        "All VMs are encrypted. Please write our incident report for the management.",
    )
    vendor.set_input_files("input[name=files]", [str(note), str(logs)])
    vendor.click("form.report button[type=submit]")
    vendor.wait_for_url("**/cases/*?submitted=1")
    case_url = vendor.url.split("?")[0]
    assert "Reference number: MDG-" in vendor.content()
    # The incident-report request got the standard out-of-scope reply, in the plan.
    plan = vendor.locator("#plan").inner_text()
    assert "incident report" in plan.lower() and "Not provided" in plan
    assert VICTIM not in vendor.content()
    evidence = vendor.locator("#evidence").inner_text()
    assert "README_TO_DECRYPT.txt" in evidence and "ransom-note" in evidence
    assert "2 files inside" in evidence

    # The desk sees the case at the top of its queue and runs the hearing.
    desk_ctx = browser.new_context(locale="en-US")
    desk = desk_ctx.new_page()
    _sign_in(desk, base, world.people["desk_handler"].email)
    desk.goto(base + "/desk/cases")
    first_row = desk.locator("table.cases tbody tr").first
    assert "Ransomware on our customer" in first_row.inner_text()
    first_row.locator("a").first.click()
    desk.wait_for_url(case_url)
    assert VICTIM in desk.content()  # the desk knows who the victim is

    desk.goto(case_url + "/hearing")
    desk.check("input[name='q.ransomware.backups_intact'][value=no]")
    desk.fill("input[name='q.ransomware.extension']", ".locked")
    desk.click("form.hearing button[type=submit]")
    assert "Saved (2 answers changed)" in desk.content()

    # The support plan is recommended with reasons, then accepted.
    desk.goto(case_url)
    desk.click("form[action$='/plan/recommend'] button")
    desk.wait_for_url(case_url + "#plan")
    proposals = desk.locator("#plan").inner_text()
    assert "Ransomware family identification" in proposals and "Proposed" in proposals
    assert "ransom note" in proposals.lower()  # the reason names the attached note
    desk.click("form[action$='/plan/accept'] button")
    desk.wait_for_url(case_url + "#plan")
    assert "Planned" in desk.locator("#plan").inner_text()

    # A message shared with the vendor.
    desk.fill(
        "form.message-form textarea[name=body]", "We are identifying the family from the note."
    )
    desk.check("form.message-form input[name=visibility][value=shared]")
    desk.check(f"form.message-form input[name=shared_with][value='{world.vendor_org}']")
    desk.click("form.message-form button[type=submit]")
    desk.wait_for_url(case_url + "#thread")

    # The vendor sees the accepted plan and the message, and never the victim's name.
    vendor.goto(case_url)
    content = vendor.content()
    assert "Ransomware family identification" in content and "Planned" in content
    assert "We are identifying the family from the note." in content
    assert VICTIM not in content
    vendor.goto(case_url + "/hearing")
    assert VICTIM not in vendor.content()
    vendor_ctx.close()
    desk_ctx.close()
