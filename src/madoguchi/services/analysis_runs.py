"""Analysis in the desk: every analyzer that accepts an uploaded file runs on it as a job.

One result document is stored per (evidence, analyzer, analyzer version), so a
re-run after rules changed, or the same job delivered again after a worker died,
replaces the earlier one (with its sightings) instead of adding a second. The case
page, exports, related cases and advisories all read those documents. Observables
become indicators and sightings (:mod:`madoguchi.services.indicators`).

A large ``.evtx`` upload (at least ``evtx_part_mb``) is analysed in parts so that
several workers share it: the evidence job runs the other analyzers as usual, plans
ranges of whole chunks and queues one :data:`PART_JOB` per range. Each part job stores
its part's output (keyed by evidence, analyzer, version and part number); the one that
stores the last part merges them all in part order with the analyzer's own merge and
stores the result document as a single job would have, then deletes the parts. A part
job delivered again finds its part stored and does not read the file again; it merges
only if the set is complete and not merged yet (the merging job died), and of two
merges only the first is stored. Part jobs of a merged or replaced set do nothing.
Parts are pickled by the desk's own workers and read back only by them: the database
is trusted like the workers' code.
"""

from __future__ import annotations

import logging
import math
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from madoguchi.analysis.result import RunInfo, iso_utc
from madoguchi.analysis.runner import AnalyzerSession, _assemble
from madoguchi.analyzers.base import Analyzer, EvidenceFile, RunOptions
from madoguchi.analyzers.forking import frozen_heap
from madoguchi.analyzers.kinds import ARCHIVES, EVTX, detect_kind
from madoguchi.analyzers.registry import Registry, load_registry
from madoguchi.analyzers.windows_evtx import PARTS_SETTING, EvtxAnalyzer, PartOutput, scan_part
from madoguchi.analyzers.windows_evtx.partitions import ChunkRange, plan
from madoguchi.domain.case import Case
from madoguchi.domain.errors import NotFoundError
from madoguchi.domain.evidence import Evidence, EvidenceStatus
from madoguchi.domain.organisation import Actor
from madoguchi.i18n.catalogue import N_
from madoguchi.ports import (
    AnalysisRecord,
    EvidenceStore,
    PartSet,
    TaskQueue,
    UnitOfWork,
    UnitOfWorkFactory,
)
from madoguchi.services import access, audit, indicators
from madoguchi.services.analysis_options import fingerprint
from madoguchi.services.cases import load_case

ANALYSIS_JOB = "analysis.evidence"
PART_JOB = "analysis.part"
MAX_PARTS = 64
"""At most this many part jobs for one file, however large."""

_local = threading.local()
log = logging.getLogger(__name__)


def analyzable(evidence: Evidence) -> bool:
    """Stored files that are not archives (their members are analysed instead)."""
    return (
        evidence.status is EvidenceStatus.STORED
        and bool(evidence.sha256)
        and evidence.kind not in ARCHIVES
        and evidence.kind != "refused"
    )


def queue_analysis(queue: TaskQueue, items: Iterable[Evidence]) -> list[str]:
    """Enqueue one analysis job per analyzable evidence file (ids only)."""
    return [
        queue.enqueue(ANALYSIS_JOB, {"evidence_id": item.id})
        for item in items
        if item.id is not None and analyzable(item)
    ]


def request_rerun(uow: UnitOfWork, actor: Actor, case_id: int) -> list[Evidence]:
    """The desk re-runs every analyzer on a case's evidence (after rules changed).

    Returns the evidence to queue; the caller commits first, then calls
    :func:`queue_analysis` (the queue may write to the same database).
    """
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    items = [e for e in uow.evidence.for_case(case.id) if analyzable(e)]
    audit.record(
        uow, actor, "analysis:rerun", "case", case.id, case_id=case.id, evidence=len(items)
    )
    return items


def _session(cls: type[Analyzer], options: RunOptions, current: Any) -> AnalyzerSession:
    """One prepared analyzer per thread and class (rules compiled once), prepared again
    when the desk's rule folders or placeholder values have changed since (``current``,
    the options' :func:`~.analysis_options.fingerprint`, differs)."""
    cache: dict[str, tuple[Any, AnalyzerSession]] = getattr(_local, "sessions", None) or {}
    _local.sessions = cache
    key = f"{cls.name}:{cls.version}"
    kept = cache.get(key)
    if kept is None or kept[0] != current:
        kept = cache[key] = (current, AnalyzerSession([cls], options))
    return kept[1]


def analyze_file(
    registry: Registry,
    evidence: EvidenceFile,
    *,
    skip: frozenset[str] = frozenset(),
    options: RunOptions | None = None,
) -> list[tuple[type[Analyzer], dict[str, Any]]]:
    """Run each accepting analyzer (not named in ``skip``) on one file; one document each."""
    options = options or RunOptions()
    current = fingerprint(options)
    documents = []
    for cls in registry:
        if evidence.kind not in cls.accepts or cls.name in skip:
            continue
        document = _document(cls, _session(cls, options, current), evidence)
        if document is not None:
            documents.append((cls, document))
    return documents


