"""Damaged EVTX files: what can be read is read, the rest is reported, nothing raises."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.analyzers.windows_evtx.evtx_helpers import DATA, run

SOURCE = DATA / "vss-delete-wmic.evtx"
CHUNK_START = 4096


def _copy(tmp_path: Path, name: str = "copy.evtx") -> Path:
    target = tmp_path / name
    shutil.copyfile(SOURCE, target)
    return target


def _record_offsets(data: bytes) -> list[int]:
    """Offsets of record headers (magic ``**\\0\\0``) in the first chunk."""
    offsets = []
    position = data.find(b"\x2a\x2a\x00\x00", CHUNK_START + 512)
    while position != -1 and position < CHUNK_START + 65536:
        offsets.append(position)
        position = data.find(b"\x2a\x2a\x00\x00", position + 4)
    return offsets


def test_intact_file_reads_without_warnings(tmp_path: Path) -> None:
    result = run(_copy(tmp_path))
    assert result.ctx.skipped_records == 0 and result.ctx.warnings == []
    assert result.ctx.events == 3


def test_truncated_file_is_reported_with_offset(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: CHUNK_START + 30000])
    result = run(path)
    assert result.ctx.skipped_records >= 1
    message = result.ctx.warnings[0].message
    assert "truncated" in message and "offset 4096" in message
    assert result.ctx.warnings[0].path == "copy.evtx"


def test_header_only_file(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    path.write_bytes(path.read_bytes()[:CHUNK_START])
    result = run(path)
    assert result.outputs == [] or all(o.__class__.__name__ != "Finding" for o in result.outputs)
    assert any("chunks" in w.message for w in result.ctx.warnings)


def test_corrupted_record_is_skipped_and_named(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    data = bytearray(path.read_bytes())
    offsets = _record_offsets(bytes(data))
    assert len(offsets) >= 2
    second = offsets[1]
    data[second + 24 : second + 200] = b"\xff" * 176  # the record's binary XML body
    path.write_bytes(bytes(data))
    result = run(path)
    assert result.ctx.skipped_records >= 1
    assert any(w.record_id is not None for w in result.ctx.warnings)
    assert 1 <= result.ctx.events < 3
    assert any(f.title == "Shadow copies deleted with wmic" for f in result.findings)


def test_corrupted_chunk_header_is_skipped_and_named(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    data = bytearray(path.read_bytes())
    data[CHUNK_START : CHUNK_START + 8] = b"XXXXXXXX"
    path.write_bytes(bytes(data))
    result = run(path)
    assert result.ctx.skipped_records >= 1
    assert any("chunk 0" in w.message and "offset 4096" in w.message for w in result.ctx.warnings)


@pytest.mark.parametrize(
    "garbage", [b"", b"ElfFile\x00" + b"\x00" * 100, b"ElfFile\x00" + bytes(range(256)) * 300]
)
def test_garbage_never_raises(tmp_path: Path, garbage: bytes) -> None:
    path = tmp_path / "garbage.evtx"
    path.write_bytes(garbage)
    result = run(path)
    assert not result.findings or all(
        f.rule_id.startswith("madoguchi-evtx") for f in result.findings
    )
