"""Analysis in the desk: every analyzer that accepts an uploaded file runs on it as a job.

One result document is stored per (evidence, analyzer, analyzer version), so a
re-run after rules changed, or the same job delivered again after a worker died,
replaces the earlier one (with its sightings) instead of adding a second. The case
page, exports, related cases and advisories all read those documents. Observables
become indicators and sightings (:mod:`madoguchi.services.indicators`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from madoguchi.analysis.result import RunInfo, iso_utc
from madoguchi.analysis.runner import AnalyzerSession, _assemble
from madoguchi.analyzers.base import Analyzer, EvidenceFile, RunOptions
from madoguchi.analyzers.kinds import ARCHIVES, detect_kind
from madoguchi.analyzers.registry import Registry, load_registry
from madoguchi.domain.errors import NotFoundError
from madoguchi.domain.evidence import Evidence, EvidenceStatus
from madoguchi.domain.organisation import Actor
from madoguchi.i18n.catalogue import N_
from madoguchi.ports import AnalysisRecord, EvidenceStore, TaskQueue, UnitOfWork, UnitOfWorkFactory
from madoguchi.services import access, audit, indicators
from madoguchi.services.cases import load_case

ANALYSIS_JOB = "analysis.evidence"

_local = threading.local()


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


def _session(cls: type[Analyzer]) -> AnalyzerSession:
    """One prepared analyzer per thread and class (rules compiled once)."""
    cache: dict[str, AnalyzerSession] = getattr(_local, "sessions", None) or {}
    _local.sessions = cache
    key = f"{cls.name}:{cls.version}"
    if key not in cache:
        cache[key] = AnalyzerSession([cls], RunOptions())
    return cache[key]


def analyze_file(
    registry: Registry, evidence: EvidenceFile
) -> list[tuple[type[Analyzer], dict[str, Any]]]:
    """Run each accepting analyzer on one file; one result document each."""
    documents = []
    for cls in registry:
        if evidence.kind not in cls.accepts:
            continue
        session = _session(cls)
        started = datetime.now(UTC)
        clock = time.monotonic()
        outcome = session.analyze(0, evidence)
        if not outcome.analyzers:
            continue
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
        documents.append((cls, document.to_dict()))
    return documents


def run_evidence_analysis(
    uow_factory: UnitOfWorkFactory,
    store: EvidenceStore,
    payload: Mapping[str, Any],
    *,
    registry: Registry | None = None,
) -> int:
    """The job: analyse one evidence file and store the documents; returns how many."""
    evidence_id = int(payload["evidence_id"])
    with uow_factory() as uow:
        evidence = uow.evidence.get(evidence_id)
        if evidence is None:
            raise NotFoundError(N_("evidence not found"))
        if not analyzable(evidence):
            return 0
        local = store.path(evidence.sha256)
        with local.open("rb") as handle:
            head = handle.read(65536)
        file = EvidenceFile(
            path=evidence.display_path,
            local_path=local,
            kind=detect_kind(head),
            size=evidence.size,
        )
    results = analyze_file(registry or load_registry(), file)
    with uow_factory() as uow:
        # One writer per evidence at a time: a job delivered twice (a worker died before
        # acknowledging it) replaces the results instead of adding to them.
        evidence = uow.evidence.lock(evidence_id)
        case = uow.cases.get(evidence.case_id) if evidence else None
        if evidence is None or case is None:
            return 0
        for cls, document in results:
            uow.analysis.save(
                AnalysisRecord(
                    evidence_id=evidence_id,
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
        audit.record(
            uow,
            None,
            "analysis:done",
            "evidence",
            evidence_id,
            case_id=case.id,
            analyzers=[cls.name for cls, _ in results],
        )
        uow.commit()
    return len(results)


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