def _document(
    cls: type[Analyzer], session: AnalyzerSession, evidence: EvidenceFile
) -> dict[str, Any] | None:
    """One analyzer's result document for one file; None when it did not take the file.

    Runs in a frozen heap, as ``madoguchi analyze`` does: the compiled rules and the
    records collected stay out of the garbage collector's walks (a merge of a large
    event log's parts collects hundreds of thousands; see ``analyzers.forking``).
    """
    started = datetime.now(UTC)
    clock = time.monotonic()
    with frozen_heap():
        outcome = session.analyze(0, evidence)
        if not outcome.analyzers:
            return None
        document = _assemble(
            session=session,
            registry=Registry(analyzers={cls.name: cls}),
            outcomes=[outcome],
            walk_warnings=[],
            containers=set(),
            run=RunInfo(
                started=iso_utc(started) or "",
                finished=iso_utc(datetime.now(UTC)) or "",
                options={"paths": [evidence.path], "analyzers": [cls.name]},
            ),
            seconds=time.monotonic() - clock,
        )
        return document.to_dict()


def part_ranges(evidence: EvidenceFile, part_mb: float) -> list[ChunkRange]:
    """The ranges of whole chunks a large ``.evtx`` file is analysed in, one job each.

    Empty (one job reads the whole file) when splitting is off (``part_mb`` 0), the
    file is no EVTX file or smaller than ``part_mb``, or too small to cut in two.
    """
    if part_mb <= 0 or evidence.kind != EVTX or evidence.size < part_mb * 1024 * 1024:
        return []
    wanted = max(2, min(MAX_PARTS, math.ceil(evidence.size / (part_mb * 1024 * 1024))))
    ranges = plan(evidence.size, wanted)
    return ranges if len(ranges) > 1 and EvtxAnalyzer().sniff(evidence) else []


def _evidence_file(store: EvidenceStore, evidence: Evidence) -> EvidenceFile:
    local = store.path(evidence.sha256)
    with local.open("rb") as handle:
        head = handle.read(65536)
    return EvidenceFile(
        path=evidence.display_path,
        local_path=local,
        kind=detect_kind(head),
        size=evidence.size,
    )


def _save_result(
    uow: UnitOfWork, case: Case, evidence: Evidence, cls: type[Analyzer], document: dict[str, Any]
) -> None:
    """Store (or replace) one result document and its sightings; under the evidence lock."""
    assert evidence.id is not None
    uow.analysis.save(
        AnalysisRecord(
            evidence_id=evidence.id,
            case_id=case.id or 0,
            analyzer=cls.name,
            analyzer_version=cls.version,
            status="done",
            created_at=datetime.now(UTC),
            finished_at=datetime.now(UTC),
            document=document,
            findings=len(document.get("findings") or ()),
            warnings=sum(len(i.get("warnings") or ()) for i in document.get("inputs", ())),
        )
    )
    indicators.record_document(uow, case, evidence, document, cls.name)


def run_evidence_analysis(
    uow_factory: UnitOfWorkFactory,
    store: EvidenceStore,
    payload: Mapping[str, Any],
    *,
    registry: Registry | None = None,
    queue: TaskQueue | None = None,
    part_mb: float = 0,
    options: RunOptions | None = None,
) -> int:
    """The job: analyse one evidence file and store the documents; returns how many.

    With a ``queue`` and ``part_mb`` above 0, an ``.evtx`` file of at least ``part_mb``
    MB is left to :data:`PART_JOB` jobs (see :func:`run_evidence_part`), queued here
    once the other analyzers' documents are stored. ``options`` carries the desk's own
    rule folders and placeholder values (:mod:`.analysis_options`).
    """
    evidence_id = int(payload["evidence_id"])
    with uow_factory() as uow:
        evidence = uow.evidence.get(evidence_id)
        if evidence is None:
            raise NotFoundError(N_("evidence not found"))
        if not analyzable(evidence):
            return 0
        file = _evidence_file(store, evidence)
    registry = registry or load_registry()
    split = registry.analyzers.get(EvtxAnalyzer.name) is EvtxAnalyzer and queue is not None
    ranges = part_ranges(file, part_mb) if split else []
    parts = (
        PartSet(evidence_id, EvtxAnalyzer.name, EvtxAnalyzer.version, uuid.uuid4().hex, len(ranges))
        if ranges
        else None
    )
    skip = frozenset({EvtxAnalyzer.name} if parts else ())
    results = analyze_file(registry, file, skip=skip, options=options)
    with uow_factory() as uow:
        # One writer per evidence at a time: a job delivered twice (a worker died before
        # acknowledging it) replaces the results instead of adding to them.
        evidence = uow.evidence.lock(evidence_id)
        case = uow.cases.get(evidence.case_id) if evidence else None
        if evidence is None or case is None:
            return 0
        for cls, document in results:
            _save_result(uow, case, evidence, cls, document)
        detail: dict[str, Any] = {"analyzers": [cls.name for cls, _ in results]}
        if parts is not None:
            uow.analysis.open_parts(parts, datetime.now(UTC))
            detail["parts"] = {parts.analyzer: parts.parts}
        audit.record(uow, None, "analysis:done", "evidence", evidence_id, case_id=case.id, **detail)
        uow.commit()
    if parts is not None:
        assert queue is not None
        for number, rng in enumerate(ranges):
            queue.enqueue(PART_JOB, _part_payload(parts, number, rng))
    return len(results)


