"""Temporary files of the evidence store, named for the process that writes them.

An upload is written to ``tmp/<uuid>.<pid>@<host>.part`` and archive expansion works in
``tmp/work-<uuid>.<pid>@<host>``. When a web process is killed mid-upload nothing
removes them, so each web process sweeps at start-up: a temporary file is removed when
its writer was a process on this host that no longer runs, or when nothing has
written to it for ``max_age`` seconds (writers on other hosts sharing the store).
Nothing in ``tmp/`` is ever visible as evidence.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import time
import uuid
from pathlib import Path

log = logging.getLogger(__name__)

#: Temporary files nobody wrote to for a day belong to no running upload.
DEFAULT_MAX_AGE = 24 * 3600


def _host() -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in socket.gethostname())[:64]


def owner() -> str:
    """``<pid>@<host>`` of this process."""
    return f"{os.getpid()}@{_host()}"


def temp_name(prefix: str = "", suffix: str = "") -> str:
    """A unique temporary name that says which process writes it."""
    return f"{prefix}{uuid.uuid4().hex}.{owner()}{suffix}"


def _writer_is_gone(name: str) -> bool:
    """True when ``name`` was written by a process of this host that has ended."""
    stem = name.removesuffix(".part")
    _, _, tag = stem.rpartition(".")
    pid_text, at, host = tag.partition("@")
    if not at or host != _host() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return False


def _last_write(path: Path) -> float:
    if path.is_dir():
        times = [path.stat().st_mtime]
        times += [p.stat().st_mtime for p in path.rglob("*")]
        return max(times)
    return path.stat().st_mtime


def sweep_stale(tmp_dir: Path, *, max_age: float = DEFAULT_MAX_AGE) -> int:
    """Remove the temporary files no running process writes; returns how many."""
    if not tmp_dir.is_dir():
        return 0
    removed = 0
    now = time.time()
    for path in tmp_dir.iterdir():
        if not (path.name.endswith(".part") or path.name.startswith("work-")):
            continue
        try:
            stale = _writer_is_gone(path.name) or now - _last_write(path) > max_age
            if not stale:
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:  # its writer finished meanwhile
            continue
        removed += 1
    if removed:
        log.info("removed %d abandoned temporary file(s) from %s", removed, tmp_dir)
    return removed
