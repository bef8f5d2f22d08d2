"""Text extraction from notes in every format and encoding, without running them."""

from __future__ import annotations

import zlib

from madoguchi.analyzers.ransomware.notetext import extract_note_text


def test_utf16_and_shift_jis_text() -> None:
    text = "ファイルは暗号化されました。復号するには連絡してください。"
    for data in (text.encode("utf-16"), text.encode("cp932")):
        note = extract_note_text(data, "README.txt")
        assert note.text == text


def test_html_hta_keeps_visible_text_and_script_strings_apart() -> None:
    markup = """<html><head><title>Note</title>
<HTA:APPLICATION ID="x"/><style>body{color:red}</style>
<script>var u = "contact via mail helpdesk@example.org today"; alert(u);</script></head>
<body><h1>Your files are encrypted</h1><p>Visit <a href="http://abc.example.com/">portal</a></p>
</body></html>"""
    note = extract_note_text(markup.encode(), "info.hta")
    assert note.format == "html"
    assert "Your files are encrypted" in note.text
    assert "color:red" not in note.text and "alert" not in note.text
    assert "helpdesk@example.org" in note.script_text
    assert "http://abc.example.com/" in note.all_text


def test_rtf_control_words_are_stripped_and_escapes_decoded() -> None:
    rtf = (
        r"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}\f0 All your files are "
        r"encrypted\par Caf\'e9 \u26263?\u21495? mail: a@b.example.com}"
    )
    note = extract_note_text(rtf.encode("latin-1"), "note.rtf")
    assert note.format == "rtf"
    assert "Arial" not in note.text
    assert "All your files are encrypted\nCafé 暗号 mail: a@b.example.com" in note.text


def minimal_pdf(lines: list[str]) -> bytes:
    ops = "BT /F1 12 Tf 72 720 Td " + " T* ".join(f"({line}) Tj" for line in lines) + " ET"
    stream = zlib.compress(ops.encode("latin-1"))
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Length "
        + str(len(stream)).encode()
        + b" /Filter /FlateDecode >>\nstream\n"
        + stream
        + b"\nendstream\nendobj\n%%EOF\n"
    )


def test_pdf_text_from_flate_stream() -> None:
    note = extract_note_text(
        minimal_pdf(["Critical breach detected", "Your id \\(A1\\)"]), "CriticalBreachDetected.pdf"
    )
    assert note.format == "pdf"
    assert note.text.splitlines() == ["Critical breach detected", "Your id (A1)"]
    assert note.warnings == []


def test_pdf_without_text_warns() -> None:
    note = extract_note_text(b"%PDF-1.4\n%%EOF\n", "x.pdf")
    assert note.text == ""
    assert note.warnings and "no text" in note.warnings[0]
