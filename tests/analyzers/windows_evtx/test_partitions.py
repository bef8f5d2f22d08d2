"""Reading one large ``.evtx`` file with several processes gives the one-process result.

The inputs are built here from the three small sample files: their 64 KiB chunks are
repeated behind one file header until the file holds a few hundred chunks, enough for
the analyzer to split it (``evtx_parallel_min_mb: 0`` lifts the size threshold).
"""

from __future__ import annotations

import itertools
import os
import struct
import threading
import zlib
from pathlib import Path
from typing import Any

import evtx
import pytest
from tests.analyzers.windows_evtx.evtx_helpers import DATA, evidence, run

from madoguchi.analyzers.base import RunOptions
from madoguchi.analyzers.windows_evtx import PARTS_SETTING, PartOutput, handover, scan_part
from madoguchi.analyzers.windows_evtx import analyzer as analyzer_module
from madoguchi.analyzers.windows_evtx.evtx_file import CHUNK_SIZE, HEADER_BLOCK
from madoguchi.analyzers.windows_evtx.partitions import RangeFile, plan, range_header, worker_count

SAMPLES = ("remote-service-smb.evtx", "vss-delete-wmic.evtx", "wdigest-enabled.evtx")


def build(path: Path, chunks: int, *, damage: int | None = None, tail: bytes = b"") -> Path:
    """Write an EVTX file of ``chunks`` chunks cycled from the samples (one damaged)."""
    sources = [(DATA / name).read_bytes() for name in SAMPLES]
    pieces = [s[HEADER_BLOCK : HEADER_BLOCK + CHUNK_SIZE] for s in sources]
    header = bytearray(sources[0][:HEADER_BLOCK])
    struct.pack_into("<QQ", header, 8, 0, chunks - 1)
    struct.pack_into("<H", header, 42, chunks)
    struct.pack_into("<I", header, 124, zlib.crc32(bytes(header[:120])))
    body = bytearray()
    for n in range(chunks):
        chunk = bytearray(pieces[n % len(pieces)])
        if n == damage:
            chunk[:8] = b"NotChnk\x00"
        body += chunk
    path.write_bytes(bytes(header) + bytes(body) + tail)
    return path


def both(path: Path, **settings: Any) -> tuple[Any, Any]:
    one = run(path, settings={**settings, "evtx_workers": 1})
    many = run(path, settings={**settings, "evtx_workers": 3, "evtx_parallel_min_mb": 0})
    return one, many


def test_plan_covers_every_chunk_once() -> None:
    size = HEADER_BLOCK + 1000 * CHUNK_SIZE + 100  # with a partial chunk at the end
    ranges = plan(size, 3)
    assert [(r.first, r.stop) for r in ranges] == [(0, 333), (333, 667), (667, 1000)]
    assert ranges[-1].end == size
    assert all(a.end == b.start for a, b in itertools.pairwise(ranges))
    assert plan(HEADER_BLOCK + 10 * CHUNK_SIZE, 4) == plan(HEADER_BLOCK + 10 * CHUNK_SIZE, 1)
    lighter = plan(size, 2, first_weight=0.5)
    assert [(r.first, r.stop) for r in lighter] == [(0, 333), (333, 1000)]


def test_range_files_hold_every_record_once(tmp_path: Path) -> None:
    path = build(tmp_path / "big.evtx", 200)
    whole = [r["event_record_id"] for r in evtx.PyEvtxParser(str(path)).records_json()]
    header = path.read_bytes()[:HEADER_BLOCK]
    parts: list[int] = []
    for rng in plan(path.stat().st_size, 3):
        assert range_header(header, rng)[:8] == b"ElfFile\x00"
        with RangeFile(path, header, rng) as source:
            parts += [r["event_record_id"] for r in evtx.PyEvtxParser(source).records_json()]
    assert len(whole) == 67 * 2 + 67 * 3 + 66 * 3  # the samples hold 2, 3 and 3 records
    assert parts == whole


def test_several_processes_give_the_same_result(tmp_path: Path) -> None:
    path = build(tmp_path / "big.evtx", 200)
    one, many = both(path)
    assert many.ctx.events == one.ctx.events == 533
    assert many.outputs == one.outputs
    assert many.ctx.warnings == one.ctx.warnings
    assert {f.title for f in one.findings} >= {"Event records missing from the Security log"}


def test_the_same_with_a_damaged_chunk_in_a_later_part(tmp_path: Path) -> None:
    path = build(tmp_path / "damaged.evtx", 200, damage=150, tail=b"\x00" * 1000)
    one, many = both(path)
    assert one.ctx.skipped_records > 0
    assert many.ctx.warnings == one.ctx.warnings
    assert many.ctx.skipped_records == one.ctx.skipped_records
    assert many.outputs == one.outputs


