"""Evidence kinds detected from content, never from the file name alone.

The kind strings are what analyzers list in ``accepts``.
"""

from __future__ import annotations

import codecs

EVTX = "evtx"
ZIP = "zip"
SEVEN_ZIP = "7z"
GZIP = "gzip"
TAR = "tar"
PE = "pe"
ELF = "elf"
PDF = "pdf"
RTF = "rtf"
HTML = "html"
XML = "xml"
JSON = "json"
JSONL = "jsonl"
CSV = "csv"
TEXT = "text"
SQLITE = "sqlite"
DISK_IMAGE = "disk-image"
BINARY = "binary"

ARCHIVES = frozenset({ZIP, SEVEN_ZIP, GZIP, TAR})

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"ElfFile\x00", EVTX),
    (b"PK\x03\x04", ZIP),
    (b"PK\x05\x06", ZIP),
    (b"7z\xbc\xaf\x27\x1c", SEVEN_ZIP),
    (b"\x1f\x8b", GZIP),
    (b"MZ", PE),
    (b"\x7fELF", ELF),
    (b"%PDF-", PDF),
    (b"{\\rtf", RTF),
    (b"SQLite format 3\x00", SQLITE),
    (b"EVF\x09\x0d\x0a\xff\x00", DISK_IMAGE),  # EWF / E01
    (b"KDMV", DISK_IMAGE),  # VMDK sparse
    (b"QFI\xfb", DISK_IMAGE),  # QCOW2
    (b"vhdxfile", DISK_IMAGE),
    (b"conectix", DISK_IMAGE),  # VHD (dynamic disks carry the footer copy first)
)

_TEXT_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def detect_kind(head: bytes) -> str:
    """Guess the kind of a file from its first bytes (64 KiB is plenty)."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if len(head) > 262 and head[257:262] == b"ustar":
        return TAR
    if b"<<< Oracle VM VirtualBox Disk Image >>>" in head[:64]:
        return DISK_IMAGE
    text = _as_text(head)
    if text is None:
        return BINARY
    return _text_kind(text)


def _as_text(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return head[:4096].decode("utf-16", errors="replace")
    sample = head[:8192]
    if not sample:
        return ""
    if b"\x00" in sample:
        # UTF-16 without BOM: every other byte is zero for ASCII-range text.
        zeros_odd = sample[1::2].count(0)
        if zeros_odd > len(sample) // 4:
            return sample.decode("utf-16-le", errors="replace")
        return None
    for encoding in ("utf-8", "cp932"):
        try:
            return sample.decode(encoding)
        except UnicodeDecodeError as error:
            # A multi-byte character cut at the end of the sample is fine.
            if error.start >= len(sample) - 4:
                return sample[: error.start].decode(encoding, errors="replace")
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return None if controls > len(sample) // 20 else sample.decode("latin-1")


def _text_kind(text: str) -> str:
    stripped = text.lstrip("\ufeff \t\r\n")
    lower = stripped[:512].lower()
    if lower.startswith(("<!doctype html", "<html", "<hta:")) or "<html" in lower[:256]:
        return HTML
    if stripped.startswith("<"):
        return XML
    if stripped.startswith(("{", "[")):
        first_line = stripped.split("\n", 1)[0].strip()
        if stripped.startswith("{") and first_line.endswith("}") and "\n{" in stripped:
            return JSONL
        return JSON
    first = stripped.split("\n", 1)[0]
    if first.count(",") >= 3 or first.count("\t") >= 3:
        return CSV
    return TEXT
