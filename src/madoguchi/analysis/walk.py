"""Walking what the user gave: files, folders and archives, as ``EvidenceFile`` objects.

Paths are shown as walked: a file in a folder keeps the folder as typed
(``logs/Security.evtx``), an archive member joins the archive path and the member path
with ``!`` (``case.zip!host1/Security.evtx``, nested: ``a.zip!b.zip!c.evtx``). Archives are
expanded into a temporary folder that is removed when the walk is closed; problems with
an archive become warnings on that archive's input, and the walk goes on.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePath

from madoguchi.analysis.archives import (
    ArchiveLimits,
    ExpandedMember,
    MemberProblem,
    archive_format,
    expand_archive,
)
from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import HEAD_SIZE, EvidenceFile, InputWarning
from madoguchi.domain.errors import ArchiveError, NotFoundError

ARCHIVE_WARNING = "archive"
"""The ``analyzer`` name on warnings the walk itself raises."""


class EvidenceWalk:
    """Iterate over every evidence file under ``paths``; use as a context manager.

    ``warnings`` collects archive and file-system problems, each on the input it
    belongs to; ``containers`` holds the display paths of archives that were expanded.
    """

    def __init__(
        self,
        paths: Sequence[Path | str],
        *,
        passwords: Sequence[str] = (),
        limits: ArchiveLimits | None = None,
        expand_archives: bool = True,
        workdir: Path | None = None,
    ) -> None:
        self.paths = [Path(p) for p in paths]
        self.passwords = tuple(passwords)
        self.limits = limits or ArchiveLimits()
        self.expand_archives = expand_archives
        self.warnings: list[InputWarning] = []
        self.containers: set[str] = set()
        self._workdir = workdir
        self._tmp: Path | None = None
        self._archives = 0

    def __enter__(self) -> EvidenceWalk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove every temporary extraction."""
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __iter__(self) -> Iterator[EvidenceFile]:
        for path in self.paths:
            if not path.exists():
                raise NotFoundError("no such file or directory", where=str(path))
        for path in self.paths:
            if path.is_dir():
                yield from self._folder(path)
            else:
                yield from self._file(path, display_path(path))

    def _folder(self, root: Path) -> Iterator[EvidenceFile]:
        for folder, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for filename in sorted(filenames):
                path = Path(folder) / filename
                display = display_path(path)
                if not path.is_file():
                    self._warn(display, "not a regular file (or a broken link): skipped")
                    continue
                yield from self._file(path, display)

    def _file(self, path: Path, display: str) -> Iterator[EvidenceFile]:
        try:
            with path.open("rb") as handle:
                head = handle.read(HEAD_SIZE)
            size = path.stat().st_size
        except OSError as error:
            self._warn(display, f"cannot be read: {error.strerror or error}")
            return
        evidence = EvidenceFile(display, path, kinds.detect_kind(head), size)
        evidence.__dict__["head"] = head  # already read: spare the analyzers a second read
        yield evidence
        if self.expand_archives and archive_format(head[:512]) is not None:
            yield from self._archive(path, display)

    def _archive(self, path: Path, display: str) -> Iterator[EvidenceFile]:
        self.containers.add(display)
        dest = self._scratch() / str(self._archives)
        self._archives += 1
        try:
            for item in expand_archive(
                path, dest, name=display, passwords=self.passwords, limits=self.limits
            ):
                if isinstance(item, MemberProblem):
                    where = f"{display}!{item.archive}" if item.archive else display
                    self._warn(where, item.message)
                    continue
                yield self._member(display, item)
        except ArchiveError as error:
            self._warn(display, error.message)
        except OSError as error:
            self._warn(display, f"archive cannot be expanded: {error}")

    def _member(self, display: str, member: ExpandedMember) -> EvidenceFile:
        member_display = f"{display}!{member.member_path}"
        with member.local_path.open("rb") as handle:
            head = handle.read(HEAD_SIZE)
        if archive_format(head[:512]) is not None:
            self.containers.add(member_display)
        evidence = EvidenceFile(
            member_display, member.local_path, kinds.detect_kind(head), member.size
        )
        evidence.__dict__["head"] = head
        return evidence

    def _scratch(self) -> Path:
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="madoguchi-walk-", dir=self._workdir))
        return self._tmp

    def _warn(self, path: str, message: str) -> None:
        self.warnings.append(InputWarning(ARCHIVE_WARNING, path, message))


def display_path(path: Path) -> str:
    """How a path the user typed is shown: POSIX separators, no leading ``./``."""
    return PurePath(path).as_posix()