def _part_payload(parts: PartSet, number: int, rng: ChunkRange) -> dict[str, Any]:
    return {
        "evidence_id": parts.evidence_id,
        "analyzer": parts.analyzer,
        "analyzer_version": parts.analyzer_version,
        "run": parts.run,
        "parts": parts.parts,
        "part": number,
        "first": rng.first,
        "stop": rng.stop,
        "end": rng.end,
    }


def run_evidence_part(
    uow_factory: UnitOfWorkFactory,
    store: EvidenceStore,
    payload: Mapping[str, Any],
    *,
    registry: Registry | None = None,
    options: RunOptions | None = None,
) -> bool:
    """The part job: analyse one range of a large file and store the part's output.

    The job that stores the last part merges the set and stores the result document;
    returns True when this job stored it. A job of a set that was merged or replaced
    already (a late second delivery, a re-run) does nothing.
    """
    parts = PartSet(
        evidence_id=int(payload["evidence_id"]),
        analyzer=str(payload["analyzer"]),
        analyzer_version=str(payload["analyzer_version"]),
        run=str(payload["run"]),
        parts=int(payload["parts"]),
    )
    number = int(payload["part"])
    rng = ChunkRange(int(payload["first"]), int(payload["stop"]), int(payload["end"]))
    cls = (registry or load_registry()).analyzers.get(parts.analyzer)
    if cls is not EvtxAnalyzer or cls.version != parts.analyzer_version:
        return False  # queued by a desk with another version of the analyzer
    with uow_factory() as uow:
        evidence = uow.evidence.get(parts.evidence_id)
        stored = uow.analysis.part_stored(parts, number) if evidence is not None else None
        if evidence is None or stored is None:
            return False
        file = _evidence_file(store, evidence)
    if stored:  # delivered again: the part is there; merge if the first delivery did not
        with uow_factory() as uow:
            done, total = uow.analysis.parts_stored(parts)
    else:
        with tempfile.TemporaryDirectory(prefix="madoguchi-part-") as spill:
            part = scan_part(file, rng, options or RunOptions(), spill=Path(spill) / "outputs")
            data = part.to_bytes()
        with uow_factory() as uow:
            # Counted under the evidence lock: exactly one job sees the set complete.
            uow.evidence.lock(parts.evidence_id)
            if not uow.analysis.save_part(parts, number, data, datetime.now(UTC)):
                return False
            done, total = uow.analysis.parts_stored(parts)
            uow.commit()
        log.info(
            "evidence %d: %s part %d of %d stored (%d of %d done)",
            parts.evidence_id,
            parts.analyzer,
            number,
            parts.parts,
            done,
            total,
        )
    if done < total:
        return False
    return _merge_parts(uow_factory, file, parts, cls, options or RunOptions())


def _merge_parts(
    uow_factory: UnitOfWorkFactory,
    file: EvidenceFile,
    parts: PartSet,
    cls: type[Analyzer],
    options: RunOptions,
) -> bool:
    """Merge a complete set into one result document, store it, delete the parts."""

    def stored() -> Iterator[PartOutput]:  # one part in memory at a time
        for number in range(parts.parts):
            with uow_factory() as uow:
                data = uow.analysis.part_data(parts, number)
            if data is None:
                raise NotFoundError(N_("a part of the analysis is missing"))
            yield PartOutput.from_bytes(data)

    merged = RunOptions(
        rule_dirs=options.rule_dirs, settings={**options.settings, PARTS_SETTING: stored()}
    )
    session = AnalyzerSession([cls], merged)
    document = _document(cls, session, file)
    with uow_factory() as uow:
        evidence = uow.evidence.lock(parts.evidence_id)
        case = uow.cases.get(evidence.case_id) if evidence else None
        if evidence is None or case is None:
            return False
        if uow.analysis.parts_stored(parts) != (parts.parts, parts.parts):
            return False  # another delivery merged the set first, or a re-run replaced it
        if document is not None:
            _save_result(uow, case, evidence, cls, document)
        uow.analysis.delete_parts(parts)
        audit.record(
            uow,
            None,
            "analysis:done",
            "evidence",
            parts.evidence_id,
            case_id=case.id,
            analyzers=[cls.name] if document is not None else [],
            parts={cls.name: parts.parts},
        )
        uow.commit()
    return True


def case_results(uow: UnitOfWork, actor: Actor, case_id: int) -> list[AnalysisRecord]:
    """The analysis documents of a case's evidence that the actor may see."""
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    if actor.is_desk:
        return uow.analysis.for_case(case.id)
    visible = {
        e.id
        for e in uow.evidence.for_case(case.id)
        if any(e.visible_to_org(o) for o in actor.organisation_ids)
    }
    return [r for r in uow.analysis.for_case(case.id) if r.evidence_id in visible]
