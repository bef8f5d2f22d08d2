"""Safe expansion of evidence archives: zip (plain, ZipCrypto, AES), 7z, tar, gzip, bzip2, xz.

This module knows nothing about analysis: the desk's evidence upload uses it too.
:func:`expand_archive` streams every member into a destination directory and yields
one :class:`ExpandedMember` per file written, or one :class:`MemberProblem` per member
it refused or could not read (path traversal, absolute names, links, bombs, missing or
wrong password, damage). Other members are still expanded where that is safe.

The whole expansion stops with an :class:`~madoguchi.domain.errors.ArchiveError` when
the archive cannot be read at all, and with :class:`ExpansionLimitError` when a limit on
the whole expansion is crossed (total size, member count, overall compression ratio);
members yielded before that stay valid.

Nested archives are expanded recursively up to ``ArchiveLimits.max_depth``; a nested
member's path joins the archive names with ``!`` (``inner.zip!logs/Security.evtx``).
Each archive is expanded into its own numbered folder under ``dest``, so member names
can never overwrite one another across archives.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import tarfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from madoguchi.domain.errors import ArchiveError

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
_CHUNK = MiB

ZIP = "zip"
SEVEN_ZIP = "7z"
TAR = "tar"
GZIP = "gzip"
BZIP2 = "bzip2"
XZ = "xz"

_COMPRESSED_STREAMS: dict[str, Callable[..., Any]] = {
    GZIP: gzip.open,
    BZIP2: bz2.open,
    XZ: lzma.open,
}
_STREAM_SUFFIXES = {GZIP: (".gz", ".gzip", ".z"), BZIP2: (".bz2", ".bz"), XZ: (".xz",)}
_TAR_SUFFIXES = (".tgz", ".tbz2", ".tbz", ".txz")


class ExpansionLimitError(ArchiveError):
    """A limit on the whole expansion was crossed; nothing more is expanded."""

    code = "archive_limit"


@dataclass(frozen=True)
class ArchiveLimits:
    """Limits that keep a hostile archive from filling the disk or the clock.

    Ratios are expanded bytes over compressed bytes; they are only checked once a
    member (or the whole expansion) has produced ``ratio_floor`` bytes, so small,
    very compressible text files are never refused.
    """

    max_member_size: int = 64 * GiB
    max_total_size: int = 256 * GiB
    max_members: int = 100_000
    max_depth: int = 5
    max_member_ratio: float = 200.0
    max_total_ratio: float = 100.0
    ratio_floor: int = 32 * MiB


@dataclass(frozen=True)
class ExpandedMember:
    """One file written: ``member_path`` inside the archive, where it is, how big."""

    member_path: str
    local_path: Path
    size: int
    depth: int = 1


@dataclass(frozen=True)
class MemberProblem:
    """A member that was refused or could not be read.

    ``archive`` is the member path of the archive that holds it ("" for the archive
    passed to :func:`expand_archive`), so a caller can show the problem on the right
    container.
    """

    member_path: str
    error: ArchiveError
    archive: str = ""

    @property
    def message(self) -> str:
        return self.error.message


ExpansionItem = ExpandedMember | MemberProblem


def archive_format(head: bytes) -> str | None:
    """The archive format of a file from its first bytes, or None."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return ZIP
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return SEVEN_ZIP
    if head.startswith(b"\x1f\x8b"):
        return GZIP
    if head.startswith(b"BZh") and head[4:10] == b"1AY&SY":
        return BZIP2
    if head.startswith(b"\xfd7zXZ\x00"):
        return XZ
    if len(head) > 262 and head[257:262] == b"ustar":
        return TAR
    return None


