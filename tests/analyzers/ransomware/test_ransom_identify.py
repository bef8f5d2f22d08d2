"""Family identification from every kind of clue a victim can give."""

from __future__ import annotations

from pathlib import Path

from tests.analyzers.ransomware.ransomnote_helpers import make_onion, make_tox

from madoguchi.analyzers.ransomware import Clues, contact_markers, identify, identify_listing
from madoguchi.knowledge.ransomware_kb import load_kb


def test_distinctive_note_name_alone_names_the_family() -> None:
    result = identify(note_name="C:\\Users\\Public\\akira_readme.txt")
    assert result.verdict == "akira"
    assert any("akira_readme.txt" in reason for reason in result.candidates[0].reasons)


def test_a_generic_readme_alone_is_unknown() -> None:
    result = identify(note_name="readme.txt")
    assert result.verdict == "unknown"
    assert result.explanation and "weak" in result.explanation[0]


def test_generic_note_text_with_a_tox_id_is_unknown() -> None:
    text = f"Your files are encrypted. Contact us in Tox: {make_tox(b'x')}"
    result = identify(note_text=text, note_name="README.txt")
    assert result.verdict == "unknown"
    assert any(o.type == "ioc:tox" for o in result.observables)


def test_phobos_style_name_names_the_variant_and_gives_victim_id_and_mail() -> None:
    name = "D:\\share\\budget.xlsx.id[1E857D00-3483].[restore@onionmail.org].8base"
    result = identify(file_names=[name])
    assert result.verdict == "8base"
    assert result.victim_id == "1E857D00"
    assert ("ioc:email", "restore@onionmail.org") in {(o.type, o.value) for o in result.observables}
    decryptor = result.decryptor()
    assert decryptor["available"] == "yes"


def test_an_unknown_phobos_variant_still_points_at_phobos() -> None:
    result = identify(file_names=["a.doc.id[0A0B0C0D-1234].[x@cock.li].zzqq"], note_name="info.hta")
    assert result.top is not None and result.top.family.id == "phobos"


def test_random_extension_family_with_matching_note_name_and_copycat_warning() -> None:
    files = ["Q3 report.docx.HLJkNskOq", "ledger.xlsx.HLJkNskOq", "HLJkNskOq.README.txt"]
    result = identify(file_names=files)
    assert result.verdict == "lockbit3"
    top = result.candidates[0]
    assert top.copycat_warning is not None
    assert "leaked LockBit 3.0 builder" in top.copycat_warning
    assert "may not be the LockBit 3.0 group" in top.copycat_warning


def test_a_builder_copycat_naming_itself_wins_and_is_flagged() -> None:
    note = "Your data are stolen and encrypted by SenSayQ. Download Tor Browser."
    result = identify(note_text=note, note_name="HLJkNskOq.README.txt")
    assert result.verdict == "sensayq"
    assert "leaked LockBit 3.0 builder" in (result.candidates[0].copycat_warning or "")
    assert "lockbit3" in [c.family.id for c in result.candidates]


def test_header_marker_of_an_encrypted_sample() -> None:
    result = identify(sample_head=b"FIDEL.CA" + bytes(200))
    assert result.verdict == "cuba"
    assert any("head" in reason for reason in result.candidates[0].reasons)


def test_footer_marker_combined_with_extension() -> None:
    result = identify(file_names=["x.doc.RYK"], sample_tail=bytes(64) + b"HERMES")
    assert result.verdict == "ryuk"


def test_known_onion_prefix_from_free_text_with_a_custom_kb(tmp_path: Path) -> None:
    onion = make_onion(b"portal")
    (tmp_path / "demo.yaml").write_text(
        "id: demo\nname: Demo\nconfidence: low\nactive: {from: '2024-01'}\n"
        "references: [https://example.org/demo]\n"
        f"contacts: {{tor: true, onion_prefixes: ['{onion[:12]}']}}\n",
        encoding="utf-8",
    )
    kb = load_kb([tmp_path])
    result = identify(free_text=f"they told us to go to http://{onion}/chat", kb=kb)
    assert result.verdict == "demo"


def test_contact_markers_link_notes_that_share_a_channel() -> None:
    tox = make_tox(b"shared")
    first = Clues(note_text=f"write to tox {tox} or alpha@onionmail.org")
    second = Clues(note_text=f"TOX: {tox.lower()}\nmail: beta@onionmail.org")
    shared = contact_markers(first) & contact_markers(second)
    assert shared == {f"ioc:tox:{tox}"}


def test_pasted_dir_listing() -> None:
    listing = """ Directory of C:\\Data

2024/05/01  10:12            12,288 customers.xlsx.akira
2024/05/01  10:12             2,041 akira_readme.txt
2024/05/01  10:12    <DIR>          old
"""
    result = identify_listing(listing)
    assert result.verdict == "akira"
    assert result.confidence in {"medium", "high"}


def test_ls_listing_of_an_esxi_datastore() -> None:
    listing = """-rw-------    1 root     root     42949672960 Feb  3 11:02 web01-flat.vmdk.args
-rw-------    1 root     root            8684 Feb  3 11:02 web01.vmx.args
-rw-r--r--    1 root     root            1200 Feb  3 11:02 ransom.html
"""
    result = identify_listing(listing)
    assert result.verdict == "esxiargs"


def test_japanese_note_vocabulary_counts_as_a_note_but_not_as_a_family() -> None:
    result = identify(
        note_text="ファイルは暗号化されました。復号には連絡してください。", note_name="README.txt"
    )
    assert result.verdict == "unknown"


def test_result_document_is_plain_data() -> None:
    data = identify(note_name="akira_readme.txt").as_dict()
    assert data["verdict"] == "akira"
    assert set(data["candidates"][0]) == {
        "family",
        "name",
        "aliases",
        "score",
        "reasons",
        "copycat_warning",
    }


def test_victim_id_shapes() -> None:
    from madoguchi.analyzers.ransomware.identify import find_victim_id

    assert find_victim_id("Your personal DECRYPTION ID: 8F2A61C0D3B94E57") == "8F2A61C0D3B94E57"
    assert find_victim_id("Contact us.\nID: a1b2c3d4e5f6a7b8c9\n") == "a1b2c3d4e5f6a7b8c9"
    block = "-----BEGIN PERSONAL KEY-----\nQUJDREVGR0hJSktMTU5P\nUFFSU1RVVldYWVo0\n-----END-----"
    assert find_victim_id(block) == "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0"
    # Words are not ids: "identification" must not yield "entification".
    assert find_victim_id("Provide identification of your company to the team") is None


def test_us_dir_listing_and_plain_names() -> None:
    from madoguchi.analyzers.ransomware.identify import listing_names

    listing = (
        " 05/01/2024  10:12 AM            12,288 customers.xlsx.akira\n"
        "payroll.pdf.akira\n"
        "C:\\Users\\kim\\Desktop\\akira_readme.txt\n"
    )
    assert listing_names(listing) == [
        "customers.xlsx.akira",
        "payroll.pdf.akira",
        "akira_readme.txt",
    ]
