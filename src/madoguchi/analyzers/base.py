"""The analyzer extension point.

An analyzer declares ``name``, ``version`` and ``accepts`` (the evidence kinds it can
read, see :mod:`madoguchi.analyzers.kinds`), answers a cheap ``sniff`` and *yields*
results from ``analyze``. It never touches the database, the web session or the
queue; problems with the input go through ``ctx.warn`` and are shown to the user.

``prepare`` runs once per run before any file is analysed: compile rules there and
report rule files that cannot be loaded with ``ctx.rule_not_loaded``.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import IO, Any, ClassVar, Protocol, TypeVar, runtime_checkable

from madoguchi.domain.findings import AnalyzerOutput, EvidenceRef

HEAD_SIZE = 64 * 1024

T = TypeVar("T")


def file_sha256(path: Path, *, stop: threading.Event | None = None) -> str:
    """The SHA-256 of a file, read 1 MiB at a time; ``stop``, once set, ends the reading
    with ``RuntimeError`` between two blocks (a run that ended early)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            if stop is not None and stop.is_set():
                raise RuntimeError("hashing stopped: the run ended")
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class EvidenceFile:
    """One file handed to analyzers.

    ``path`` is the display path as walked (``logs.zip!Security.evtx`` for an archive
    member); ``local_path`` is where its bytes can be read on this machine (the file
    itself, or a temporary extraction). ``kind`` is the content-detected kind.
    """

    path: str
    local_path: Path
    kind: str = "binary"
    size: int = 0

    @cached_property
    def head(self) -> bytes:
        """The first 64 KiB, for sniffing."""
        with self.local_path.open("rb") as handle:
            return handle.read(HEAD_SIZE)

    @cached_property
    def sha256(self) -> str:
        return file_sha256(self.local_path)

    def open(self) -> IO[bytes]:
        return self.local_path.open("rb")

    def ref(self, *, record_id: int | None = None, line: int | None = None) -> EvidenceRef:
        return EvidenceRef(path=self.path, record_id=record_id, line=line)


@dataclass(frozen=True)
class InputWarning:
    """A problem with the input, shown to the user (never swallowed)."""

    analyzer: str
    path: str
    message: str
    record_id: int | None = None
    line: int | None = None


@dataclass(frozen=True)
class RuleLoadError:
    rule_file: str
    reason: str
    analyzer: str = ""


@dataclass
class RunOptions:
    """What the person running the analysis asked for."""

    rule_dirs: tuple[Path, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class AnalysisContext:
    """Handed to ``prepare`` and ``analyze``: options in, warnings and counters out."""

    options: RunOptions = field(default_factory=RunOptions)
    analyzer: str = ""
    warnings: list[InputWarning] = field(default_factory=list)
    rules_not_loaded: list[RuleLoadError] = field(default_factory=list)
    events: int = 0
    skipped_records: int = 0
    _cache: dict[str, Any] = field(default_factory=dict)

    def warn(
        self, message: str, *, path: str, record_id: int | None = None, line: int | None = None
    ) -> None:
        self.warnings.append(InputWarning(self.analyzer, path, message, record_id, line))

    def skipped(
        self, message: str, *, path: str, record_id: int | None = None, line: int | None = None
    ) -> None:
        """Count one record that could not be read and warn about it."""
        self.skipped_records += 1
        self.warn(message, path=path, record_id=record_id, line=line)

    def rule_not_loaded(self, rule_file: str, reason: str) -> None:
        self.rules_not_loaded.append(RuleLoadError(rule_file, reason, self.analyzer))

    def count_events(self, n: int = 1) -> None:
        self.events += n

    def in_window(self, when: datetime | None) -> bool:
        """True when ``when`` lies inside ``--since``/``--until`` (or is unknown)."""
        if when is None:
            return True
        when = _utc(when)
        since, until = self.options.since, self.options.until
        if since is not None and when < _utc(since):
            return False
        return not (until is not None and when > _utc(until))

    def cached(self, key: str, factory: Callable[[], T]) -> T:
        """A value built once per run and shared by every file (compiled rules)."""
        if key not in self._cache:
            self._cache[key] = factory()
        value: T = self._cache[key]
        return value


def _utc(when: datetime) -> datetime:
    """Naive times are taken as UTC, so naive and aware times compare."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


@runtime_checkable
class Analyzer(Protocol):
    name: ClassVar[str]
    version: ClassVar[str]
    accepts: ClassVar[frozenset[str]]

    def prepare(self, ctx: AnalysisContext) -> None: ...

    def sniff(self, evidence: EvidenceFile) -> bool: ...

    def analyze(self, evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[AnalyzerOutput]: ...


class BaseAnalyzer:
    """Convenience base: a no-op ``prepare`` and a ``sniff`` that trusts ``accepts``."""

    name: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    accepts: ClassVar[frozenset[str]] = frozenset()
    reads_rule_dirs: ClassVar[bool] = False
    """Whether ``prepare`` loads ``ctx.options.rule_dirs`` (then the runner prepares the
    analyzer whenever rule folders are given, to report the rules it cannot load)."""

    def prepare(self, ctx: AnalysisContext) -> None:
        return None

    def sniff(self, evidence: EvidenceFile) -> bool:
        return evidence.kind in self.accepts

    def analyze(self, evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[AnalyzerOutput]:
        raise NotImplementedError
