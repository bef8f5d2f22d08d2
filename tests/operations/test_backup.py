"""``madoguchi backup`` / ``madoguchi restore`` round trips, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import tarfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.world import build_world, store_bytes
from typer.testing import CliRunner

from madoguchi.bootstrap import Desk
from madoguchi.cli import build_app
from madoguchi.services import audit

PAYLOAD = "被害サーバのログ\n".encode() * 1000


@pytest.fixture
def source(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> Desk:
    """A desk with a world, some evidence and an audit trail, addressed by the CLI."""
    build_world(desk)
    store_bytes(desk, PAYLOAD)
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", desk.settings.effective_database_url)
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(desk.settings.data_dir))
    monkeypatch.setenv("MADOGUCHI_SECRET_KEY", "k" * 48)
    return desk


@dataclass
class Target:
    """A second, empty database and data directory of the same kind as the source."""

    url: str
    data_dir: Path

    def use(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MADOGUCHI_DATABASE_URL", self.url)
        monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(self.data_dir))


@pytest.fixture
def target(source: Desk, tmp_path: Path) -> Iterator[Target]:
    data_dir = tmp_path / "restored"
    if source.engine.dialect.name == "sqlite":
        yield Target(f"sqlite:///{(data_dir / 'madoguchi.sqlite3').as_posix()}", data_dir)
        return
    admin = make_url(source.settings.effective_database_url).set(database="postgres")
    name = f"mdg_restore_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield Target(admin.set(database=name).render_as_string(hide_password=False), data_dir)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), list(args), terminal_width=200)
    return result.exit_code, result.output


def _backup(tmp_path: Path) -> Path:
    out = tmp_path / "backup.tar"
    code, output = _run("backup", str(out))
    assert code == 0, output
    return out


def _count(url: str, table: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count: int = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    engine.dispose()
    return count


def test_backup_holds_a_manifest_with_every_object(source: Desk, tmp_path: Path) -> None:
    out = _backup(tmp_path)
    with tarfile.open(out) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        names = set(tar.getnames())
    objects = sorted(p for p in (source.store.root / "objects").rglob("*") if p.is_file())
    assert len(manifest["evidence"]) == len(objects) >= 3
    assert {e["sha256"] for e in manifest["evidence"]} == {p.name for p in objects}
    assert manifest["schema_revision"] == "0008" and manifest["tool_version"]
    assert manifest["database"]["path"] in names and manifest["damaged"] == []


def test_round_trip_restores_database_and_evidence(
    source: Desk, tmp_path: Path, target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = _count(source.settings.effective_database_url, "cases")
    out = _backup(tmp_path)
    target.use(monkeypatch)
    code, output = _run("restore", str(out))
    assert code == 0, output
    assert _count(target.url, "cases") == cases >= 2
    restored = tmp_path / "restored" / "evidence" / "objects"
    assert any(p.read_bytes() == PAYLOAD for p in restored.rglob("*") if p.is_file())
    # the audit chain survived the trip intact
    desk_code, verify_output = _run("audit", "verify")
    assert desk_code == 0, verify_output


def test_restore_refuses_a_non_empty_target_without_force(source: Desk, tmp_path: Path) -> None:
    out = _backup(tmp_path)
    with source.uow_factory() as uow:
        audit.record(uow, None, "case:read", "case", 1)
        uow.commit()
    code, output = _run("restore", str(out))
    assert code == 1 and "--force" in output
    code, output = _run("restore", str(out), "--force")
    assert code == 0, output
    # the entry written after the backup is gone again
    with source.uow_factory() as uow:
        assert audit.verify_chain(uow).ok


def test_restore_reports_evidence_that_does_not_match_the_manifest(
    source: Desk, tmp_path: Path, target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _backup(tmp_path)
    tampered = tmp_path / "tampered.tar"
    with tarfile.open(out) as original, tarfile.open(tampered, "w") as copy:
        manifest = json.loads(original.extractfile("manifest.json").read())  # type: ignore[union-attr]
        victim = manifest["evidence"][0]["path"]
        for member in original.getmembers():
            data = original.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == victim:
                data = b"X" + data[1:]
            copy.addfile(member, io.BytesIO(data))
    target.use(monkeypatch)
    code, output = _run("restore", str(tampered))
    assert code == 1
    assert "MISMATCH" in output and victim in output
    sha = victim.rsplit("/", 1)[1]
    assert not list((tmp_path / "restored" / "evidence").rglob(sha))


def test_restore_refuses_a_file_that_is_not_a_backup(source: Desk, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.tar"
    with tarfile.open(bogus, "w") as tar:
        tar.addfile(tarfile.TarInfo("hello.txt"), io.BytesIO(b""))
    code, output = _run("restore", str(bogus), "--force")
    assert code == 1 and "no readable manifest" in output


def test_backup_of_a_missing_database_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "nothing"))
    monkeypatch.delenv("MADOGUCHI_DATABASE_URL", raising=False)
    code, output = _run("backup", str(tmp_path / "b.tar"))
    assert code == 1 and "nothing to back up" in output
    assert not (tmp_path / "b.tar").exists()
    assert not (tmp_path / "nothing" / "madoguchi.sqlite3").exists()
