"""Write small Windows registry hive files (regf) for the tests.

Only what a reader needs: the base block with its checksum, hbins, key nodes with
"lh" subkey lists, value lists and value cells. Keys are given as a nested mapping
``{"ControlSet001": {"Services": {"Evil": {"ImagePath": "C:\\\\x.exe", "Start": 2}}}}``
where a ``str`` value is REG_SZ, an ``int`` REG_DWORD and ``bytes`` REG_BINARY.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

HBIN_SIZE = 4096
_NTFS_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
REG_SZ, REG_DWORD, REG_BINARY = 1, 4, 3
_NONE = 0xFFFFFFFF


def _filetime(when: datetime) -> int:
    return int((when - _NTFS_EPOCH).total_seconds() * 10_000_000)


class _Cells:
    """Cells laid out back to back; offsets are relative to the first hbin."""

    def __init__(self) -> None:
        self.data = bytearray()

    def add(self, payload: bytes) -> int:
        size = (len(payload) + 4 + 7) // 8 * 8
        offset = len(self.data) + 32  # after the hbin header
        self.data += struct.pack("<i", -size) + payload + b"\x00" * (size - 4 - len(payload))
        return offset

    def patch(self, offset: int, payload: bytes) -> None:
        start = offset - 32 + 4
        self.data[start : start + len(payload)] = payload


def _hash(name: str) -> int:
    value = 0
    for char in name.upper():
        value = (value * 37 + ord(char)) & 0xFFFFFFFF
    return value


def _value_cell(cells: _Cells, name: str, value: Any) -> int:
    if isinstance(value, (bool, int)):
        kind, data = REG_DWORD, struct.pack("<I", int(value))
    elif isinstance(value, bytes):
        kind, data = REG_BINARY, value
    else:
        kind, data = REG_SZ, (str(value) + "\x00").encode("utf-16-le")
    if len(data) <= 4:
        length, pointer = len(data) | 0x80000000, struct.unpack("<I", data.ljust(4, b"\0"))[0]
    else:
        length, pointer = len(data), cells.add(data)
    encoded = name.encode("ascii")
    header = struct.pack("<2sHIIIHH", b"vk", len(encoded), length, pointer, kind, 1, 0)
    return cells.add(header + encoded)


def _key_cell(
    cells: _Cells, name: str, content: Mapping[str, Any], parent: int, when: datetime, root: bool
) -> int:
    encoded = name.encode("ascii")
    flags = 0x20 | (0x0C if root else 0)
    placeholder = struct.pack("<2sHQII", b"nk", flags, _filetime(when), 0, parent)
    offset = cells.add(placeholder + b"\x00" * (76 - len(placeholder)) + encoded)
    subkeys = {k: v for k, v in content.items() if isinstance(v, Mapping)}
    values = {k: v for k, v in content.items() if not isinstance(v, Mapping)}
    sub_offsets = [_key_cell(cells, k, v, offset, when, False) for k, v in subkeys.items()]
    entries = [x for pair in zip(sub_offsets, map(_hash, subkeys), strict=True) for x in pair]
    subkey_list = (
        cells.add(struct.pack(f"<2sH{len(entries)}I", b"lh", len(sub_offsets), *entries))
        if sub_offsets
        else _NONE
    )
    value_offsets = [_value_cell(cells, k, v) for k, v in values.items()]
    value_list = (
        cells.add(struct.pack(f"<{len(value_offsets)}I", *value_offsets))
        if value_offsets
        else _NONE
    )
    body = struct.pack(
        "<2sHQIIIIIIIIIIIIIIIHH",
        b"nk",
        flags,
        _filetime(when),
        0,
        parent,
        len(sub_offsets),
        0,
        subkey_list,
        _NONE,
        len(value_offsets),
        value_list,
        _NONE,
        _NONE,
        max((len(k) * 2 for k in subkeys), default=0),
        0,
        max((len(k) * 2 for k in values), default=0),
        256,
        0,
        len(encoded),
        0,
    )
    cells.patch(offset, body + encoded)
    return offset


def build_hive(
    keys: Mapping[str, Any], *, name: str = "SYSTEM", when: datetime | None = None
) -> bytes:
    """The bytes of a hive file holding ``keys`` under its root key."""
    when = when or datetime(2025, 1, 1, tzinfo=UTC)
    cells = _Cells()
    root = _key_cell(cells, "ROOT", keys, _NONE, when, True)
    used = 32 + len(cells.data)
    hbin_size = (used + HBIN_SIZE - 1) // HBIN_SIZE * HBIN_SIZE
    free = hbin_size - used
    body = bytes(cells.data)
    if free:
        body += struct.pack("<i", free) + b"\x00" * (free - 4)
    hbin = struct.pack("<4sIIIIQI", b"hbin", 0, hbin_size, 0, 0, _filetime(when), 0) + body
    header = bytearray(HBIN_SIZE)
    struct.pack_into(
        "<4sIIQIIIIIII", header, 0, b"regf", 1, 1, _filetime(when), 1, 5, 0, 1, root, hbin_size, 1
    )
    file_name = f"\\??\\C:\\Windows\\System32\\config\\{name}".encode("utf-16-le")[:64]
    header[0x30 : 0x30 + len(file_name)] = file_name
    checksum = 0
    for (word,) in struct.iter_unpack("<I", bytes(header[:508])):
        checksum ^= word
    struct.pack_into("<I", header, 508, checksum)
    return bytes(header) + hbin
