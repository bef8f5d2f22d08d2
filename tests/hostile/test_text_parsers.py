"""Arbitrary bytes and lines through the text parsers: they read or report, never crash."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.analyzers.devices import lines
from madoguchi.analyzers.ransomware.notetext import extract_note_text, pdf_to_text, rtf_to_text
from madoguchi.analyzers.textio import decode_bytes, iter_lines
from madoguchi.domain.errors import InputFormatError

BUDGET = settings(max_examples=200, deadline=None, derandomize=True, database=None)

# Bytes with the structure parsers look for mixed in, so mutations reach deep code.
MARKERS = [
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff",
    b"\x1f\x8b",
    b"\r\n",
    b"\n",
    b"\x00",
    "日本語のテキスト".encode("shift_jis"),
    "日本語".encode("utf-16-le"),
    b"<html><body>",
    b"<script>var a='abcdefghijk';</script>",
    b"{\\rtf1\\ansi ",
    b"{\\*\\generator x}",
    b"\\u12354?",
    b"\\'82\\'a0",
    b"%PDF-1.4\n",
    b"stream\n",
    b"endstream",
    b"/FlateDecode",
    b"(Hello \\(world\\)) Tj",
    b"<48656c6c6f> Tj",
    b"[(a) 12 (b)] TJ",
]
hostile_bytes = st.lists(
    st.one_of(st.binary(max_size=64), st.sampled_from(MARKERS)), max_size=24
).map(b"".join)

SYSLOG_PIECES = [
    "<34>",
    "<999999>",
    "1 ",
    "2024-02-30T25:61:61.123456+09:00 ",
    "2024-01-05T10:00:00Z ",
    "Jan  5 10:00:00 ",
    "Feb 31 99:99:99 2024 ",
    "host ",
    "sshd[123]: ",
    "Hostd: ",
    "info ",
    "- - ",
    '[meta a="b"] ',
    'devname="fg" srcip=10.0.0.1 action="deny" ',
    '"a","b""c",d',
    '"unterminated,',
    "\ufeff",
    "\x00",
]
hostile_line = st.lists(
    st.one_of(st.text(max_size=30), st.sampled_from(SYSLOG_PIECES)), max_size=12
).map("".join)


@BUDGET
@given(hostile_bytes)
def test_decoding_any_bytes_gives_text(data: bytes) -> None:
    text, encoding = decode_bytes(data)
    assert isinstance(text, str) and encoding


@BUDGET
@given(hostile_bytes, st.booleans(), st.integers(min_value=1, max_value=64))
def test_any_file_reads_line_by_line(data: bytes, compress: bool, max_line: int) -> None:
    long_lines: list[int] = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log"
        path.write_bytes(gzip.compress(data) if compress else data)
        read: list[tuple[int, str]] = []
        try:
            read.extend(iter_lines(path, on_long_line=long_lines.append, max_line=max_line))
        except InputFormatError:
            assert data.startswith(b"\x1f\x8b") and not compress, "only damaged gzip is refused"
    assert [number for number, _ in read] == list(range(1, len(read) + 1))
    assert all(len(text) <= max_line for _, text in read)
    assert set(long_lines) <= {number for number, _ in read}


@BUDGET
@given(hostile_line, st.none() | st.integers(min_value=1, max_value=9999))
def test_any_line_gets_a_header(line: str, year: int | None) -> None:
    header = lines.parse_header(line, year=year)
    assert isinstance(header.message, str)
    assert header.timestamp is None or header.timestamp.tzinfo is not None


@BUDGET
@given(hostile_line)
def test_timestamps_kv_and_csv_never_crash(line: str) -> None:
    stamp = lines.parse_timestamp(line)
    assert stamp is None or stamp.tzinfo is not None
    assert all(isinstance(v, str) for v in lines.parse_kv(line).values())
    row = lines.split_csv(line)
    assert row is None or all(isinstance(cell, str) for cell in row)


@BUDGET
@given(
    hostile_bytes, st.sampled_from(["", "note.txt", "note.html", "README.hta", "x.pdf", "a.rtf"])
)
def test_any_note_gives_text(data: bytes, name: str) -> None:
    note = extract_note_text(data, name)
    assert isinstance(note.all_text, str)
    assert note.format in {"text", "html", "rtf", "pdf"}


@BUDGET
@given(hostile_bytes)
def test_any_pdf_and_rtf_body(data: bytes) -> None:
    text, warnings = pdf_to_text(b"%PDF-1.4\n" + data)
    assert isinstance(text, str) and all(isinstance(w, str) for w in warnings)
    assert isinstance(rtf_to_text("{\\rtf1 " + data.decode("latin-1")), str)


def test_damaged_gzip_is_an_input_format_error(tmp_path: Path) -> None:
    # found by fuzz/textio.py: a truncated or corrupt gzip stream raised EOFError/zlib.error
    path = tmp_path / "auth.log.gz"
    good = gzip.compress(b"line one\n" * 1000)
    for damaged in (b"\x1f\x8b", good[: len(good) // 2]):
        path.write_bytes(damaged)
        with pytest.raises(InputFormatError, match="gzip"):
            list(iter_lines(path))
