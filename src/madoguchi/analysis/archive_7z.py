"""7z archives for :mod:`.archives` (loaded on first use: py7zr is slow to import).

Members are written through a writer factory so that every byte is counted against
the expansion's limits as it is decompressed; an encrypted archive is tried with each
password given, and what a failed attempt wrote is removed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

import py7zr

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


def read_7z(ex: _Expansion, archive: Path, folder: Path, label: str) -> Iterator[ExpansionItem]:
    # A file object (not a path) makes py7zr decompress in this thread, so a limit
    # crossed inside a writer stops the extraction at once.
    with archive.open("rb") as handle:
        candidates: tuple[str | None, ...] = ex.passwords or (None,)
        for attempt, password in enumerate(candidates, start=1):
            handle.seek(0)
            try:
                szf = py7zr.SevenZipFile(handle, mode="r", password=password)
            except py7zr.PasswordRequired as error:
                raise ArchiveError(
                    "7z archive has encrypted names and no password was given", where=label
                ) from error
            except Exception as error:  # damaged headers, or encrypted names + wrong password
                if attempt < len(candidates):
                    continue
                reason = "wrong password or damaged" if password else "damaged"
                raise ArchiveError(
                    f"7z archive cannot be opened ({reason}): {error}", where=label
                ) from error
            with szf:
                items, failure = _extract_7z(ex, szf, folder, label, password)
            if failure is not None:
                if attempt < len(candidates):
                    continue
                raise ArchiveError(failure, where=label)
            yield from items
            return


def _extract_7z(
    ex: _Expansion, szf: py7zr.SevenZipFile, folder: Path, label: str, password: str | None
) -> tuple[list[ExpansionItem], str | None]:
    """Members and problems of one attempt, or why the password looks wrong."""
    if szf.needs_password() and password is None:
        raise ArchiveError("7z archive is encrypted and no password was given", where=label)
    items: list[ExpansionItem] = []
    wanted: dict[str, str] = {}
    declared: dict[str, int] = {}
    members_before = ex.members
    for info in szf.list():
        name = info.filename
        if info.is_directory:
            continue
        if info.is_symlink:
            message = f"link member {name!r} skipped: links are never followed"
            items.append(MemberProblem(name, ArchiveError(message, where=label)))
            continue
        try:
            wanted[name] = _safe(name, label)
            ex.admit(label, name, info.uncompressed)
            declared[name] = info.compressed or 0
        except ExpansionLimitError:
            raise
        except ArchiveError as error:
            wanted.pop(name, None)
            items.append(MemberProblem(name, error))
    if not wanted:
        return items, None
    factory = _SevenZipWriters(ex, folder, label, wanted, declared)
    try:
        szf.extract(path=factory.folder, targets=list(wanted), factory=factory)
    except ArchiveError:
        factory.discard()
        raise
    except Exception as error:  # py7zr raises many types on a wrong password or damage
        factory.discard()
        if szf.needs_password():
            ex.members = members_before
            return [], f"wrong password for the encrypted 7z archive (or it is damaged): {error}"
        message = f"7z archive cannot be read: {type(error).__name__}: {error}"
        raise ArchiveError(message, where=label) from error
    items.extend(factory.finished())
    return items, None


class _SevenZipWriter(py7zr.io.Py7zIO):
    def __init__(self, owner: _SevenZipWriters, name: str, target: Path) -> None:
        self.owner = owner
        self.name = name
        self.target = target
        self.written = 0
        self.handle: IO[bytes] | None = target.open("wb")

    def write(self, s: bytes | bytearray) -> int:
        assert self.handle is not None
        ex = self.owner.ex
        self.handle.write(s)
        self.written += len(s)
        ex.total_out += len(s)
        try:
            compressed = self.owner.declared.get(self.name) or None
            ex._check(self.owner.label, self.name, self.written, compressed)
        except ArchiveError:
            self.close()
            self.target.unlink(missing_ok=True)
            self.owner.failed.add(self.name)
            raise
        return len(s)

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def flush(self) -> None:
        if self.handle is not None:
            self.handle.flush()

    def size(self) -> int:
        return self.written

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


class _SevenZipWriters(py7zr.io.WriterFactory):
    def __init__(
        self,
        ex: _Expansion,
        folder: Path,
        label: str,
        wanted: dict[str, str],
        declared: dict[str, int],
    ) -> None:
        self.ex = ex
        self.folder = folder.resolve()
        self.label = label
        self.by_output: dict[str, str] = {}
        self.wanted = wanted
        self.declared = declared
        self.writers: list[_SevenZipWriter] = []
        self.failed: set[str] = set()

    def create(self, filename: str) -> py7zr.io.Py7zIO:
        name = self._member_name(filename)
        target = self.ex.local_path_for(self.folder, self.wanted.get(name, name))
        writer = _SevenZipWriter(self, name, target)
        self.writers.append(writer)
        return writer

    def _member_name(self, filename: str) -> str:
        path = Path(filename)
        try:
            return path.relative_to(self.folder).as_posix()
        except ValueError:
            return path.name

    def finished(self) -> Iterator[ExpansionItem]:
        for writer in self.writers:
            writer.close()
            if writer.name in self.failed:
                continue
            yield ExpandedMember(
                self.wanted.get(writer.name, writer.name), writer.target, writer.written
            )

    def discard(self) -> None:
        """Remove what a failed attempt wrote (a damaged or wrongly decrypted stream)."""
        for writer in self.writers:
            writer.close()
            self.ex.total_out -= writer.written
            writer.target.unlink(missing_ok=True)
        self.writers = []
