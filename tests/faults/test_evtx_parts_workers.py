"""The parts of a large ``.evtx`` upload are taken by two real workers and merged once.

Two ``madoguchi worker`` subprocesses (Celery on Redis, PostgreSQL) share one queue; the
evidence job queues six part jobs there, both workers take some, and the last one
merges them into the document one job would have stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.analyzers.windows_evtx.test_partitions import build
from tests.documents import untimed
from tests.faults.conftest import Workers
from tests.faults.test_worker_kill import wait_for
from tests.world import build_world, store_bytes

from madoguchi.analyzers.registry import Registry
from madoguchi.analyzers.windows_evtx import EvtxAnalyzer
from madoguchi.bootstrap import Desk, build_desk
from madoguchi.config import Settings
from madoguchi.domain.evidence import Evidence
from madoguchi.services import analysis_runs, evidence
from madoguchi.services.accounts import actor_for
from madoguchi.storage.sql import migrate
from madoguchi.storage.sql.tables import analysis_parts, analysis_results
from madoguchi.tasks.celery_app import CeleryTaskQueue

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

PART_MB = 4.5  # 400 chunks (25 MiB) in six parts


@pytest.fixture
def fault_desk(fault_settings: Settings, workers: Workers) -> Iterator[Desk]:
    fault_settings.evtx_part_mb = PART_MB
    workers.extra_env["MADOGUCHI_EVTX_PART_MB"] = str(PART_MB)
    desk = build_desk(fault_settings)
    migrate.upgrade(desk.engine)
    assert isinstance(desk.queue, CeleryTaskQueue)
    desk.queue.app.conf.task_default_queue = workers.queue
    yield desk
    desk.close()


def _ready(workers: Workers, name: str) -> Callable[[], bool]:
    return lambda: " ready." in workers.log_of(name)


def _count(desk: Desk, query: Any) -> int:
    with desk.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def test_two_workers_take_the_parts_and_one_merges(
    fault_desk: Desk, workers: Workers, tmp_path: Path
) -> None:
    world = build_world(fault_desk)
    workers.release()
    started = [workers.start("worker-a"), workers.start("worker-b")]
    for name in ("worker-a", "worker-b"):
        wait_for(_ready(workers, name), f"{name} to start", workers)

    data = build(tmp_path / "big.evtx", 400).read_bytes()
    with fault_desk.uow_factory() as uow:
        user = uow.users.get(world.people["party_reporter"].user_id)
        assert user is not None
        result = evidence.attach_evidence(
            uow,
            fault_desk.store,
            actor_for(uow, user),
            world.case_a,
            store_bytes(fault_desk, data),
            "Security.evtx",
        )
        uow.commit()
    item = result.evidence
    assert isinstance(item, Evidence) and item.id is not None
    analysis_runs.queue_analysis(fault_desk.queue, [item])

    a, p = analysis_results.c, analysis_parts.c
    stored = (
        select(func.count())
        .select_from(analysis_results)
        .where(a.evidence_id == item.id, a.analyzer == EvtxAnalyzer.name)
    )
    wait_for(lambda: _count(fault_desk, stored) == 1, "the merged result", workers)
    wait_for(
        lambda: _count(fault_desk, select(func.count()).select_from(analysis_parts)) == 0,
        "the parts to be deleted",
        workers,
    )
    assert _count(fault_desk, select(func.count()).where(p.evidence_id == item.id)) == 0

    pattern = re.compile(rf"evidence {item.id}: windows-evtx part (\d) of 6 stored")
    taken = {name: set(pattern.findall(workers.log_of(name))) for name in ("worker-a", "worker-b")}
    assert all(taken.values()), taken  # both workers analysed parts
    assert set().union(*taken.values()) == {str(n) for n in range(6)}

    with fault_desk.uow_factory() as uow:
        (merged,) = [
            r for r in uow.analysis.for_evidence(item.id) if r.analyzer == EvtxAnalyzer.name
        ]
        local = analysis_runs._evidence_file(fault_desk.store, item)
    [(_, single)] = analysis_runs.analyze_file(
        Registry(analyzers={EvtxAnalyzer.name: EvtxAnalyzer}), local
    )
    assert untimed(merged.document) == untimed(single)
    assert all(w.poll() is None for w in started)
