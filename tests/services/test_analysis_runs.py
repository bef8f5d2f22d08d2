"""Analysis in the desk: uploads are analysed as jobs, one document per analyzer, and
observables become indicators and sightings that feed related incidents."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest
from tests.world import World, build_world, store_bytes

from madoguchi.analysis import runner
from madoguchi.analyzers.base import AnalysisContext, BaseAnalyzer, EvidenceFile
from madoguchi.analyzers.registry import Registry
from madoguchi.bootstrap import Desk
from madoguchi.domain.findings import AnalyzerOutput, TimelineEvent
from madoguchi.domain.indicator import IndicatorType
from madoguchi.services import accounts, analysis_runs, evidence, related

PANOS_THREAT = (
    "<14>Apr 12 10:15:02 fw01 1,2024/04/12 10:15:02,013201001234,THREAT,vulnerability,2561,"
    "2024/04/12 10:15:02,{ip},192.0.2.10,0.0.0.0,0.0.0.0,GP-portal-in,,,web-browsing,vsys1,"
    "untrust,trust,ethernet1/1,ethernet1/2,default,,123456,1,51514,443,0,0,0x2000,tcp,"
    'reset-both,"",Palo Alto Networks PAN-OS GlobalProtect Command Injection '
    "Vulnerability(95187),any,critical,client-to-server\n"
)
EVTX = Path(__file__).resolve().parents[1] / "analyzers/windows_evtx/data/vss-delete-wmic.evtx"


def _actor(desk: Desk, world: World, role: str):  # type: ignore[no-untyped-def]
    with desk.uow_factory() as uow:
        user = uow.users.get(world.people[role].user_id)
        assert user is not None
        return accounts.actor_for(uow, user)


def _upload(desk: Desk, world: World, role: str, case_id: int, data: bytes, name: str) -> int:
    actor = _actor(desk, world, role)
    with desk.uow_factory() as uow:
        result = evidence.attach_evidence(
            uow, desk.store, actor, case_id, store_bytes(desk, data), name
        )
        uow.commit()
    assert desk.inline_queue is not None
    analysis_runs.queue_analysis(desk.queue, [result.evidence, *result.children])
    desk.inline_queue.run_pending()
    assert result.evidence.id is not None
    return result.evidence.id


def test_an_uploaded_event_log_is_analysed_and_its_findings_stored(desk: Desk) -> None:
    world = build_world(desk)
    evidence_id = _upload(
        desk, world, "party_reporter", world.case_a, EVTX.read_bytes(), "Security.evtx"
    )
    handler = _actor(desk, world, "desk_handler")
    with desk.uow_factory() as uow:
        records = analysis_runs.case_results(uow, handler, world.case_a)
    mine = [r for r in records if r.evidence_id == evidence_id]
    assert [r.analyzer for r in mine] == ["windows-evtx"]
    document = mine[0].document
    assert document is not None and document["findings"]
    assert all(f["evidence"]["path"] == "Security.evtx" for f in document["findings"])
    assert any("T1490" in f["attack"] for f in document["findings"])  # shadow copies deleted


def test_rerun_replaces_the_result_of_the_same_analyzer_version(desk: Desk) -> None:
    world = build_world(desk)
    evidence_id = _upload(
        desk,
        world,
        "party_reporter",
        world.case_a,
        PANOS_THREAT.format(ip="198.51.100.23").encode(),
        "threat.log",
    )
    handler = _actor(desk, world, "desk_handler")
    assert desk.inline_queue is not None
    with desk.uow_factory() as uow:
        items = analysis_runs.request_rerun(uow, handler, world.case_a)
        uow.commit()
    assert analysis_runs.queue_analysis(desk.queue, items)
    desk.inline_queue.run_pending()
    with desk.uow_factory() as uow:
        runs = list(uow.analysis.for_evidence(evidence_id))
    assert len(runs) == 1 and runs[0].analyzer == "panos"


def test_attacker_addresses_become_indicators_with_stage_and_cve(desk: Desk) -> None:
    world = build_world(desk)
    _upload(
        desk,
        world,
        "party_reporter",
        world.case_a,
        PANOS_THREAT.format(ip="198.51.100.23").encode(),
        "threat.log",
    )
    with desk.uow_factory() as uow:
        indicator = uow.indicators.find(IndicatorType.IPV4, "198.51.100.23")
        assert indicator is not None
        assert "cve:CVE-2024-3400" in indicator.tags
        sightings = uow.indicators.sightings(indicator_ids=[indicator.id or 0])
    assert [(s.case_id, s.organisation_id) for s in sightings] == [(world.case_a, world.vendor_org)]
    assert sightings[0].stage is not None


def test_cases_sharing_an_attacker_address_are_related(desk: Desk) -> None:
    world = build_world(desk)
    line = PANOS_THREAT.format(ip="198.51.100.77").encode()
    _upload(desk, world, "party_reporter", world.case_a, line, "a.log")
    _upload(desk, world, "other_reporter", world.case_b, line, "b.log")
    handler = _actor(desk, world, "desk_handler")
    reporter = _actor(desk, world, "party_reporter")
    with desk.uow_factory() as uow:
        for_desk = related.related_cases(uow, handler, world.case_a)
        for_reporter = related.related_cases(uow, reporter, world.case_a)
    assert [r.case.id for r in for_desk if r.case] == [world.case_b]
    assert any("198.51.100.77" in " ".join(x.shared) for x in for_desk[0].related.reasons)
    [summary] = for_reporter
    assert summary.case is None and summary.related.case_id == 0
    assert all(not reason.shared for reason in summary.related.reasons)


class _FreezeWatching(BaseAnalyzer):
    """Twenty timeline events; notes the frozen-object count after each is collected."""

    name: ClassVar[str] = "freeze-watch"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset({"text"})
    frozen: ClassVar[list[int]] = []

    def analyze(self, evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[AnalyzerOutput]:
        for n in range(20):
            when = datetime(2024, 1, 1, 0, n, tzinfo=UTC)
            yield TimelineEvent(when, "test", f"line {n}", evidence=evidence.ref(line=n + 1))
            self.frozen.append(gc.get_freeze_count())


def test_a_desk_analysis_freezes_its_records_as_it_goes_and_gives_the_heap_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "FREEZE_EVERY", 1)
    path = tmp_path / "note.txt"
    path.write_text("hello\n")
    file = EvidenceFile(path="note.txt", local_path=path, kind="text", size=path.stat().st_size)
    registry = Registry()
    registry.add(_FreezeWatching)
    _FreezeWatching.frozen.clear()
    ((_, document),) = analysis_runs.analyze_file(registry, file)
    assert [t["message"] for t in document["timeline"]] == [f"line {n}" for n in range(20)]
    counts = _FreezeWatching.frozen
    assert counts[-1] > counts[0]  # the records joined the frozen heap as they came
    assert gc.get_freeze_count() == 0  # and the web or worker process got it back
