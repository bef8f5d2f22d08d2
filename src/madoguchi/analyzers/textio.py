"""Reading text evidence the way it arrives: any encoding, gzipped, with huge lines.

Windows exports come as UTF-16 with a BOM, Japanese logs as Shift_JIS (cp932),
appliances as UTF-8 or Latin-1. ``decode_bytes`` picks the encoding from the BOM,
then strict UTF-8, then cp932, then charset-normalizer; ``iter_lines`` streams a
file (transparently gunzipped) and cuts lines longer than ``max_line`` with a warning
instead of holding them in memory.
"""

from __future__ import annotations

import codecs
import gzip
import io
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, cast

from charset_normalizer import from_bytes

from madoguchi.domain.errors import InputFormatError

MAX_LINE = 1024 * 1024
_SAMPLE = 256 * 1024


def detect_encoding(sample: bytes) -> str:
    """The encoding of a text sample, as a Python codec name."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if sample and b"\x00" in sample[:4096]:
        odd = sample[1:4096:2].count(0)
        even = sample[0:4096:2].count(0)
        if odd > even:
            return "utf-16-le"
        if even > odd:
            return "utf-16-be"
    for candidate in ("utf-8", "cp932"):
        try:
            sample.decode(candidate)
        except UnicodeDecodeError as error:
            # Tolerate a multi-byte character cut by the end of the sample.
            if error.start < len(sample) - 4:
                continue
        return candidate
    best = from_bytes(sample).best()
    return best.encoding if best is not None else "latin-1"


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a whole small document; returns ``(text, encoding)``."""
    encoding = detect_encoding(data[:_SAMPLE])
    return data.decode(encoding, errors="replace").lstrip("\ufeff"), encoding


def open_maybe_gzip(path: Path) -> IO[bytes]:
    handle = path.open("rb")
    magic = handle.read(2)
    handle.seek(0)
    if magic == b"\x1f\x8b":
        return cast(IO[bytes], gzip.GzipFile(fileobj=handle, mode="rb"))
    return handle


def iter_lines(
    path: Path,
    *,
    on_long_line: Callable[[int], None] | None = None,
    max_line: int = MAX_LINE,
) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for each line, without the line ending.

    Lines longer than ``max_line`` characters are cut and reported through
    ``on_long_line(line_number)``; memory stays bounded by ``max_line``. Damaged or
    truncated gzip data ends the lines with an ``InputFormatError``.
    """
    try:
        yield from _read_lines(path, on_long_line, max_line)
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise InputFormatError(f"damaged gzip data: {error}", where=path.name) from error


def _read_lines(
    path: Path, on_long_line: Callable[[int], None] | None, max_line: int
) -> Iterator[tuple[int, str]]:
    with open_maybe_gzip(path) as raw:
        sample = raw.read(_SAMPLE)
        encoding = detect_encoding(sample)
        raw.seek(0)
        reader = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline=None)
        number = 0
        while True:
            line = reader.readline(max_line)
            if not line:
                return
            number += 1
            if not line.endswith("\n") and len(line) >= max_line:
                if on_long_line is not None:
                    on_long_line(number)
                # Drop the rest of the over-long line.
                while True:
                    rest = reader.readline(max_line)
                    if not rest or rest.endswith("\n"):
                        break
            text = line.rstrip("\r\n")
            if number == 1:
                text = text.lstrip("\ufeff")
            yield number, text
