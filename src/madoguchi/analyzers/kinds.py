"""Evidence kinds detected from content, never from the file name alone.

The kind strings are what analyzers list in ``accepts``.
"""

from __future__ import annotations

import codecs
import re

EVTX = "evtx"
ZIP = "zip"
SEVEN_ZIP = "7z"
GZIP = "gzip"
BZIP2 = "bzip2"
XZ = "xz"
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

ARCHIVES = frozenset({ZIP, SEVEN_ZIP, GZIP, BZIP2, XZ, TAR})

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"ElfFile\x00", EVTX),
    (b"PK\x03\x04", ZIP),
    (b"PK\x05\x06", ZIP),
    (b"7z\xbc\xaf\x27\x1c", SEVEN_ZIP),
    (b"\x1f\x8b", GZIP),
    (b"\xfd7zXZ\x00", XZ),
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
    (b"COWD", DISK_IMAGE),  # ESXi sparse VMDK (-delta.vmdk)
    (b"XFSB", DISK_IMAGE),  # XFS volume image
)

# VDI images carry this signature at offset 0x40 whatever text their header says.
_VDI_SIGNATURE = b"\x7f\x10\xda\xbe"

# A syslog line starts with "<PRI>" (RFC 3164/5424); it is text, not XML.
_SYSLOG_PRI = re.compile(r"<\d{1,3}>")

_TEXT_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def detect_kind(head: bytes) -> str:
    """Guess the kind of a file from its first bytes (64 KiB is plenty)."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if len(head) > 262 and head[257:262] == b"ustar":
        return TAR
    if head.startswith(b"BZh") and head[4:10] == b"1AY&SY":  # bzip2 stream + block magic
        return BZIP2
    if b"<<< Oracle VM VirtualBox Disk Image >>>" in head[:64] or head[64:68] == _VDI_SIGNATURE:
        return DISK_IMAGE
    if _is_raw_disk(head):
        return DISK_IMAGE
    text = _as_text(head)
    if text is None:
        return BINARY
    return _text_kind(text)


def _is_raw_disk(head: bytes) -> bool:
    """A raw/dd image: a partition table, or an NTFS, FAT, exFAT or ext2/3/4 volume."""
    if len(head) >= 1082 and head[1080:1082] == b"\x53\xef":  # ext2/3/4 superblock magic
        log_block_size = int.from_bytes(head[1048:1052], "little")
        inodes = int.from_bytes(head[1024:1028], "little")
        return log_block_size <= 6 and inodes > 0
    if len(head) < 512 or head[510:512] != b"\x55\xaa":
        return False
    if (
        head[3:11] in (b"NTFS    ", b"EXFAT   ")
        or head[82:87] == b"FAT32"
        or head[54:59]
        in (
            b"FAT12",
            b"FAT16",
        )
    ):
        return True
    if head[512:520] == b"EFI PART":  # GPT header after the protective MBR
        return True
    entries = [head[446 + 16 * i : 462 + 16 * i] for i in range(4)]
    if any(entry[0] not in (0x00, 0x80) for entry in entries):
        return False
    used = [e for e in entries if e[4] != 0 and int.from_bytes(e[12:16], "little") > 0]
    return bool(used)


def _as_text(head: bytes) -> str | None:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
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
    if stripped.startswith("<") and not _SYSLOG_PRI.match(stripped):
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
