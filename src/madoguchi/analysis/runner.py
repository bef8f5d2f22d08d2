"""Running analyzers over walked evidence and building one result document.

For each evidence file, every registered analyzer whose ``accepts`` holds the file's
kind and whose ``sniff`` says yes runs on it. ``prepare`` runs once per analyzer per
run (and once more in each worker process with ``jobs > 1``), and only for the
analyzers the run can use (:func:`needed`): those that read a kind of file the walk
found, and, when rule folders are given, those that read rule folders, so every rule
that cannot be loaded is listed even if no input needed it. An exception from an
analyzer on one file becomes a warning on that input; results yielded before it are
kept and the run goes on. With ``jobs > 1`` files go to a process pool and the outcomes
are merged in walk order, so the document is the same as with one job; with fewer
files than jobs, an analyzer that can split one large file over processes may do so
(:data:`FILE_WORKERS_SETTING`), again with the same document.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import madoguchi
from madoguchi.analysis.archives import ArchiveLimits
from madoguchi.analysis.records import (
    as_utc,
    finding_record,
    in_window,
    indicator_record,
    section_item,
    timeline_record,
)
from madoguchi.analysis.result import (
    RESERVED_SECTION_NAMES,
    AnalyzerInfo,
    BrokenAnalyzerRecord,
    FindingRecord,
    IndicatorRecord,
    InputRecord,
    ResultDocument,
    RuleNotLoadedRecord,
    RunInfo,
    RunWarningRecord,
    Stats,
    TimelineRecord,
    ToolInfo,
    WarningRecord,
    iso_utc,
    normalise,
)
from madoguchi.analysis.walk import EvidenceWalk
from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import (
    AnalysisContext,
    Analyzer,
    EvidenceFile,
    RunOptions,
    file_sha256,
)
from madoguchi.analyzers.forking import freeze_survivors, frozen_heap
from madoguchi.analyzers.registry import Registry, load_registry
from madoguchi.domain.findings import Finding, Observable, Section, TimelineEvent

MAX_WARNINGS_PER_ANALYZER = 200
"""Warnings kept per input and analyzer; the rest are counted in one summary line."""

HASH_ASIDE_BYTES = 16 * 1024 * 1024
"""Files at least this large are hashed in a thread while the analyzers run."""

FREEZE_EVERY = 16_384
"""Records collected between two :func:`~madoguchi.analyzers.forking.freeze_survivors`
calls: they stay until the document is written, so the garbage collector need not walk
them again (see :mod:`madoguchi.analyzers.forking`)."""

FILE_WORKERS_SETTING = "evtx_workers"
"""Set to ``jobs`` (unless given): how many processes may read one large file. Workers
of the runner's own pool never split a file, so this only matters for a single file or
fewer files than jobs."""


@dataclass(frozen=True)
class AnalysisRequest:
    """What to analyse and how (the options of ``madoguchi analyze``)."""

    paths: tuple[Path, ...]
    rule_dirs: tuple[Path, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    only: tuple[str, ...] = ()
    jobs: int = 1
    passwords: tuple[str, ...] = ()
    limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    settings: Mapping[str, Any] = field(default_factory=dict)

    def run_options(self) -> RunOptions:
        settings = dict(self.settings)
        if self.jobs > 1:
            # A file too big for one process may be read by several (the event log
            # analyzer splits .evtx files); only where the runner's own pool is not
            # already using the cores (see ``partitions.worker_count``).
            settings.setdefault(FILE_WORKERS_SETTING, self.jobs)
        return RunOptions(
            rule_dirs=self.rule_dirs,
            since=as_utc(self.since),
            until=as_utc(self.until),
            settings=settings,
        )

    def recorded_options(self) -> dict[str, Any]:
        """The options that shape the result (never passwords, never the job count)."""
        return {
            "paths": [p.as_posix() for p in self.paths],
            "rules": [p.as_posix() for p in self.rule_dirs],
            "since": iso_utc(as_utc(self.since)),
            "until": iso_utc(as_utc(self.until)),
            "analyzers": sorted(self.only),
        }


@dataclass(frozen=True)
class Progress:
    """Reported after each file: how far the run is, in files and bytes."""

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    path: str


ProgressCallback = Callable[[Progress], None]


@dataclass
class FileOutcome:
    """Everything one evidence file produced, as plain records (cheap to pickle)."""

    index: int
    path: str
    sha256: str
    size: int
    kind: str
    analyzers: list[str] = field(default_factory=list)
    warnings: list[WarningRecord] = field(default_factory=list)
    findings: list[FindingRecord] = field(default_factory=list)
    timeline: list[TimelineRecord] = field(default_factory=list)
    indicators: list[IndicatorRecord] = field(default_factory=list)
    sections: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    events: int = 0
    skipped_records: int = 0


class AnalyzerSession:
    """Prepared analyzer instances for one process, each with its own context."""

    def __init__(self, classes: Sequence[type[Analyzer]], options: RunOptions) -> None:
        self.options = options
        self.active: list[tuple[Analyzer, AnalysisContext]] = []
        self.broken: list[BrokenAnalyzerRecord] = []
        self.rules_not_loaded: list[RuleNotLoadedRecord] = []
        self.warnings: list[RunWarningRecord] = []
        self.strings: dict[str, str] = {}  # equal timeline texts shared (records.timeline_record)
        self._unfrozen = 0  # records collected since the last freeze_survivors()
        for cls in classes:
            ctx = AnalysisContext(options=options, analyzer=cls.name)
            try:
                analyzer = cls()
                analyzer.prepare(ctx)
            except Exception as error:  # a broken analyzer must not stop the others
                target = f"{cls.__module__}:{cls.__qualname__}"
                reason = f"prepare failed: {type(error).__name__}: {error}"
                self.broken.append(BrokenAnalyzerRecord(target, reason))
                continue
            for r in ctx.rules_not_loaded:  # once each (the disk analyzer reports its
                # event log analyzer's rules too, under that analyzer's name)
                record = RuleNotLoadedRecord(r.rule_file, r.reason, r.analyzer or cls.name)
                if record not in self.rules_not_loaded:
                    self.rules_not_loaded.append(record)
            self.warnings += [RunWarningRecord(w.analyzer, w.path, w.message) for w in ctx.warnings]
            ctx.warnings.clear()
            self.active.append((analyzer, ctx))

    def analyze(
        self, index: int, evidence: EvidenceFile, digest: Future[str] | None = None
    ) -> FileOutcome:
        """Run the analyzers on one file; ``digest``, when given, is its SHA-256 being
        worked out elsewhere (see :class:`HashesAhead`)."""
        if digest is None and evidence.size >= HASH_ASIDE_BYTES:
            # A large file: hash it in a thread while the analyzers read it (hashlib and
            # file reads let go of the GIL, so the hash costs the run next to no time).
            with HashesAhead([evidence]) as hashes:
                return self.analyze(index, evidence, hashes.get(0))
        sha256 = "" if digest is not None else evidence.sha256
        outcome = FileOutcome(index, evidence.path, sha256, evidence.size, evidence.kind)
        self._analyze(evidence, outcome)
        if digest is not None:
            outcome.sha256 = digest.result()
        return outcome

    def _analyze(self, evidence: EvidenceFile, outcome: FileOutcome) -> None:
        for analyzer, ctx in self.active:
            if evidence.kind not in analyzer.accepts:
                continue
            try:
                if not analyzer.sniff(evidence):
                    continue
            except Exception as error:
                message = f"sniff failed: {type(error).__name__}: {error}"
                outcome.warnings.append(WarningRecord(analyzer.name, message))
                continue
            outcome.analyzers.append(analyzer.name)
            self._run_one(analyzer, ctx, evidence, outcome)

    def _run_one(
        self, analyzer: Analyzer, ctx: AnalysisContext, evidence: EvidenceFile, outcome: FileOutcome
    ) -> None:
        events, skipped = ctx.events, ctx.skipped_records
        try:
            for output in analyzer.analyze(evidence, ctx):
                self._collect(analyzer.name, output, evidence.path, outcome, ctx)
        except Exception as error:
            ctx.warn(
                f"analyzer failed: {type(error).__name__}: {error} "
                "(results before the failure are kept)",
                path=evidence.path,
            )
        outcome.events += ctx.events - events
        outcome.skipped_records += ctx.skipped_records - skipped
        kept = ctx.warnings[:MAX_WARNINGS_PER_ANALYZER]
        outcome.warnings += [
            WarningRecord(w.analyzer, w.message, w.record_id, w.line) for w in kept
        ]
        if len(ctx.warnings) > len(kept):
            more = len(ctx.warnings) - len(kept)
            outcome.warnings.append(
                WarningRecord(analyzer.name, f"{more} more warnings on this input not shown")
            )
        ctx.warnings.clear()

    def _collect(
        self,
        name: str,
        output: object,
        path: str,
        outcome: FileOutcome,
        ctx: AnalysisContext,
    ) -> None:
        since, until = self.options.since, self.options.until
        self._unfrozen += 1
        if self._unfrozen >= FREEZE_EVERY:
            self._unfrozen = 0
            freeze_survivors()
        if isinstance(output, Finding):
            if in_window(
                since, until, output.timestamp, first=output.first_seen, last=output.last_seen
            ):
                outcome.findings.append(finding_record(output, path))
        elif isinstance(output, TimelineEvent):
            if in_window(since, until, output.timestamp):
                outcome.timeline.append(timeline_record(output, path, self.strings))
        elif isinstance(output, Observable):
            if in_window(since, until, output.timestamp):
                outcome.indicators.append(indicator_record(output, path))
        elif isinstance(output, Section):
            section = output.name
            if section in RESERVED_SECTION_NAMES:
                section = f"{section}_section"
            outcome.sections.append((section, section_item(output.data, path)))
        else:
            ctx.warn(f"analyzer {name} yielded a {type(output).__name__}: ignored", path=path)


class HashesAhead:
    """The SHA-256 of the large inputs, worked out in one thread from the start of a run.

    Hashing begins before the analyzers are prepared, so the hash of a large file is
    mostly done while rules load, when the machine has a core to spare, rather than
    beside processes that read the file. Files are hashed in walk order. Leaving the
    ``with`` block stops a hash between two blocks of the file and drops those not begun.
    """

    def __init__(self, files: Sequence[EvidenceFile]) -> None:
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="madoguchi-hash")
        self._digests = {
            index: self._pool.submit(self._hash, evidence)
            for index, evidence in enumerate(files)
            if evidence.size >= HASH_ASIDE_BYTES
        }

    def get(self, index: int) -> Future[str] | None:
        """The digest of file ``index``, or ``None`` for a file hashed when analysed."""
        return self._digests.get(index)

    def _hash(self, evidence: EvidenceFile) -> str:
        return file_sha256(evidence.local_path, stop=self._stop)

    def __enter__(self) -> HashesAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)


# -- process pool --------------------------------------------------------------------------

_WORKER: AnalyzerSession | None = None


def _start_worker(classes: Sequence[type[Analyzer]], options: RunOptions) -> None:
    global _WORKER  # noqa: PLW0603 - one prepared session per worker process
    _WORKER = AnalyzerSession(classes, options)


def _analyze_in_worker(index: int, evidence: EvidenceFile) -> FileOutcome:
    assert _WORKER is not None, "worker started without a session"
    return _WORKER.analyze(index, evidence)


def _pool_context() -> multiprocessing.context.BaseContext:
    # fork keeps analyzer classes defined anywhere importable in the workers.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


# -- the run ---------------------------------------------------------------------------------


def run_analysis(
    request: AnalysisRequest,
    *,
    progress: ProgressCallback | None = None,
    registry: Registry | None = None,
) -> ResultDocument:
    """Walk ``request.paths``, run the analyzers, and return the result document.

    Raises :class:`~madoguchi.domain.errors.NotFoundError` for a path that does not
    exist and :class:`~madoguchi.domain.errors.ConfigurationError` for an unknown
    analyzer name; every other problem ends up in the document.
    """
    started_at = datetime.now(UTC)
    clock = time.monotonic()
    if registry is None:
        registry = load_registry(only=request.only or None)
    classes = list(registry)
    options = request.run_options()
    # The rules prepare() loads and the records collected live as long as the run: frozen
    # (see madoguchi.analyzers.forking), the garbage collector stops walking them.
    with frozen_heap():
        with EvidenceWalk(
            request.paths, passwords=request.passwords, limits=request.limits
        ) as walk:
            files = list(walk)
            classes = needed(classes, files, options)
            in_pool = _in_pool(request.jobs, files)
            with HashesAhead([] if in_pool else files) as hashes:
                session = AnalyzerSession(classes, options)
                freeze_survivors()
                outcomes = _analyze_all(
                    session, classes, options, files, request.jobs, progress, hashes
                )
            walk_warnings = list(walk.warnings)
            containers = set(walk.containers)
        seconds = time.monotonic() - clock
        return _assemble(
            session=session,
            registry=registry,
            outcomes=outcomes,
            walk_warnings=walk_warnings,
            containers=containers,
            run=RunInfo(
                started=iso_utc(started_at) or "",
                finished=iso_utc(datetime.now(UTC)) or "",
                options=request.recorded_options(),
            ),
            seconds=seconds,
        )


def needed(
    classes: Sequence[type[Analyzer]], files: Sequence[EvidenceFile], options: RunOptions
) -> list[type[Analyzer]]:
    """The analyzers worth preparing for ``files``, in registry order.

    An analyzer whose ``accepts`` holds none of the walked kinds would never run;
    preparing it (loading a knowledge base, compiling rules) is start-up time for
    nothing. With rule folders given, analyzers that read them are prepared anyway
    (``reads_rule_dirs``; assumed of analyzers that do not say), so broken rules are
    reported whatever the inputs.
    """
    present = {f.kind for f in files}
    return [
        cls
        for cls in classes
        if not present.isdisjoint(cls.accepts)
        or (options.rule_dirs and getattr(cls, "reads_rule_dirs", True))
    ]


def _in_pool(jobs: int, files: Sequence[EvidenceFile]) -> bool:
    """Whether the files are analysed by a pool of worker processes, one file each."""
    return jobs > 1 and len(files) > 1


def _analyze_all(
    session: AnalyzerSession,
    classes: Sequence[type[Analyzer]],
    options: RunOptions,
    files: list[EvidenceFile],
    jobs: int,
    progress: ProgressCallback | None,
    hashes: HashesAhead,
) -> list[FileOutcome]:
    total_bytes = sum(f.size for f in files)
    done_files = 0
    done_bytes = 0

    def report(evidence: EvidenceFile) -> None:
        nonlocal done_files, done_bytes
        done_files += 1
        done_bytes += evidence.size
        if progress is not None:
            progress(Progress(done_files, len(files), done_bytes, total_bytes, evidence.path))

    if not _in_pool(jobs, files) or not session.active:
        outcomes = []
        for index, evidence in enumerate(files):
            outcomes.append(session.analyze(index, evidence, hashes.get(index)))
            report(evidence)
        return outcomes
    results: dict[int, FileOutcome] = {}
    pool = ProcessPoolExecutor(
        max_workers=min(jobs, len(files)),
        mp_context=_pool_context(),
        initializer=_start_worker,
        initargs=(classes, options),
    )
    with frozen_heap(), pool:
        futures: dict[Future[FileOutcome], EvidenceFile] = {
            pool.submit(_analyze_in_worker, index, evidence): evidence
            for index, evidence in enumerate(files)
        }
        for future in as_completed(futures):
            outcome = future.result()
            results[outcome.index] = outcome
            report(futures[future])
    return [results[i] for i in range(len(files))]


def _assemble(
    *,
    session: AnalyzerSession,
    registry: Registry,
    outcomes: Iterable[FileOutcome],
    walk_warnings: list[Any],
    containers: set[str],
    run: RunInfo,
    seconds: float,
) -> ResultDocument:
    by_path: dict[str, list[WarningRecord]] = {}
    for warning in walk_warnings:
        by_path.setdefault(warning.path, []).append(
            WarningRecord(warning.analyzer, warning.message)
        )
    inputs: list[InputRecord] = []
    findings: list[FindingRecord] = []
    timeline: list[TimelineRecord] = []
    indicators: list[IndicatorRecord] = []
    sections: dict[str, list[dict[str, Any]]] = {}
    events = skipped = analysed_bytes = 0
    for outcome in outcomes:
        recognised = bool(outcome.analyzers) or (
            outcome.path in containers and outcome.kind in kinds.ARCHIVES
        )
        inputs.append(
            InputRecord(
                path=outcome.path,
                sha256=outcome.sha256,
                size=outcome.size,
                kind=outcome.kind,
                analyzers=tuple(outcome.analyzers),
                warnings=tuple(by_path.pop(outcome.path, [])) + tuple(outcome.warnings),
                recognised=recognised,
            )
        )
        findings += outcome.findings
        timeline += outcome.timeline
        indicators += outcome.indicators
        for name, item in outcome.sections:
            sections.setdefault(name, []).append(item)
        events += outcome.events
        skipped += outcome.skipped_records
        if outcome.analyzers:
            analysed_bytes += outcome.size
    leftovers = [
        RunWarningRecord(w.analyzer, path, w.message) for path, ws in by_path.items() for w in ws
    ]
    broken = [BrokenAnalyzerRecord(b.target, b.reason) for b in registry.broken] + session.broken
    doc = ResultDocument(
        tool=ToolInfo("madoguchi", madoguchi.__version__),
        run=run,
        analyzers=tuple(AnalyzerInfo(a.name, a.version) for a, _ in session.active),
        inputs=tuple(inputs),
        findings=tuple(findings),
        timeline=tuple(timeline),
        indicators=tuple(indicators),
        stats=Stats(
            files=len(inputs),
            events=events,
            seconds=round(seconds, 3),
            skipped_records=skipped,
            bytes=analysed_bytes,
        ),
        rules_not_loaded=tuple(session.rules_not_loaded),
        broken_analyzers=tuple(broken),
        warnings=tuple(session.warnings) + tuple(leftovers),
        sections={name: tuple(items) for name, items in sections.items()},
    )
    return normalise(doc)
