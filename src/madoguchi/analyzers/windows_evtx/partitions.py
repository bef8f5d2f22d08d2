"""A large ``.evtx`` file cut into runs of chunks that separate processes can read.

An EVTX file is a 4096-byte header followed by 64 KiB chunks, and every chunk carries
its own string and template tables (https://github.com/libyal/libevtx/blob/main/
documentation/Windows%20XML%20Event%20Log%20(EVTX).asciidoc). A run of whole chunks
behind a copy of the header, with the header's chunk fields set for that run, is
therefore a valid EVTX file of its own: :class:`RangeFile` presents one without
copying anything, reading the chunks from the original file on demand.

Header fields rewritten (offsets in bytes): first chunk number (8, u64), last chunk
number (16, u64), chunk count (42, u16), and the CRC32 of the first 120 bytes (124).
"""

from __future__ import annotations

import io
import multiprocessing
import os
import struct
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from madoguchi.analyzers.windows_evtx.evtx_file import CHUNK_SIZE, HEADER_BLOCK

#: Files smaller than this are read by one process: starting workers costs more.
DEFAULT_MIN_MB = 48.0
#: At most this many processes read one file, whatever the machine has.
MAX_WORKERS = 8
_MIN_CHUNKS_PER_PART = 64
#: The main process's share against a worker's. Besides its own share the main process
#: takes over every worker's batches as they are written (outputs, which the runner then
#: turns into records, and correlation inputs; ``handover.follow``), so it should read
#: less than a worker. Measured on 300 MB with two processes, three runs each: 0.6 and
#: 0.7 took 10.0-10.1 s, 0.85 10.8 s, 1.0 (equal shares) 10.4 s.
FIRST_WEIGHT = 0.7


@dataclass(frozen=True)
class ChunkRange:
    """Chunks ``first`` up to (not including) ``stop`` of a file; the last range also
    takes any partial chunk at the end (``end`` is then the file size)."""

    first: int
    stop: int
    end: int  # byte offset where the range ends in the original file

    @property
    def start(self) -> int:
        return HEADER_BLOCK + self.first * CHUNK_SIZE


def plan(size: int, parts: int, *, first_weight: float = 1.0) -> list[ChunkRange]:
    """Split a file of ``size`` bytes into at most ``parts`` ranges of whole chunks.

    ``first_weight`` sizes the first range against the others (``0.5``: half as many
    chunks): the process reading it also merges the others' results.
    """
    chunks = max(0, size - HEADER_BLOCK) // CHUNK_SIZE
    parts = max(1, min(parts, chunks // _MIN_CHUNKS_PER_PART))
    total = first_weight + (parts - 1)
    ranges: list[ChunkRange] = []
    first = 0
    for index in range(parts):
        share = first_weight + index  # weights up to and including this range
        stop = chunks if index == parts - 1 else round(chunks * share / total)
        end = size if index == parts - 1 else HEADER_BLOCK + stop * CHUNK_SIZE
        ranges.append(ChunkRange(first, stop, end))
        first = stop
    return ranges


def worker_count(settings: Mapping[str, Any], size: int) -> int:
    """How many processes should read a file of ``size`` bytes here; 1 means this one alone.

    Settings: ``evtx_workers`` (default 1: off; ``"auto"``: the number of CPUs, at
    most :data:`MAX_WORKERS`) and ``evtx_parallel_min_mb`` (default
    :data:`DEFAULT_MIN_MB`). More than one only where forking is safe and useful: a
    large file, the main thread of a process that is not itself a worker (``analyze
    --jobs`` already spreads files over processes), and ``fork`` available. ``analyze
    --jobs N`` sets ``evtx_workers`` to N (the runner's ``FILE_WORKERS_SETTING``), which
    only takes effect when there are fewer files than jobs.

    Off by default: the main process still merges every worker's outputs and the
    runner turns them into records, so on a machine whose other cores are busy a
    worker slows the run down (measured on the 2-core development machine: 300 MB in
    12 s with one process, 18 s with two while other jobs ran).
    """
    wanted = settings.get("evtx_workers", 1)
    if wanted == "auto":
        wanted = min(os.cpu_count() or 1, MAX_WORKERS)
    if not isinstance(wanted, int) or isinstance(wanted, bool) or wanted < 2:
        return 1
    threshold = settings.get("evtx_parallel_min_mb", DEFAULT_MIN_MB)
    if not isinstance(threshold, int | float) or size < threshold * 1024 * 1024:
        return 1
    if (
        "fork" not in multiprocessing.get_all_start_methods()
        or multiprocessing.parent_process() is not None
        or threading.current_thread() is not threading.main_thread()
    ):
        return 1
    return min(wanted, MAX_WORKERS)


def range_header(header: bytes, rng: ChunkRange) -> bytes:
    """The file header rewritten to describe only the chunks of ``rng``."""
    patched = bytearray(header[:HEADER_BLOCK])
    count = rng.stop - rng.first  # the parser reads to the end either way; this is for show
    struct.pack_into("<QQ", patched, 8, 0, max(count - 1, 0))
    struct.pack_into("<H", patched, 42, min(count, 0xFFFF))
    struct.pack_into("<I", patched, 124, zlib.crc32(bytes(patched[:120])))
    return bytes(patched)


class RangeFile(io.RawIOBase):
    """A read-only file: a patched header, then bytes ``rng.start``..``rng.end`` of ``path``."""

    def __init__(self, path: Path, header: bytes, rng: ChunkRange) -> None:
        super().__init__()
        self._header = range_header(header, rng)
        self._file = path.open("rb")
        self._start = rng.start
        self._size = HEADER_BLOCK + (rng.end - rng.start)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if pos < 0:
            raise ValueError("negative seek position")
        self._pos = pos
        return pos

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        wanted = min(len(view), max(0, self._size - self._pos))
        done = 0
        while done < wanted:
            pos = self._pos + done
            if pos < HEADER_BLOCK:
                piece = self._header[pos : min(HEADER_BLOCK, pos + wanted - done)]
                view[done : done + len(piece)] = piece
                done += len(piece)
                continue
            self._file.seek(self._start + pos - HEADER_BLOCK)
            got = self._file.readinto(view[done:wanted])
            if not got:
                break
            done += got
        self._pos += done
        return done

    def close(self) -> None:
        if not self.closed:
            self._file.close()
        super().close()
