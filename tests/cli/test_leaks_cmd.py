from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from madoguchi.cli import leaks_cmd
from madoguchi.config import Settings
from madoguchi.domain.organisation import OrgKind
from madoguchi.services import accounts
from madoguchi.storage.sql import migrate
from madoguchi.storage.sql.db import make_engine, make_session_factory
from madoguchi.storage.sql.uow import SqlUnitOfWork


@pytest.fixture
def app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", database_url)
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MADOGUCHI_SECRET_KEY", "a-very-secret-value")
    monkeypatch.delenv("MADOGUCHI_LEAK_FEED_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    engine = make_engine(Settings().effective_database_url)
    migrate.upgrade(engine)
    with SqlUnitOfWork(make_session_factory(engine)) as uow:
        accounts.create_organisation(uow, None, "株式会社みなと精工", OrgKind.VICTIM)
        uow.commit()
    engine.dispose()
    built = typer.Typer()
    leaks_cmd.register(built)
    return built


def test_leaks_import_reads_both_formats_and_reports_matches(
    app: typer.Typer, tmp_path: Path
) -> None:
    posts = tmp_path / "victims.json"
    posts.write_text(
        json.dumps(
            [{"post_title": "ミナト精工㈱", "group_name": "lynx", "published": "2026-11-01"}]
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["leaks", "import", str(posts)])
    assert result.exit_code == 0, result.output
    assert "1 posts read, 1 new" in result.output and "1 new matches" in result.output
    table = tmp_path / "posts.csv"
    table.write_text("post_title,group_name\nSomething Else Ltd,play\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["leaks", "import", str(table), "--format", "csv"])
    assert result.exit_code == 0 and "0 new matches" in result.output
    bad = CliRunner().invoke(app, ["leaks", "import", str(table), "--format", "xml"])
    assert bad.exit_code == 2


def test_leaks_fetch_without_a_feed_says_what_is_missing(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["leaks", "fetch"])
    assert result.exit_code == 1
    assert "MADOGUCHI_LEAK_FEED_URL" in result.output
