"""Whether rule folders have changed: a fingerprint of the files in them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any


def rule_files_fingerprint(
    paths: Iterable[Path], patterns: tuple[str, ...] = ("*",)
) -> tuple[Any, ...]:
    """Every file matching ``patterns`` under ``paths`` (a path that is a file: itself)
    with its modification time and size; equal fingerprints mean unchanged rules. A path
    that cannot be read gives its error instead (the loaders report the problem)."""
    out: list[Any] = []
    for path in paths:
        try:
            files = (
                sorted({f for pattern in patterns for f in path.rglob(pattern)})
                if path.is_dir()
                else [path]
            )
            stats = [(f.stat(), f) for f in files]
        except OSError as error:
            out.append((str(path), repr(error)))
            continue
        out.append((str(path), tuple((str(f), st.st_mtime_ns, st.st_size) for st, f in stats)))
    return tuple(out)
