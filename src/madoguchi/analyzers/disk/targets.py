"""Opening disk images and triage collections with dissect.target, read-only.

dissect.target reads raw/dd images, EWF (E01), VMDK (monolithic, split, ESXi flat and
sparse), VHD, VHDX, VDI and QCOW2 through its container and loader layers, and folders
laid out like a system drive (KAPE, CyLR, Velociraptor offline collector, UAC). Every
file handle it opens is read-only; nothing is mounted and nothing is executed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from madoguchi.domain.errors import InputFormatError

# dissect.target logs every plugin it cannot import and every artefact it cannot
# find at WARNING; the analyzer reports what matters through ctx.warn instead.
_QUIET_LOGGERS = ("dissect", "flow.record")


class ImageOpenError(InputFormatError):
    """The image or collection cannot be opened (damaged, encrypted, unknown format)."""

    code = "image_open"


def quiet_dissect_logging() -> None:
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def open_target(path: Path, *, where: str) -> Any:
    """A ``dissect.target.Target`` for ``path``; raises :class:`ImageOpenError`."""
    quiet_dissect_logging()
    try:
        from dissect.target import Target
    except ImportError as error:
        raise ImageOpenError(f"could not open image: dissect.target missing ({error})") from error
    try:
        target = Target.open(path)
    except Exception as error:  # dissect raises many unrelated types on bad input
        raise ImageOpenError(f"could not open image: {_reason(error)}", where=where) from error
    if not list(target.filesystems):
        volumes = len(list(target.volumes))
        raise ImageOpenError(
            "could not open image: no readable file system found "
            f"({volumes} volume(s); encrypted, damaged or an unsupported file system)",
            where=where,
        )
    return target


def os_name(target: Any) -> str:
    """``windows``, ``linux``, ``esxi``, ``unix``, ``macos``… or ``unknown``."""
    try:
        return str(target.os or "unknown")
    except Exception:
        return "unknown"


def describe(target: Any) -> dict[str, Any]:
    """Host name, OS version and volumes, each ``None`` when it cannot be read."""
    return {
        "os": os_name(target),
        "hostname": _safe(lambda: target.hostname),
        "version": _safe(lambda: target.version),
        "domain": _safe(lambda: target.domain),
        "volumes": [_volume(v) for v in _iter_safe(lambda: target.volumes)],
        "filesystems": [
            str(getattr(fs, "__type__", type(fs).__name__))
            for fs in _iter_safe(lambda: target.filesystems)
        ],
    }


def _volume(volume: Any) -> dict[str, Any]:
    return {
        "name": _safe(lambda: volume.name),
        "size": _safe(lambda: int(volume.size)),
        "fs": _safe(lambda: getattr(volume.fs, "__type__", None)),
    }


def _safe(getter: Any) -> Any:
    try:
        value = getter()
    except Exception:
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _iter_safe(getter: Any) -> Iterator[Any]:
    try:
        yield from list(getter())
    except Exception:
        return


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__
