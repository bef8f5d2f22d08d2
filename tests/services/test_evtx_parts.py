"""A large ``.evtx`` upload is analysed in parts, one job each, and merged into the
result a single job stores.

The file is built from the checked-in samples (200 chunks, about 12.5 MiB; see
``tests/analyzers/windows_evtx/test_partitions.py``) and ``evtx_part_mb`` is set low
enough to cut it into three parts.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.analyzers.windows_evtx.test_partitions import build
from tests.documents import untimed
from tests.world import World, build_world, store_bytes

from madoguchi.analyzers.base import EvidenceFile
from madoguchi.analyzers.kinds import EVTX
from madoguchi.bootstrap import Desk
from madoguchi.ports import AnalysisRecord
from madoguchi.services import accounts, analysis_runs, evidence
from madoguchi.storage.sql import tables

PART_MB = 4.5  # 12.5 MiB in three parts


def _actor(desk: Desk, world: World, role: str):  # type: ignore[no-untyped-def]
    with desk.uow_factory() as uow:
        user = uow.users.get(world.people[role].user_id)
        assert user is not None
        return accounts.actor_for(uow, user)


def _upload(desk: Desk, world: World, data: bytes) -> int:
    actor = _actor(desk, world, "party_reporter")
    with desk.uow_factory() as uow:
        result = evidence.attach_evidence(
            uow, desk.store, actor, world.case_a, store_bytes(desk, data), "Security.evtx"
        )
        uow.commit()
    assert result.evidence.id is not None
    return result.evidence.id


def _rerun(desk: Desk, evidence_id: int) -> None:
    """Analyse the evidence again (what a re-run does for each file of the case)."""
    assert analysis_runs.queue_analysis(desk.queue, [_evidence(desk, evidence_id)])


def _results(desk: Desk, evidence_id: int) -> list[AnalysisRecord]:
    with desk.uow_factory() as uow:
        return [r for r in uow.analysis.for_evidence(evidence_id) if r.analyzer == "windows-evtx"]


def _count(desk: Desk, table: Any) -> int:
    with desk.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _stored_parts(desk: Desk) -> list[bool]:
    p = tables.analysis_parts.c
    with desk.engine.connect() as conn:
        rows = conn.execute(select(p.data.is_not(None)).order_by(p.part)).all()
    return [bool(r[0]) for r in rows]


def _part_payloads(desk: Desk) -> list[dict[str, Any]]:
    j = tables.jobs.c
    with desk.engine.connect() as conn:
        rows = conn.execute(
            select(j.payload).where(j.name == analysis_runs.PART_JOB).order_by(j.created_at)
        ).all()
    return sorted((dict(r[0]) for r in rows), key=lambda p: int(p["part"]))


@pytest.fixture
def world(desk: Desk) -> World:
    return build_world(desk)


@pytest.fixture
def big(tmp_path: Path) -> bytes:
    return build(tmp_path / "big.evtx", 200, damage=70).read_bytes()


def test_a_large_event_log_is_analysed_in_parts_and_merged_like_one_job(
    desk: Desk, world: World, big: bytes
) -> None:
    queue = desk.inline_queue
    assert queue is not None
    desk.settings.evtx_part_mb = 0  # first as one job
    evidence_id = _upload(desk, world, big)
    _rerun(desk, evidence_id)
    queue.run_pending()
    (single,) = _results(desk, evidence_id)
    assert single.document is not None and single.document["findings"]
    assert single.document["inputs"][0]["warnings"]  # the damaged chunk is reported
    sightings = _count(desk, tables.sightings)
    assert sightings

    desk.settings.evtx_part_mb = PART_MB
    _rerun(desk, evidence_id)
    assert queue.run_one()  # the evidence job: the other analyzers, and three part jobs
    assert _stored_parts(desk) == [False, False, False]
    payloads = _part_payloads(desk)
    assert [p["part"] for p in payloads] == [0, 1, 2]
    assert _results(desk, evidence_id) == [single]  # untouched until the merge

    assert queue.run_one()  # part 0
    assert _stored_parts(desk) == [True, False, False]
    # Delivered twice: stored again under the same key, nothing merged.
    assert not analysis_runs.run_evidence_part(desk.uow_factory, desk.store, payloads[0])
    assert _stored_parts(desk) == [True, False, False]

    queue.run_pending()  # parts 1 and 2; the last one merges
    assert _stored_parts(desk) == []
    (merged,) = _results(desk, evidence_id)
    assert untimed(merged.document) == untimed(single.document)
    assert merged.findings == single.findings and merged.warnings == single.warnings
    assert _count(desk, tables.sightings) == sightings

    # A part job delivered again after the merge finds no set and changes nothing.
    for payload in payloads:
        assert not analysis_runs.run_evidence_part(desk.uow_factory, desk.store, payload)
    assert _stored_parts(desk) == []
    assert _results(desk, evidence_id) == [merged]
    assert _count(desk, tables.sightings) == sightings
    assert _count(desk, tables.analysis_results) == len(_all_results(desk, evidence_id))
    assert gc.get_freeze_count() == 0  # the merge gave the frozen heap back


def test_a_merge_that_failed_is_done_by_the_next_delivery(
    desk: Desk, world: World, big: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = desk.inline_queue
    assert queue is not None
    desk.settings.evtx_part_mb = PART_MB
    evidence_id = _upload(desk, world, big)
    real = analysis_runs._merge_parts
    calls: list[int] = []

    def crash_once(*args: Any) -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("worker lost during the merge")
        return real(*args)

    monkeypatch.setattr(analysis_runs, "_merge_parts", crash_once)
    _rerun(desk, evidence_id)
    queue.run_pending()  # the last part job fails once and is queued again
    assert len(calls) == 2
    assert _stored_parts(desk) == []
    (result,) = _results(desk, evidence_id)
    assert result.document is not None and result.document["findings"]


def test_a_re_run_replaces_a_split_still_in_progress(desk: Desk, world: World, big: bytes) -> None:
    queue = desk.inline_queue
    assert queue is not None
    desk.settings.evtx_part_mb = PART_MB
    evidence_id = _upload(desk, world, big)
    _rerun(desk, evidence_id)
    assert queue.run_one()  # split; parts queued
    stale = _part_payloads(desk)
    _rerun(desk, evidence_id)
    queue.run_pending()
    (result,) = _results(desk, evidence_id)
    assert _stored_parts(desk) == []
    for payload in stale:  # the first split's jobs ran once (no-ops) and stay no-ops
        assert not analysis_runs.run_evidence_part(desk.uow_factory, desk.store, payload)
    assert _results(desk, evidence_id) == [result]


def test_only_large_evtx_files_are_split(tmp_path: Path, big: bytes) -> None:
    path = tmp_path / "big.evtx"
    path.write_bytes(big)
    file = EvidenceFile("big.evtx", path, EVTX, len(big))
    assert len(analysis_runs.part_ranges(file, PART_MB)) == 3
    assert analysis_runs.part_ranges(file, 0) == []  # off
    assert analysis_runs.part_ranges(file, 13) == []  # smaller than one part
    assert len(analysis_runs.part_ranges(file, 12)) == 2  # at least the size: two parts
    text = EvidenceFile("big.txt", path, "text", len(big))
    assert analysis_runs.part_ranges(text, PART_MB) == []


def _evidence(desk: Desk, evidence_id: int):  # type: ignore[no-untyped-def]
    with desk.uow_factory() as uow:
        return uow.evidence.get(evidence_id)


def _all_results(desk: Desk, evidence_id: int) -> list[AnalysisRecord]:
    with desk.uow_factory() as uow:
        return list(uow.analysis.for_evidence(evidence_id))
