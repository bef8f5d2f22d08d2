"""Fuzz archive expansion: only ``ArchiveError`` may escape, nothing lands outside
the destination, and no link is created."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from madoguchi.analysis.archives import ArchiveLimits, MemberProblem, expand_archive
    from madoguchi.domain.errors import ArchiveError

WORK = Path(tempfile.mkdtemp(prefix="fuzz-archives-"))
LIMITS = ArchiveLimits(max_member_size=1 << 20, max_total_size=4 << 20, ratio_floor=1 << 16)


def one_input(data: bytes) -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    dest = WORK / "out"
    dest.mkdir(parents=True)
    source = WORK / "upload.bin"
    source.write_bytes(data)
    try:
        for item in expand_archive(source, dest, passwords=["infected"], limits=LIMITS):
            if not isinstance(item, MemberProblem):
                assert item.local_path.resolve().is_relative_to(dest.resolve())
    except ArchiveError:
        pass
    for path in WORK.rglob("*"):
        assert path in (source, dest) or path.is_relative_to(dest), f"outside: {path}"
        assert not path.is_symlink(), f"link: {path}"


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