def expand_archive(
    archive: Path,
    dest: Path,
    *,
    name: str | None = None,
    passwords: Sequence[str] = (),
    limits: ArchiveLimits | None = None,
    recursive: bool = True,
) -> Iterator[ExpansionItem]:
    """Expand ``archive`` into ``dest`` and yield what happened to every member.

    ``name`` is how to call the archive in messages (defaults to its file name);
    ``passwords`` are tried in order on encrypted members.
    """
    expansion = _Expansion(
        dest=dest,
        passwords=tuple(passwords),
        limits=limits or ArchiveLimits(),
        recursive=recursive,
        source_size=max(archive.stat().st_size, 1),
    )
    with archive.open("rb") as head_handle:
        head = head_handle.read(512)
    fmt = archive_format(head)
    if fmt is None:
        raise ArchiveError("not an archive this tool can expand", where=name or archive.name)
    yield from expansion.expand(archive, fmt, label=name or archive.name, prefix="", depth=1)


@dataclass
class _Expansion:
    dest: Path
    passwords: tuple[str, ...]
    limits: ArchiveLimits
    recursive: bool
    source_size: int
    total_out: int = 0
    members: int = 0
    folders: int = 0
    _names: set[Path] = field(default_factory=set)

    # -- one archive ---------------------------------------------------------------

    def expand(
        self, archive: Path, fmt: str, *, label: str, prefix: str, depth: int
    ) -> Iterator[ExpansionItem]:
        folder = self.dest / str(self.folders)
        self.folders += 1
        folder.mkdir(parents=True, exist_ok=True)
        reader = _READERS[fmt]
        for item in reader(self, archive, folder, label):
            if isinstance(item, MemberProblem):
                yield MemberProblem(prefix + item.member_path, item.error, prefix.rstrip("!"))
                continue
            member = ExpandedMember(prefix + item.member_path, item.local_path, item.size, depth)
            yield member
            if self.recursive:
                yield from self._nested(member, label=label, depth=depth)

    def _nested(self, member: ExpandedMember, *, label: str, depth: int) -> Iterator[ExpansionItem]:
        with member.local_path.open("rb") as handle:
            fmt = archive_format(handle.read(512))
        if fmt is None:
            return
        container = member.member_path.rpartition("!")[0]
        if depth >= self.limits.max_depth:
            error = ArchiveError(
                f"nested archive not expanded: deeper than {self.limits.max_depth} levels",
                where=f"{label}!{member.member_path}",
            )
            yield MemberProblem(member.member_path, error, container)
            return
        inner_label = f"{label}!{member.member_path}"
        try:
            yield from self.expand(
                member.local_path,
                fmt,
                label=inner_label,
                prefix=member.member_path + "!",
                depth=depth + 1,
            )
        except ExpansionLimitError:
            raise
        except ArchiveError as error:
            yield MemberProblem(member.member_path, error, container)
        except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as error:
            problem = ArchiveError(f"damaged nested archive: {error}", where=inner_label)
            yield MemberProblem(member.member_path, problem, container)

    # -- shared checks ---------------------------------------------------------------

    def admit(self, label: str, member: str, declared_size: int | None) -> None:
        """Count a member and refuse it early when its declared size is too big."""
        self.members += 1
        if self.members > self.limits.max_members:
            raise ExpansionLimitError(
                f"more than {self.limits.max_members} members: expansion stopped", where=label
            )
        if declared_size is not None and declared_size > self.limits.max_member_size:
            raise ArchiveError(
                f"member {member!r} declares {declared_size} bytes, over the limit of "
                f"{self.limits.max_member_size}",
                where=label,
            )

    def local_path_for(self, folder: Path, safe_name: str) -> Path:
        target = folder.joinpath(*PurePosixPath(safe_name).parts)
        candidate, n = target, 1
        while candidate in self._names or candidate.exists():
            n += 1
            candidate = target.with_name(f"{target.name}~{n}")
        self._names.add(candidate)
        candidate.parent.mkdir(parents=True, exist_ok=True)
        return candidate

    def copy(
        self,
        source: IO[bytes],
        target: Path,
        *,
        label: str,
        member: str,
        compressed: int | None,
        raw: _CountingReader | None = None,
    ) -> int:
        """Stream ``source`` into ``target`` under the limits; returns bytes written."""
        written = 0
        start_raw = raw.count if raw is not None else 0
        try:
            with target.open("wb") as out:
                while chunk := source.read(_CHUNK):
                    out.write(chunk)
                    written += len(chunk)
                    self.total_out += len(chunk)
                    used = compressed if raw is None else raw.count - start_raw
                    self._check(label, member, written, used)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return written

    def _check(self, label: str, member: str, written: int, compressed: int | None) -> None:
        limits = self.limits
        if written > limits.max_member_size:
            raise ArchiveError(
                f"member {member!r} expands beyond {limits.max_member_size} bytes", where=label
            )
        if self.total_out > limits.max_total_size:
            raise ExpansionLimitError(
                f"expansion beyond {limits.max_total_size} bytes in total: stopped", where=label
            )
        if (
            compressed is not None
            and written >= limits.ratio_floor
            and written / max(compressed, 1) > limits.max_member_ratio
        ):
            raise ArchiveError(
                f"member {member!r} looks like a decompression bomb (ratio over "
                f"{limits.max_member_ratio:g}:1)",
                where=label,
            )
        if (
            self.total_out >= limits.ratio_floor
            and self.total_out / self.source_size > limits.max_total_ratio
        ):
            raise ExpansionLimitError(
                f"archive looks like a decompression bomb (overall ratio over "
                f"{limits.max_total_ratio:g}:1): expansion stopped",
                where=label,
            )


