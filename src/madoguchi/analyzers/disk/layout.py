"""Recognising a triage collection from one of its files.

The runner hands analyzers one file at a time; a collection (KAPE, CyLR, Velociraptor
offline collector, UAC, or a plain copy of a system drive's folders, unpacked from a
zip or given as a folder) is analysed once, through its *anchor*: the first of these
that exists under the collection's root:

1. ``uac.log`` beside ``[root]/`` (UAC)
2. ``uploads.json`` beside ``uploads/`` (Velociraptor offline collector)
3. ``*_ConsoleLog.txt`` (KAPE's log in its target folder)
4. ``<drive>/Windows/System32/config/SYSTEM`` (any collection of a Windows drive)
5. ``<drive>/$MFT``
6. ``etc/passwd`` beside ``var/`` (a Linux tree)

Whichever file of the collection the runner offers, the same root and the same anchor
come out, so the collection is analysed exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_CLIMB = 8
_MARKER_NAMES = frozenset({"uac.log", "uploads.json", "system", "$mft", "passwd"})


@dataclass(frozen=True)
class Collection:
    root: Path
    layout: str  # "uac", "velociraptor", "kape", "windows-tree", "linux-tree"
    anchor: Path


def is_marker_name(name: str) -> bool:
    lower = name.lower()
    return lower in _MARKER_NAMES or lower.endswith("_consolelog.txt")


def _child(folder: Path, name: str) -> Path | None:
    """``folder/name`` matched without regard to case (collections come from Windows)."""
    exact = folder / name
    if exact.exists():
        return exact
    try:
        for entry in folder.iterdir():
            if entry.name.lower() == name.lower():
                return entry
    except OSError:
        return None
    return None


def _walk(folder: Path, *parts: str) -> Path | None:
    current: Path | None = folder
    for part in parts:
        if current is None:
            return None
        current = _child(current, part)
    return current


def _is_drive_dir(path: Path) -> bool:
    name = path.name
    return (
        (len(name) == 1 and name.isalpha())
        or (len(name) == 2 and name[1] == ":")
        or (name.upper().endswith("%3A") and len(name) == 4)
    )


def _drives(root: Path) -> list[Path]:
    try:
        return sorted((p for p in root.iterdir() if p.is_dir() and _is_drive_dir(p)), key=str)
    except OSError:
        return []


def _console_logs(root: Path) -> list[Path]:
    try:
        return sorted(p for p in root.glob("*_ConsoleLog.txt") if p.is_file())
    except OSError:
        return []


def _tool_root(start: Path) -> Collection | None:
    """A UAC, Velociraptor or KAPE root at or above ``start``."""
    current = start
    for _ in range(MAX_CLIMB):
        uac = _child(current, "uac.log")
        if uac is not None and uac.is_file() and (current / "[root]").is_dir():
            return Collection(current, "uac", uac)
        uploads = _child(current, "uploads.json")
        if uploads is not None and uploads.is_file() and (current / "uploads").is_dir():
            return Collection(current, "velociraptor", uploads)
        logs = _console_logs(current)
        if logs:
            return Collection(current, "kape", logs[0])
        if current.parent == current:
            break
        current = current.parent
    return None


def _windows_anchor(root: Path) -> Path | None:
    for drive in [*_drives(root), root]:
        hive = _walk(drive, "Windows", "System32", "config", "SYSTEM")
        if hive is not None and hive.is_file():
            return hive
    for drive in [*_drives(root), root]:
        mft = _child(drive, "$MFT")
        if mft is not None and mft.is_file():
            return mft
    return None


def find_collection(path: Path) -> Collection | None:
    """The collection ``path`` belongs to, when ``path`` is one of its marker files."""
    if not is_marker_name(path.name):
        return None
    root = _root_from_marker(path)
    if root is None:
        return None
    tool = _tool_root(root)
    if tool is not None:
        return tool
    anchor = _windows_anchor(root)
    if anchor is not None:
        return Collection(root, "windows-tree", anchor)
    passwd = _walk(root, "etc", "passwd")
    if passwd is not None and passwd.is_file() and _child(root, "var") is not None:
        return Collection(root, "linux-tree", passwd)
    return None


def _root_from_marker(path: Path) -> Path | None:
    lower = path.name.lower()
    parts = [p.lower() for p in path.parts]
    if lower in ("uac.log", "uploads.json") or lower.endswith("_consolelog.txt"):
        return path.parent
    if lower == "system" and parts[-4:-1] == ["windows", "system32", "config"]:
        windows_parent = path.parents[3]
        return windows_parent.parent if _is_drive_dir(windows_parent) else windows_parent
    if lower == "$mft":
        return path.parent.parent if _is_drive_dir(path.parent) else path.parent
    if lower == "passwd" and path.parent.name == "etc":
        root = path.parent.parent
        return root.parent if root.name == "[root]" else root
    return None


def inner_relative(collection: Collection) -> str:
    """The anchor's path under the collection root, POSIX style."""
    return PurePosixPath(*collection.anchor.relative_to(collection.root).parts).as_posix()


def root_display(anchor_display: str, collection: Collection) -> str:
    """The collection's display path, from the anchor's (``case.zip!C/…/SYSTEM`` → ``case.zip``)."""
    relative = inner_relative(collection)
    if anchor_display.endswith(relative):
        head = anchor_display[: -len(relative)].rstrip("/!")
        if head:
            return head
    return collection.root.name or anchor_display
