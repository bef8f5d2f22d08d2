"""Running a byte matcher over a whole file in bounded memory.

The file is read in chunks (gunzipped on the fly); text that is not UTF-8 (UTF-16
exports, Shift_JIS logs) is decoded with the encoding ``textio`` detects and
re-encoded as UTF-8 so indicators compare the same everywhere. Each window is the
tail of the previous one plus a new chunk; a hit is reported by the window where
its end falls inside the *settled* region (far enough from the window's end that
the boundary check could see the following bytes), so hits across chunk borders
are reported exactly once.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from madoguchi.analyzers.textio import detect_encoding, open_maybe_gzip
from madoguchi.domain.indicator import Indicator

DEFAULT_CHUNK = 8 * 1024 * 1024
_SAMPLE = 256 * 1024
#: Bytes after a hit the boundary and address checks may look at.
_LOOKAHEAD = 64
#: Bytes before a hit the boundary check looks at, plus slack.
_GUARD = 16
_CONTEXT = 160
_PASS_THROUGH = frozenset({"utf-8", "utf-8-sig", "ascii"})


@dataclass(frozen=True, slots=True)
class Hit:
    """A checked occurrence: offsets into the searched bytes."""

    start: int
    end: int
    indicator: Indicator


@dataclass(frozen=True, slots=True)
class StreamHit:
    """A hit placed in the file: absolute offsets in the UTF-8 stream, line, text."""

    hit: Hit
    start: int
    end: int
    line: int
    text: str
    context: str


def _reader(path: Path, chunk: int, on_warning: Callable[[str], None] | None) -> Iterator[bytes]:
    """UTF-8 chunks of the file's text, whatever its encoding or compression."""
    with open_maybe_gzip(path) as raw:
        sample = raw.read(_SAMPLE)
        encoding = codecs.lookup(detect_encoding(sample)).name
        pieces = _pieces(sample, raw, chunk)
        if encoding in _PASS_THROUGH:
            yield from pieces
            return
        if on_warning is not None:
            on_warning(f"{path.name}: read as {encoding}")
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        for piece in pieces:
            yield decoder.decode(piece).encode("utf-8")
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail.encode("utf-8")


def _pieces(sample: bytes, raw: IO[bytes], chunk: int) -> Iterator[bytes]:
    for offset in range(0, len(sample), chunk):
        yield sample[offset : offset + chunk]
    while piece := raw.read(chunk):
        yield piece


def _context(buffer: bytes, start: int, end: int) -> str:
    line_start = buffer.rfind(b"\n", 0, start) + 1
    line_end = buffer.find(b"\n", end)
    if line_end < 0:
        line_end = len(buffer)
    line_start = max(line_start, start - _CONTEXT)
    line_end = min(line_end, end + _CONTEXT)
    return buffer[line_start:line_end].decode("utf-8", errors="replace").strip()


def scan_stream(
    find: Callable[[bytes], list[Hit]],
    path: Path,
    *,
    overlap: int,
    chunk: int = DEFAULT_CHUNK,
    on_warning: Callable[[str], None] | None = None,
) -> Iterator[StreamHit]:
    """Run ``find`` over ``path`` window by window; hits in file order, each once."""
    carry_size = overlap + _LOOKAHEAD + _GUARD
    carry = b""
    base = 0  # absolute offset of the window's first byte
    line_at_base = 1
    settled = 0  # hits ending at or before this absolute offset were handled
    pieces = _reader(path, max(chunk, 1), on_warning)
    piece = next(pieces, b"")
    while True:
        following = next(pieces, None)
        final = following is None
        window = carry + piece
        limit = base + len(window) if final else base + len(window) - _LOOKAHEAD
        cursor, line = 0, line_at_base
        for hit in find(window):
            end = base + hit.end
            if not settled < end <= limit or (base and hit.start < _GUARD):
                continue
            line += window.count(b"\n", cursor, hit.start)
            cursor = hit.start
            yield StreamHit(
                hit,
                base + hit.start,
                end,
                line,
                window[hit.start : hit.end].decode("utf-8", errors="replace"),
                _context(window, hit.start, hit.end),
            )
        if final:
            return
        settled = max(settled, limit)
        keep = min(len(window), carry_size)
        consumed = len(window) - keep
        line_at_base += window.count(b"\n", 0, consumed)
        base += consumed
        carry = window[consumed:]
        piece = following or b""
