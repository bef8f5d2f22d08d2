"""Advice: playbooks chosen for the case (category, products, identified family) as
checklists, and advice memos in Japanese and English, as HTML and PDF, shared with the
reporter as a message with the PDF attached."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.services.leak_world import actor, upload_and_analyse
from tests.world import World, build_world

from madoguchi.bootstrap import Desk
from madoguchi.domain.case import Category, Purpose
from madoguchi.domain.errors import NotFoundError, PermissionDeniedError, ValidationError
from madoguchi.knowledge.playbooks import scope_statement
from madoguchi.services import advice, cases, evidence, messages

AKIRA_NOTE = (
    Path(__file__).resolve().parents[2]
    / "src/madoguchi/analyzers/ransomware/examples/akira_readme.txt"
)


def _esxi_case(desk: Desk, world: World) -> int:
    vendor = actor(desk, world, "party_reporter")
    with desk.uow_factory() as uow:
        case = cases.open_case(
            uow,
            vendor,
            cases.NewCase(
                title="VMs encrypted on ESXi",
                purpose=Purpose.SUPPORT,
                categories=(Category.RANSOMWARE.value,),
                products=("VMware ESXi 7.0 U3",),
                victim_org_id=world.victim_org,
            ),
        )
        uow.commit()
        assert case.id is not None
        return case.id


def _has_glyphs(pdf: bytes, text: str) -> bool:
    """True when the embedded font's ToUnicode map covers every character of ``text``
    (fpdf2 maps each glyph it used back to its code point, ``<gid> <30DB>``)."""
    raw = pdf.decode("latin-1").upper()
    return all(f"> <{ord(ch):04X}>" in raw for ch in text)


def test_an_esxi_ransomware_case_with_an_identified_family_gets_the_esxi_playbook(
    desk: Desk,
) -> None:
    world = build_world(desk)
    case_id = _esxi_case(desk, world)
    upload_and_analyse(desk, world, AKIRA_NOTE.read_bytes(), "akira_readme.txt", case_id=case_id)
    handler = actor(desk, world, "desk_handler")
    with desk.uow_factory() as uow:
        case = cases.load_case(uow, handler, case_id)
        assert advice.case_families(uow, case) == ["akira"]
        views = advice.case_playbooks(uow, handler, case_id, "en")
    ids = [v.playbook.id for v in views]
    assert ids[0] == "ransomware-esxi"
    assert "extortion-consultation" in ids
    assert "edge-appliance-compromise" not in ids and "business-email-compromise" not in ids
    esxi = views[0]
    assert {"no-reboot", "copy-logs"} <= {i.item_id for i in esxi.items}
    assert esxi.done == 0


def test_checklist_ticks_are_stored_per_case(desk: Desk) -> None:
    world = build_world(desk)
    case_id = _esxi_case(desk, world)
    handler = actor(desk, world, "desk_handler")
    vendor = actor(desk, world, "party_reporter")
    with desk.uow_factory() as uow:
        advice.set_checklist(uow, handler, case_id, "ransomware-esxi", ["no-reboot", "copy-logs"])
        uow.commit()
    with desk.uow_factory() as uow:
        advice.set_checklist(uow, handler, case_id, "ransomware-esxi", ["copy-logs"])
        uow.commit()
    with desk.uow_factory() as uow:
        esxi = next(
            v
            for v in advice.case_playbooks(uow, handler, case_id, "ja")
            if v.playbook.id == "ransomware-esxi"
        )
        other_case = advice.case_playbooks(uow, handler, world.case_a, "ja")
        with pytest.raises(ValidationError):
            advice.set_checklist(uow, handler, case_id, "ransomware-esxi", ["no-such-item"])
        with pytest.raises(PermissionDeniedError):
            advice.set_checklist(uow, vendor, case_id, "ransomware-esxi", [])
    assert {i.item_id for i in esxi.items if i.checked} == {"copy-logs"}
    assert all(not i.checked for v in other_case for i in v.items)


@pytest.mark.parametrize(
    ("lang", "heading", "decryptor_words"),
    [
        ("ja", "ホストを再起動しない", "一部のバージョン"),
        ("en", "Do not restart the host", "some versions only"),
    ],
)
def test_memos_in_japanese_and_english_as_html_and_pdf(
    desk: Desk, lang: str, heading: str, decryptor_words: str
) -> None:
    world = build_world(desk)
    case_id = _esxi_case(desk, world)
    upload_and_analyse(desk, world, AKIRA_NOTE.read_bytes(), "akira_readme.txt", case_id=case_id)
    handler = actor(desk, world, "desk_handler")
    with desk.uow_factory() as uow:
        memo = advice.compose_memo(
            uow,
            handler,
            case_id,
            advice.NewMemo(
                lang=lang,
                sections=("ransomware-esxi/keep-running", "extortion-consultation/decryptor"),
                intro="<b>Keep</b> the *hosts* running.",
                personal_data_facts=True,
            ),
        )
        uow.commit()
        pdf = advice.memo_pdf(uow, handler, memo)
    page = memo.html
    assert scope_statement(lang).replace("'", "&#x27;") in page
    assert heading in page and decryptor_words in page and "Akira" in page
    assert "<b>Keep</b>" not in page and "&lt;b&gt;Keep&lt;/b&gt;" in page
    assert "<em>hosts</em>" in page
    assert "{{decryptor_availability}}" not in page
    assert "ppc.go.jp" in page
    assert "□" in page
    assert pdf.startswith(b"%PDF-") and b"/FontFile2" in pdf
    assert _has_glyphs(pdf, heading.replace(" ", ""))


def test_sharing_a_memo_sends_a_message_with_the_pdf_to_the_reporter_only(desk: Desk) -> None:
    world = build_world(desk)
    case_id = _esxi_case(desk, world)
    handler = actor(desk, world, "desk_handler")
    vendor = actor(desk, world, "party_reporter")
    other = actor(desk, world, "other_reporter")
    with desk.uow_factory() as uow:
        memo = advice.compose_memo(
            uow, handler, case_id, advice.NewMemo(lang="ja", sections=("ransomware-esxi/collect",))
        )
        uow.commit()
    assert memo.id is not None
    with desk.uow_factory() as uow:
        assert advice.visible_memos(uow, vendor, case_id) == [], "a draft stays with the desk"
        with pytest.raises(ValidationError):
            advice.share_memo(uow, desk.store, handler, case_id, memo.id, [world.other_org])
        message = advice.share_memo(uow, desk.store, handler, case_id, memo.id, [world.vendor_org])
        uow.commit()
    with desk.uow_factory() as uow:
        shown = advice.visible_memos(uow, vendor, case_id)
        thread = messages.visible_messages(uow, vendor, case_id)
        files = evidence.visible_evidence(uow, vendor, case_id)
        uow.commit()
        with pytest.raises(NotFoundError):
            advice.visible_memos(uow, other, case_id)
    assert [m.id for m in shown] == [memo.id]
    shared = next(v for v in thread if v.message.id == message.id)
    assert scope_statement("ja") in shared.message.body
    pdf = next(f for f in files if f.id in shared.attachment_ids)
    assert pdf.filename.endswith("-ja.pdf")
    assert desk.store.path(pdf.sha256).read_bytes().startswith(b"%PDF-")
