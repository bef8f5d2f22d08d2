"""Small, failure-tolerant reads of the target's file system.

Damaged images have entries that cannot be listed, stat'ed or read; each such entry is
reported once through ``scope.warn`` and counted as a skipped record, and the caller
moves on with the rest.
"""

from __future__ import annotations

from typing import Any

from madoguchi.analyzers.disk.scope import Scope


def _unreadable(scope: Scope, what: str, where: str, error: Exception) -> None:
    scope.ctx.skipped_records += 1
    scope.warn(f"{what}: {type(error).__name__}: {error}", where)


def entry_kind(scope: Scope, entry: Any) -> str:
    """``link``, ``dir``, ``file`` or ``other``; ``unreadable`` after a warning."""
    try:
        if entry.is_symlink():
            return "link"
        if entry.is_dir():
            return "dir"
        return "file" if entry.is_file() else "other"
    except Exception as error:  # a damaged entry
        _unreadable(scope, "entry cannot be read", str(entry), error)
        return "unreadable"


def list_folder(scope: Scope, folder: str, *, recursive: bool = False) -> list[Any]:
    """The entries of ``folder`` sorted by name; empty when it does not exist."""
    try:
        path = scope.target.fs.path(folder)
        if not path.is_dir():
            return []
        entries = path.rglob("*") if recursive else path.iterdir()
        return sorted(entries, key=lambda p: str(p).lower())
    except Exception as error:  # a damaged folder
        _unreadable(scope, "folder cannot be listed", folder, error)
        return []


def read_head(scope: Scope, inner: str, limit: int) -> bytes | None:
    """Up to ``limit`` bytes of a file; ``None`` when it does not exist or cannot be read."""
    try:
        path = scope.target.fs.path(inner)
        if not path.is_file():
            return None
        with path.open() as handle:
            data: bytes = handle.read(limit)
        return data
    except Exception as error:  # a damaged file
        _unreadable(scope, "file cannot be read", inner, error)
        return None
