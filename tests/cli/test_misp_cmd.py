"""``madoguchi misp push`` against the MISP-compatible server (real PyMISP over HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from tests.misp_server import MispServer, serve_misp
from tests.services.advisory_world import AMBER_IP, CLEAR_IP, GREEN_DOMAIN, seed_indicators
from tests.world import World, build_world
from typer.testing import CliRunner

from madoguchi.bootstrap import build_desk
from madoguchi.cli import misp_cmd
from madoguchi.config import Settings
from madoguchi.storage.sql import migrate

KEY = "misp-cli-test-key"


@pytest.fixture
def misp(monkeypatch: pytest.MonkeyPatch) -> Iterator[MispServer]:
    with serve_misp(KEY) as server:
        monkeypatch.setenv("MADOGUCHI_MISP_URL", server.url)
        monkeypatch.setenv("MADOGUCHI_MISP_KEY", KEY)
        monkeypatch.setenv("MADOGUCHI_MISP_ALLOW_PRIVATE", "true")
        yield server


@pytest.fixture
def world(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[World, str]:
    """The shared world with indicators, and the reference of ``case_a``."""
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", database_url)
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MADOGUCHI_SECRET_KEY", "a-very-secret-value")
    monkeypatch.setenv("MADOGUCHI_BROKER_URL", "")
    monkeypatch.chdir(tmp_path)
    desk = build_desk(Settings())
    try:
        migrate.upgrade(desk.engine)
        built = build_world(desk)
        seed_indicators(desk, built)
        with desk.uow_factory() as uow:
            case = uow.cases.get(built.case_a)
            assert case is not None
            reference = case.reference
    finally:
        desk.close()
    return built, reference


@pytest.fixture
def app() -> typer.Typer:
    built = typer.Typer()
    misp_cmd.register(built)
    return built


def test_misp_push_sends_the_case_and_says_what_went_wrong(
    app: typer.Typer,
    world: tuple[World, str],
    misp: MispServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    people, reference = world[0].people, world[1]
    handler = people["desk_handler"].email
    result = CliRunner().invoke(app, ["misp", "push", reference, "--as", handler])
    assert result.exit_code == 0, result.output
    assert f"{reference}: 3 attributes in MISP event" in result.output
    (event_uuid,) = misp.state.events
    assert misp.state.live_values(event_uuid) == {CLEAR_IP, GREEN_DOMAIN, AMBER_IP}

    reporter = people["party_reporter"].email
    refused = CliRunner().invoke(app, ["misp", "push", reference, "--as", reporter])
    assert refused.exit_code == 1 and "case not found" in refused.output

    monkeypatch.setenv("MADOGUCHI_MISP_KEY", "wrong")
    failed = CliRunner().invoke(app, ["misp", "push", reference, "--as", handler])
    assert failed.exit_code == 1 and "MADOGUCHI_MISP_KEY" in failed.output
    assert list(misp.state.events) == [event_uuid]
