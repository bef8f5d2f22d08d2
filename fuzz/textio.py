"""Fuzz ``madoguchi.analyzers.textio``: encoding detection and the line reader."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from madoguchi.analyzers.textio import decode_bytes, iter_lines
    from madoguchi.domain.errors import InputFormatError

WORK = Path(tempfile.mkdtemp(prefix="fuzz-textio-"))


def one_input(data: bytes) -> None:
    text, encoding = decode_bytes(data)
    assert isinstance(text, str) and encoding
    path = WORK / "input"
    path.write_bytes(data)
    try:
        for _, line in iter_lines(path, max_line=64):
            assert len(line) <= 64
    except InputFormatError:
        assert data.startswith(b"\x1f\x8b"), "only damaged gzip may be refused"


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
