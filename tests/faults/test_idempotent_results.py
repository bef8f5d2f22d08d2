"""The analysis job delivered twice — one after the other, or at the same time on two
workers — leaves one result document per analyzer and no doubled sightings."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.faults.probe_analyzer import C2_ADDRESS, PROBE_DIR, ProbeAnalyzer
from tests.world import build_world

from madoguchi.analyzers.registry import Registry
from madoguchi.bootstrap import Desk, build_desk
from madoguchi.config import Settings
from madoguchi.services import analysis_runs
from madoguchi.storage.sql import migrate
from madoguchi.storage.sql.tables import analysis_results, indicators, sightings


def _registry() -> Registry:
    registry = Registry()
    registry.add(ProbeAnalyzer)
    return registry


def _counts(desk: Desk, evidence_id: int) -> tuple[int, int]:
    with desk.engine.connect() as conn:
        documents = conn.execute(
            select(func.count()).where(analysis_results.c.evidence_id == evidence_id)
        ).scalar_one()
        seen = conn.execute(
            select(func.count())
            .select_from(sightings.join(indicators, indicators.c.id == sightings.c.indicator_id))
            .where(sightings.c.evidence_id == evidence_id, indicators.c.value == C2_ADDRESS)
        ).scalar_one()
    return int(documents), int(seen)


def test_a_job_delivered_again_replaces_its_results(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PROBE_DIR, str(tmp_path))
    (tmp_path / "release").touch()
    world = build_world(desk)
    payload = {"evidence_id": world.evidence_a}
    for _ in range(3):
        stored = analysis_runs.run_evidence_analysis(
            desk.uow_factory, desk.store, payload, registry=_registry()
        )
        assert stored == 1
    assert _counts(desk, world.evidence_a) == (1, 1)


@pytest.mark.postgres
def test_two_workers_storing_the_same_job_at_once_store_it_once(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PROBE_DIR, str(tmp_path))
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=postgres_url,
        secret_key="x" * 40,
        inline_worker=False,
    )
    desk = build_desk(settings)
    try:
        migrate.upgrade(desk.engine)
        world = build_world(desk)
        payload = {"evidence_id": world.evidence_a}
        errors: list[BaseException] = []

        def deliver() -> None:
            try:
                analysis_runs.run_evidence_analysis(
                    desk.uow_factory, desk.store, payload, registry=_registry()
                )
            except BaseException as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=deliver) for _ in range(2)]
        for thread in threads:
            thread.start()
        # Both deliveries are inside the analyzer before either may store.
        while len(list(tmp_path.glob("started-*"))) < 2 and all(t.is_alive() for t in threads):
            threading.Event().wait(0.05)
        (tmp_path / "release").touch()
        for thread in threads:
            thread.join(60)
        assert errors == []
        assert _counts(desk, world.evidence_a) == (1, 1)
    finally:
        desk.close()
