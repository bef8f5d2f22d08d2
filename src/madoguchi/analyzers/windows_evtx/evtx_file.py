"""Binary ``.evtx`` files, read with the ``evtx`` library (Rust) and ``orjson``.

``records_json()`` is used rather than ``records()``: the XML string comes out of
the library faster, but turning it into fields in Python costs far more than
``orjson.loads`` on the JSON form (see ``bench/evtx_reader.py``).

Damage is data: a record or chunk the library cannot parse is skipped with
``ctx.skipped`` naming the record number or chunk, and reading goes on with the next
one. A file shorter than its header promises (a copy cut short) is reported with the
offset where the missing chunk begins; the records in it are lost.

The file header layout used for that check (offsets in bytes): signature ``ElfFile\\0``
(0), number of chunks (42, 2 bytes little-endian); the header block is 4096 bytes and
each chunk 65536 bytes (https://github.com/libyal/libevtx/blob/main/documentation/
Windows%20XML%20Event%20Log%20(EVTX).asciidoc).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

import evtx
import orjson

from madoguchi.analyzers.base import AnalysisContext, EvidenceFile
from madoguchi.analyzers.windows_evtx.events import ReadEvent, flatten_event, parse_time

HEADER_BLOCK = 4096
CHUNK_SIZE = 65536
_MAX_CONSECUTIVE_ERRORS = 10_000
_RECORD = re.compile(r"record number (\d+)")
_CHUNK = re.compile(r"chunk number (\d+)")


def check_size(evidence: EvidenceFile, ctx: AnalysisContext) -> None:
    """Report a file cut short: a partial last chunk or fewer chunks than the header says."""
    head = evidence.head
    size = evidence.size or evidence.local_path.stat().st_size
    if len(head) < HEADER_BLOCK:
        ctx.skipped(
            f"file is only {size} bytes; the 4096-byte header is incomplete", path=evidence.path
        )
        return
    declared = int.from_bytes(head[42:44], "little")
    body = size - HEADER_BLOCK
    whole, partial = divmod(body, CHUNK_SIZE)
    if partial:
        offset = HEADER_BLOCK + whole * CHUNK_SIZE
        ctx.skipped(
            f"file is truncated: chunk {whole} at offset {offset} has only {partial} of "
            f"{CHUNK_SIZE} bytes; its records cannot be read",
            path=evidence.path,
        )
    elif declared > whole:
        offset = HEADER_BLOCK + whole * CHUNK_SIZE
        ctx.skipped(
            f"file is truncated: the header declares {declared} chunks but only {whole} "
            f"are present (missing from offset {offset})",
            path=evidence.path,
        )


def _error_place(message: str) -> tuple[int | None, str]:
    record = _RECORD.search(message)
    if record is not None:
        return int(record.group(1)), f"record {record.group(1)}"
    chunk = _CHUNK.search(message)
    if chunk is not None:
        number = int(chunk.group(1))
        return None, f"chunk {number} (offset {HEADER_BLOCK + number * CHUNK_SIZE})"
    return None, "a record"


def read_evtx(
    evidence: EvidenceFile, ctx: AnalysisContext, *, threads: int = 1
) -> Iterator[ReadEvent]:
    """Yield every readable record of an ``.evtx`` file, skipping damaged ones."""
    check_size(evidence, ctx)
    yield from read_records(str(evidence.local_path), evidence, ctx, threads=threads)


def read_records(
    source: str | BinaryIO | io.RawIOBase,
    evidence: EvidenceFile,
    ctx: AnalysisContext,
    *,
    threads: int = 1,
    chunk_base: int = 0,
) -> Iterator[ReadEvent]:
    """Yield the readable records of ``source`` (a path, or a file object holding EVTX).

    ``chunk_base`` is the number of the source's first chunk in ``evidence`` (a part of
    a file read on its own, see :mod:`.partitions`), for the places named in warnings.
    """
    try:
        parser = evtx.PyEvtxParser(source, number_of_threads=threads)
        records = parser.records_json()
    except (OSError, RuntimeError, ValueError) as error:
        ctx.skipped(f"cannot open as EVTX: {error}", path=evidence.path)
        return
    loads = orjson.loads
    flatten = flatten_event
    fromisoformat = datetime.fromisoformat
    errors = 0
    while True:
        try:
            record: dict[str, Any] | None = next(records)
        except StopIteration:
            return
        except (RuntimeError, OSError, ValueError) as error:
            errors += 1
            message = str(error)
            if chunk_base:  # the library counts from the start of the part it was given
                message = _CHUNK.sub(lambda m: f"chunk number {int(m[1]) + chunk_base}", message)
            record_id, place = _error_place(message)
            ctx.skipped(
                f"damaged {place} skipped: {message[:300]}", path=evidence.path, record_id=record_id
            )
            if errors >= _MAX_CONSECUTIVE_ERRORS:
                ctx.warn("too many damaged records in a row; stopped reading", path=evidence.path)
                return
            continue
        errors = 0
        if record is None:
            continue
        try:
            flat = flatten(loads(record["data"]))
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
            record_id = record.get("event_record_id")
            ctx.skipped(
                f"record {record_id} has no readable System block: {error}",
                path=evidence.path,
                record_id=record_id,
            )
            continue
        record_id = flat["EventRecordID"]
        if record_id is None:
            record_id = flat["EventRecordID"] = record.get("event_record_id")
        created = flat["TimeCreated"]
        when = None
        if created.__class__ is str and created[-1:] == "Z":  # how evtx writes SystemTime
            try:
                when = fromisoformat(created)
            except ValueError:
                when = None
        if when is None:
            when = parse_time(created) or parse_time(record.get("timestamp"))
        yield ReadEvent(flat, record_id, when)
