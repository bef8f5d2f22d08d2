"""``madoguchi doctor`` on a healthy desk, an unreachable database, a read-only store."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from madoguchi.cli import build_app
from madoguchi.config import Settings
from madoguchi.services import operations
from madoguchi.storage.evidence_stores import build_evidence_store
from madoguchi.storage.sql import migrate
from madoguchi.storage.sql.db import make_engine
from madoguchi.storage.sql.maintenance import SqlDatabase


@pytest.fixture
def healthy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(data))
    monkeypatch.setenv("MADOGUCHI_SECRET_KEY", "k" * 48)
    for name in ("DATABASE_URL", "BROKER_URL", "SMTP_HOST", "EVIDENCE_DIR"):
        monkeypatch.delenv(f"MADOGUCHI_{name}", raising=False)
    monkeypatch.chdir(tmp_path)
    engine = make_engine(Settings().effective_database_url)
    migrate.upgrade(engine)
    engine.dispose()
    return data


def _by_name(settings: Settings) -> dict[str, operations.Check]:
    checks = operations.diagnose(
        settings, SqlDatabase(settings.effective_database_url), build_evidence_store(settings)
    )
    return {check.name: check for check in checks}


def test_a_healthy_sqlite_desk_passes(healthy: Path) -> None:
    result = CliRunner().invoke(build_app(), ["doctor"], terminal_width=200)
    assert result.exit_code == 0, result.output
    checks = _by_name(Settings())
    assert checks["database"].status is operations.Status.OK
    assert checks["migrations"].status is operations.Status.OK
    assert checks["evidence store"].status is operations.Status.OK
    assert checks["secret key"].status is operations.Status.OK
    # no SMTP is a warning, not a failure
    assert checks["smtp"].status is operations.Status.WARN
    assert "FAIL" not in result.output and "database" in result.output


def test_an_old_schema_asks_for_db_upgrade(healthy: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'old.sqlite3').as_posix()}"
    engine = make_engine(url)
    migrate.upgrade(engine, "0005")
    engine.dispose()
    checks = _by_name(Settings(database_url=url))
    assert checks["migrations"].status is operations.Status.FAIL
    assert "0005" in checks["migrations"].message
    assert "madoguchi db upgrade" in checks["migrations"].message


def test_an_unreachable_database_fails_with_exit_code_1(
    healthy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # nothing listens on port 1 of the loopback address
    url = "postgresql+psycopg://madoguchi:hunter2-secret@127.0.0.1:1/madoguchi"
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", url)
    result = CliRunner().invoke(build_app(), ["doctor"], terminal_width=200)
    assert result.exit_code == 1
    assert "cannot connect" in result.output and "MADOGUCHI_DATABASE_URL" in result.output
    assert "hunter2-secret" not in result.output
    checks = _by_name(Settings())
    assert checks["database"].status is operations.Status.FAIL


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory this process cannot write to. Root ignores permission bits, so as
    root it is /proc (an existing directory no one can create files in)."""
    if os.geteuid() == 0:
        yield Path("/proc")
        return
    path = tmp_path / "read-only"
    path.mkdir()
    path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    yield path
    path.chmod(stat.S_IRWXU)


def test_a_read_only_evidence_store_fails(
    healthy: Path, read_only_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MADOGUCHI_EVIDENCE_DIR", str(read_only_dir))
    result = CliRunner().invoke(build_app(), ["doctor"], terminal_width=200)
    assert result.exit_code == 1
    check = _by_name(Settings())["evidence store"]
    assert check.status is operations.Status.FAIL
    assert "cannot write" in check.message and "MADOGUCHI_EVIDENCE_DIR" in check.message


def test_an_evidence_store_that_cannot_exist_fails(healthy: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    checks = _by_name(Settings(evidence_dir=blocker / "evidence"))
    assert checks["evidence store"].status is operations.Status.FAIL


def test_an_unreachable_broker_and_smtp_fail(healthy: Path) -> None:
    settings = Settings(broker_url="redis://127.0.0.1:1/0", smtp_host="127.0.0.1", smtp_port=1)
    checks = _by_name(settings)
    assert checks["broker"].status is operations.Status.FAIL
    assert "MADOGUCHI_BROKER_URL" in checks["broker"].message
    assert checks["smtp"].status is operations.Status.FAIL


def test_a_shared_database_without_a_secret_key_fails(
    healthy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MADOGUCHI_SECRET_KEY")
    settings = Settings(broker_url="redis://127.0.0.1:1/0")
    assert _by_name(settings)["secret key"].status is operations.Status.FAIL