# -- member names ----------------------------------------------------------------------


def safe_member_name(name: str) -> str:
    """The member name as a safe relative POSIX path, or raise ``ArchiveError``."""
    if "\x00" in name:
        raise ArchiveError(f"member name contains a NUL byte: {name!r}")
    cleaned = name.replace("\\", "/")
    if cleaned.startswith("/"):
        raise ArchiveError(f"absolute member path refused: {name!r}")
    if len(cleaned) >= 2 and cleaned[1] == ":" and cleaned[0].isalpha():
        raise ArchiveError(f"member path with a drive letter refused: {name!r}")
    parts = [part for part in cleaned.split("/") if part not in ("", ".")]
    if any(part == ".." for part in parts):
        raise ArchiveError(f"member path leaving the archive refused: {name!r}")
    if not parts:
        raise ArchiveError(f"empty member name: {name!r}")
    return "/".join(parts)


class _CountingReader:
    """A read-only file wrapper that counts the compressed bytes consumed."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self.count += len(data)
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False


def _safe(name: str, label: str) -> str:
    try:
        return safe_member_name(name)
    except ArchiveError as error:
        raise ArchiveError(error.message, where=label) from error


# -- tar -----------------------------------------------------------------------------


def _read_tar(ex: _Expansion, archive: Path, folder: Path, label: str) -> Iterator[ExpansionItem]:
    with archive.open("rb") as handle:
        raw = _CountingReader(handle)
        try:
            tf = tarfile.open(fileobj=raw, mode="r|*")  # type: ignore[call-overload]  # noqa: SIM115
        except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError) as error:
            raise ArchiveError(f"damaged tar archive: {error}", where=label) from error
        try:
            yield from _tar_members(ex, tf, raw, folder, label)
        except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError) as error:
            raise ArchiveError(f"damaged tar archive: {error}", where=label) from error
        finally:
            tf.close()


def _tar_members(
    ex: _Expansion, tf: tarfile.TarFile, raw: _CountingReader, folder: Path, label: str
) -> Iterator[ExpansionItem]:
    for info in tf:
        name = info.name
        if info.isdir():
            continue
        if info.issym() or info.islnk():
            yield MemberProblem(
                name,
                ArchiveError(
                    f"link member {name!r} -> {info.linkname!r} skipped: links are never followed",
                    where=label,
                ),
            )
            continue
        if not info.isreg():
            yield MemberProblem(name, ArchiveError(f"special file {name!r} skipped", where=label))
            continue
        try:
            safe = _safe(name, label)
            ex.admit(label, name, info.size)
        except ExpansionLimitError:
            raise
        except ArchiveError as error:
            yield MemberProblem(name, error)
            continue
        source = tf.extractfile(info)
        if source is None:
            continue
        try:
            target = ex.local_path_for(folder, safe)
        except OSError as error:
            message = f"member {name!r} cannot be written: {error}"
            yield MemberProblem(name, ArchiveError(message, where=label))
            continue
        # A bomb inside a compressed tar stream cannot be skipped without inflating it,
        # so a refused member stops this tar (other archives go on).
        size = ex.copy(source, target, label=label, member=name, compressed=None, raw=raw)
        yield ExpandedMember(safe, target, size)


# -- single compressed files (gzip, bzip2, xz) ------------------------------------------


def _read_stream(
    ex: _Expansion, archive: Path, folder: Path, label: str, fmt: str
) -> Iterator[ExpansionItem]:
    opener = _COMPRESSED_STREAMS[fmt]
    try:
        with opener(archive, "rb") as probe:
            head = probe.read(512)
    except (OSError, EOFError, zlib.error, lzma.LZMAError) as error:
        raise ArchiveError(f"damaged {fmt} file: {error}", where=label) from error
    if len(head) > 262 and head[257:262] == b"ustar":
        yield from _read_tar(ex, archive, folder, label)
        return
    name = _stream_member_name(archive, label, fmt)
    ex.admit(label, name, None)
    target = ex.local_path_for(folder, name)
    with archive.open("rb") as handle:
        raw = _CountingReader(handle)
        try:
            with opener(raw, "rb") as source:
                size = ex.copy(source, target, label=label, member=name, compressed=None, raw=raw)
        except (OSError, EOFError, zlib.error, lzma.LZMAError) as error:
            raise ArchiveError(f"damaged {fmt} file: {error}", where=label) from error
    yield ExpandedMember(name, target, size)


def _stream_member_name(archive: Path, label: str, fmt: str) -> str:
    base = PurePosixPath(label.replace("\\", "/").rpartition("!")[2]).name or archive.name
    lower = base.lower()
    for suffix in _TAR_SUFFIXES:
        if lower.endswith(suffix):
            return base[: -len(suffix)] + ".tar"
    for suffix in _STREAM_SUFFIXES[fmt]:
        if lower.endswith(suffix) and len(base) > len(suffix):
            return base[: -len(suffix)]
    return base + ".decompressed"


# -- 7z and zip: their libraries (and PyCryptodome under both) are loaded on first use --


def _read_7z(ex: _Expansion, archive: Path, folder: Path, label: str) -> Iterator[ExpansionItem]:
    from madoguchi.analysis.archive_7z import read_7z

    return read_7z(ex, archive, folder, label)


def _read_zip(ex: _Expansion, archive: Path, folder: Path, label: str) -> Iterator[ExpansionItem]:
    from madoguchi.analysis.archive_zip import read_zip

    return read_zip(ex, archive, folder, label)


def _read_gzip(ex: _Expansion, archive: Path, folder: Path, label: str) -> Iterator[ExpansionItem]:
    return _read_stream(ex, archive, folder, label, GZIP)


def _read_bzip2(ex: _Expansion, archive: Path, folder: Path, label: str) -> Iterator[ExpansionItem]:
    return _read_stream(ex, archive, folder, label, BZIP2)


def _read_xz(ex: _Expansion, archive: Path, folder: Path, label: str) -> Iterator[ExpansionItem]:
    return _read_stream(ex, archive, folder, label, XZ)


_READERS = {
    ZIP: _read_zip,
    SEVEN_ZIP: _read_7z,
    TAR: _read_tar,
    GZIP: _read_gzip,
    BZIP2: _read_bzip2,
    XZ: _read_xz,
}