COUNTING_RULES = """
title: Process creation
id: 6f2d1c9e-5b1a-4c1e-9a53-2f4e0c7d1a01
name: process_creation_counted
status: test
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4688
  condition: selection
level: low
---
title: Process creations counted
id: 6f2d1c9e-5b1a-4c1e-9a53-2f4e0c7d1a02
status: test
correlation:
  type: event_count
  rules: process_creation_counted
  group-by: [Computer]
  timespan: 3650d
  condition:
    lt: 1000000
level: informational
"""


def test_a_worker_dying_midway_loses_nothing_and_repeats_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The main process takes a worker's batches as they come; when the worker dies
    after some, it reads the rest of that part itself and drops what it already has."""
    path = build(tmp_path / "big.evtx", 200)
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "count.yml").write_text(COUNTING_RULES)  # a count that doubles if fed twice
    one = run(path, settings={"evtx_workers": 1}, rule_dirs=(rules,))
    (counted,) = [f for f in one.findings if f.title == "Process creations counted"]
    assert counted.details["count"] == 201  # every 4688 event of the file, once
    parent = os.getpid()
    write = handover.Spill.write

    def write_then_die(spill: handover.Spill, outputs: Any, covered: int, feed: Any) -> None:
        write(spill, outputs, covered, feed)
        if os.getpid() != parent and spill.batches == 2:
            os._exit(3)  # a worker killed after handing over two batches

    monkeypatch.setattr(analyzer_module, "_BATCH", 5)
    monkeypatch.setattr(handover.Spill, "write", write_then_die)
    many = run(path, settings={"evtx_workers": 2, "evtx_parallel_min_mb": 0}, rule_dirs=(rules,))
    failed = [w for w in many.ctx.warnings if "failed" in w.message]
    assert failed and "read in the main process" in failed[0].message
    assert many.ctx.events == one.ctx.events == 533
    assert many.outputs == one.outputs
    assert [w for w in many.ctx.warnings if w not in failed] == one.ctx.warnings


def test_who_reads_with_several_processes() -> None:
    big = 100 * 1024 * 1024
    assert worker_count({}, big) == 1  # off unless asked for
    assert worker_count({"evtx_workers": 1}, big) == 1
    assert worker_count({"evtx_workers": "3"}, big) == 1  # not a number of processes
    assert worker_count({"evtx_workers": 3}, 10 * 1024 * 1024) == 1  # below 48 MB
    assert worker_count({"evtx_workers": 3, "evtx_parallel_min_mb": 200}, big) == 1
    assert worker_count({"evtx_workers": 3}, big) == 3
    cpus = min(os.cpu_count() or 1, 8)
    assert worker_count({"evtx_workers": "auto"}, big) == (cpus if cpus > 1 else 1)
    in_thread: list[int] = []
    thread = threading.Thread(
        target=lambda: in_thread.append(worker_count({"evtx_workers": 3}, big))
    )
    thread.start()
    thread.join()
    assert in_thread == [1]  # never forks from a side thread (a web server's job runner)


def test_real_samples_read_by_several_processes(tmp_path: Path) -> None:
    """Logons, brute-force correlations and gaps from the public samples, both ways."""
    root = os.environ.get("MADOGUCHI_CALIBRATION_DATA")
    if not root:
        pytest.skip("MADOGUCHI_CALIBRATION_DATA is not set; the public EVTX samples are needed")
    files = sorted((Path(root) / "evtx").rglob("*.evtx"))
    chunks = [
        data[offset : offset + CHUNK_SIZE]
        for data in (f.read_bytes() for f in files)
        if data.startswith(b"ElfFile\x00")
        for offset in range(HEADER_BLOCK, len(data) - CHUNK_SIZE + 1, CHUNK_SIZE)
        if data[offset : offset + 8] == b"ElfChnk\x00"
    ]
    if len(chunks) < 130:
        pytest.skip(f"only {len(chunks)} EVTX chunks in the calibration samples")
    header = bytearray(files[0].read_bytes()[:HEADER_BLOCK])
    path = tmp_path / "samples.evtx"
    path.write_bytes(bytes(header) + b"".join(chunks))
    one, many = both(path)
    assert one.ctx.events > 10_000
    assert [s.name for s in one.sections] == ["logons"]
    assert many.outputs == one.outputs
    assert many.ctx.warnings == one.ctx.warnings


def test_parts_scanned_apart_and_stored_as_bytes_merge_to_the_one_pass_result(
    tmp_path: Path,
) -> None:
    path = build(tmp_path / "big.evtx", 200, damage=70)
    one = run(path)
    ref = evidence(path)
    ranges = plan(path.stat().st_size, 3)
    assert len(ranges) == 3
    stored = [
        scan_part(ref, rng, RunOptions(), spill=tmp_path / f"part-{n}").to_bytes()
        for n, rng in enumerate(ranges)
    ]
    assert not list(tmp_path.glob("part-*"))  # the spill files went into the bytes
    merged = run(path, settings={PARTS_SETTING: (PartOutput.from_bytes(b) for b in stored)})
    assert merged.ctx.events == one.ctx.events
    assert merged.outputs == one.outputs
    assert merged.ctx.warnings == one.ctx.warnings
    assert merged.ctx.skipped_records == one.ctx.skipped_records > 0
