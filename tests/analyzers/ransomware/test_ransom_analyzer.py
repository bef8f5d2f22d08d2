"""The RansomNoteAnalyzer on note files as they arrive at the desk."""

from __future__ import annotations

from pathlib import Path

from tests.analyzers.ransomware.ransomnote_helpers import make_onion, make_tox, run_note

from madoguchi.analyzers.ransomware import EXAMPLES
from madoguchi.domain.findings import Finding, Observable, Section, Severity


def test_examples_produce_output() -> None:
    for path in EXAMPLES:
        sniffed, outputs, _ = run_note(path)
        assert sniffed and outputs, path


def test_akira_note_section_finding_and_observables(tmp_path: Path) -> None:
    onion = make_onion(b"chat")
    note = tmp_path / "akira_readme.txt"
    note.write_text(f"Your network is encrypted by akira.\nChat: {onion}\n", encoding="utf-8")
    sniffed, outputs, ctx = run_note(note)
    assert sniffed
    section = next(o for o in outputs if isinstance(o, Section))
    assert section.name == "ransomware" and section.data["verdict"] == "akira"
    assert section.data["candidates"][0]["family"] == "akira"
    assert f"ioc:onion:{onion}" in section.data["contact_markers"]
    finding = next(o for o in outputs if isinstance(o, Finding))
    assert finding.rule_id == "ransomware-note-akira"
    assert finding.severity is Severity.CRITICAL
    assert finding.attack == ("T1486",)
    assert finding.details["ja"]["title"].startswith("ランサムノート")
    assert Observable("ioc:onion", onion, finding.evidence and "") not in outputs  # context kept
    assert any(isinstance(o, Observable) and o.value == onion and o.context for o in outputs)
    assert ctx.warnings == []


def test_utf16_note_with_unknown_family(tmp_path: Path) -> None:
    tox = make_tox(b"n")
    note = tmp_path / "HOW_TO_GET_DATA.txt"
    note.write_bytes(f"All your files are encrypted.\r\nTox: {tox}\r\n".encode("utf-16"))
    sniffed, outputs, _ = run_note(note)
    assert sniffed
    finding = next(o for o in outputs if isinstance(o, Finding))
    assert finding.rule_id == "ransomware-note-unknown"
    assert finding.severity is Severity.HIGH
    assert any(
        isinstance(o, Observable) and o.type == "ioc:tox" and o.value == tox for o in outputs
    )


def test_shift_jis_japanese_note_is_sniffed_from_content(tmp_path: Path) -> None:
    note = tmp_path / "お読みください.txt"
    note.write_bytes(
        "重要: あなたのファイルは暗号化されました。復号するには "
        "recover.example@onionmail.org に連絡してください。".encode("cp932")
    )
    sniffed, outputs, _ = run_note(note)
    assert sniffed
    assert any(
        isinstance(o, Observable) and o.value == "recover.example@onionmail.org" for o in outputs
    )


def test_an_ordinary_readme_is_not_reported(tmp_path: Path) -> None:
    readme = tmp_path / "readme.txt"
    readme.write_text("Build with make. See docs/ for the manual.\n", encoding="utf-8")
    sniffed, outputs, _ = run_note(readme)
    assert outputs == []
    assert sniffed  # a generic note name is worth a look, but nothing is claimed


def test_copycat_note_carries_the_warning_in_finding(tmp_path: Path) -> None:
    note = tmp_path / "Xk3j9aQ2b.README.txt"
    note.write_text(
        "~~~ You have been attacked. Your data are stolen and encrypted ~~~\n"
        f"Tor: {make_onion(b'lb')}\nYour personal identifier: 5E3AF00B12C4D5E6\n",
        encoding="utf-8",
    )
    _, outputs, _ = run_note(note)
    finding = next(o for o in outputs if isinstance(o, Finding))
    assert finding.rule_id == "ransomware-note-lockbit3"
    assert "leaked LockBit 3.0 builder" in finding.description
    assert finding.details["copycat_warning"]
    assert any(
        isinstance(o, Observable)
        and o.type == "ransomware:victim-id"
        and o.value == "5E3AF00B12C4D5E6"
        for o in outputs
    )
