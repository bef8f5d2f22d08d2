"""Zip archives for :mod:`.archives` (loaded on first use: pyzipper brings PyCryptodome).

Names without the UTF-8 flag are tried as UTF-8, then cp932 (Japanese Windows), as
Windows' own zip folders write them; AES and ZipCrypto members are opened with each
password given.
"""

from __future__ import annotations

import lzma
import stat
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pyzipper

from madoguchi.analysis.archives import (
    ExpandedMember,
    ExpansionItem,
    ExpansionLimitError,
    MemberProblem,
    _safe,
)
from madoguchi.domain.errors import ArchiveError

if TYPE_CHECKING:
    from madoguchi.analysis.archives import _Expansion


def _zip_name(info: Any) -> str:
    """Zip names without the UTF-8 flag are often cp932 (Japanese Windows), not cp437."""
    name: str = info.filename
    if info.flag_bits & 0x800:
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    for encoding in ("utf-8", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return name


def read_zip(ex: _Expansion, archive: Path, folder: Path, label: str) -> Iterator[ExpansionItem]:
    try:
        zf = pyzipper.AESZipFile(archive)
    except (pyzipper.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as error:
        raise ArchiveError(f"damaged zip archive: {error}", where=label) from error
    with zf:
        for info in zf.infolist():
            name = _zip_name(info)
            if info.filename.endswith("/"):  # a directory (is_dir() fails on an empty name)
                continue
            try:
                yield _zip_member(ex, zf, info, name, folder, label)
            except ExpansionLimitError:
                raise
            except ArchiveError as error:
                yield MemberProblem(name, error)
            except OSError as error:
                message = f"member {name!r} cannot be written: {error}"
                yield MemberProblem(name, ArchiveError(message, where=label))


def _zip_member(
    ex: _Expansion, zf: Any, info: Any, name: str, folder: Path, label: str
) -> ExpandedMember:
    safe = _safe(name, label)
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise ArchiveError(f"link member {name!r} skipped: links are never followed", where=label)
    ex.admit(label, name, info.file_size)
    limits = ex.limits
    if (
        info.file_size >= limits.ratio_floor
        and info.file_size / max(info.compress_size, 1) > limits.max_member_ratio
    ):
        raise ArchiveError(
            f"member {name!r} looks like a decompression bomb (declared ratio "
            f"{info.file_size / max(info.compress_size, 1):.0f}:1)",
            where=label,
        )
    handle = _open_zip_member(ex, zf, info, name, label)
    target = ex.local_path_for(folder, safe)
    encrypted = bool(info.flag_bits & 0x1)
    try:
        with handle:
            size = ex.copy(handle, target, label=label, member=name, compressed=info.compress_size)
    except (pyzipper.BadZipFile, zlib.error, EOFError, OSError, lzma.LZMAError) as error:
        hint = " (wrong password or damaged)" if encrypted else ""
        raise ArchiveError(f"member {name!r} cannot be read{hint}: {error}", where=label) from error
    except RuntimeError as error:
        raise ArchiveError(f"member {name!r} cannot be read: {error}", where=label) from error
    return ExpandedMember(safe, target, size)


def _open_zip_member(ex: _Expansion, zf: Any, info: Any, name: str, label: str) -> IO[bytes]:
    if not info.flag_bits & 0x1:
        try:
            handle: IO[bytes] = zf.open(info)
        except (pyzipper.BadZipFile, NotImplementedError, OSError, zlib.error, ValueError) as error:
            raise ArchiveError(f"member {name!r} cannot be read: {error}", where=label) from error
        return handle
    if not ex.passwords:
        raise ArchiveError(f"member {name!r} is encrypted and no password was given", where=label)
    for password in ex.passwords:
        try:
            handle = zf.open(info, pwd=password.encode("utf-8"))
        except RuntimeError:
            continue
        except (pyzipper.BadZipFile, NotImplementedError, OSError, zlib.error, ValueError) as error:
            raise ArchiveError(f"member {name!r} cannot be read: {error}", where=label) from error
        return handle
    raise ArchiveError(f"wrong password for encrypted member {name!r}", where=label)
