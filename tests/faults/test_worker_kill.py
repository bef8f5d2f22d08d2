"""A worker killed mid-job: the job goes to another worker and its result is stored once.

Real ``madoguchi worker`` subprocesses (Celery on Redis, PostgreSQL) run the analysis job
of an uploaded file. The probe analyzer (``probe_analyzer.py``) keeps the job open
until the test releases it, so the test can ``SIGKILL`` worker A while it is running.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select
from tests.faults.conftest import Workers, terminate_connections
from tests.faults.probe_analyzer import C2_ADDRESS, ProbeAnalyzer
from tests.world import build_world

from madoguchi.bootstrap import Desk, build_desk
from madoguchi.config import Settings
from madoguchi.domain.evidence import Evidence
from madoguchi.services import analysis_runs
from madoguchi.storage.sql import migrate
from madoguchi.storage.sql.tables import analysis_results, indicators, sightings
from madoguchi.tasks.celery_app import CeleryTaskQueue

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

TIMEOUT = 60


def wait_for(condition: Callable[[], object], what: str, workers: Workers) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(
                f"--- {p.name}\n{p.read_text()[-3000:]}" for p in workers.logs.iterdir()
            )
            raise AssertionError(f"timed out waiting for {what}\n{logs}")
        time.sleep(0.1)


@pytest.fixture
def fault_desk(fault_settings: Settings, workers: Workers) -> Iterator[Desk]:
    desk = build_desk(fault_settings)
    migrate.upgrade(desk.engine)
    assert isinstance(desk.queue, CeleryTaskQueue)
    desk.queue.app.conf.task_default_queue = workers.queue
    yield desk
    desk.close()


def _enqueue(desk: Desk, evidence_id: int) -> str:
    with desk.uow_factory() as uow:
        item = uow.evidence.get(evidence_id)
        assert isinstance(item, Evidence)
        [job_id] = analysis_runs.queue_analysis(desk.queue, [item])
    return job_id


def _stored(desk: Desk, evidence_id: int) -> dict[str, int]:
    """Result documents per analyzer, and the probe's sightings, for one evidence."""
    a = analysis_results.c
    with desk.engine.connect() as conn:
        rows = conn.execute(
            select(a.analyzer, func.count())
            .where(a.evidence_id == evidence_id)
            .group_by(a.analyzer)
        ).all()
        seen = conn.execute(
            select(func.count())
            .select_from(sightings.join(indicators, indicators.c.id == sightings.c.indicator_id))
            .where(sightings.c.evidence_id == evidence_id, indicators.c.value == C2_ADDRESS)
        ).scalar_one()
    return {**{str(r[0]): int(r[1]) for r in rows}, "sightings": int(seen)}


def test_a_killed_workers_job_is_run_by_another_worker_and_stored_once(
    fault_desk: Desk, workers: Workers
) -> None:
    world = build_world(fault_desk)
    app = fault_desk.queue.app  # type: ignore[attr-defined]

    worker_a = workers.start("worker-a")
    job_id = _enqueue(fault_desk, world.evidence_a)
    wait_for(lambda: workers.started_by(worker_a), "worker A to start the job", workers)

    worker_a.send_signal(signal.SIGKILL)
    assert worker_a.wait(20) == -signal.SIGKILL
    assert _stored(fault_desk, world.evidence_a).get(ProbeAnalyzer.name, 0) == 0

    workers.release()
    worker_b = workers.start("worker-b")
    assert app.AsyncResult(job_id).get(timeout=TIMEOUT) == "done"

    # The job really ran twice (A died in it, B finished it) ...
    assert len(workers.started_by(worker_a)) == 1
    assert len(workers.started_by(worker_b)) == 1
    # ... and every analyzer's result, and the probe's sighting, is stored once.
    stored = _stored(fault_desk, world.evidence_a)
    assert stored[ProbeAnalyzer.name] == 1
    assert set(stored.values()) == {1}, stored


def test_a_worker_reconnects_after_the_database_dropped_its_connections(
    fault_desk: Desk, workers: Workers
) -> None:
    world = build_world(fault_desk)
    app = fault_desk.queue.app  # type: ignore[attr-defined]
    workers.release()
    worker = workers.start("worker")

    first = _enqueue(fault_desk, world.evidence_a)
    assert app.AsyncResult(first).get(timeout=TIMEOUT) == "done"
    assert terminate_connections(fault_desk.settings.database_url) >= 1

    # The worker's pooled connections are dead; the next job must still be stored,
    # and a re-run replaces the earlier results instead of adding to them.
    second = _enqueue(fault_desk, world.evidence_a)
    assert app.AsyncResult(second).get(timeout=TIMEOUT) == "done"
    assert len(workers.started_by(worker)) == 2
    stored = _stored(fault_desk, world.evidence_a)
    assert stored[ProbeAnalyzer.name] == 1
    assert set(stored.values()) == {1}, stored
    assert worker.poll() is None
