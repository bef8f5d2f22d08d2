"""A whole desk on the S3 evidence store (SeaweedFS): an upload through the live web
server lands in the bucket and is analysed from there, ``backup``/``restore`` carry the
objects verified by hash, and ``doctor``/``config show`` speak about the object store."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import httpx
import pytest
from tests.conftest import LiveServer
from tests.seaweedfs import S3Server
from tests.world import build_world, store_bytes
from typer.testing import CliRunner

from madoguchi.bootstrap import Desk
from madoguchi.cli import build_app
from madoguchi.config import Settings
from madoguchi.ports import StoredBlob
from madoguchi.storage.blobs import object_name
from madoguchi.storage.s3_blobs import S3EvidenceStore

EVTX = Path(__file__).resolve().parents[1] / "analyzers/windows_evtx/data/vss-delete-wmic.evtx"
PAYLOAD = "被害サーバのログ\n".encode() * 1000


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: what is tested here is the evidence store, not the database."""
    return f"sqlite:///{(tmp_path / 'madoguchi.sqlite3').as_posix()}"


@pytest.fixture
def settings(settings: Settings, s3_server: S3Server) -> Settings:
    """The suite's settings with the evidence on a fresh bucket of the S3 server."""
    values = {**settings.model_dump(), **s3_server.settings_values(s3_server.new_bucket())}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), list(args), terminal_width=200)
    return result.exit_code, result.output


def _bucket_keys(s3_server: S3Server, bucket: str) -> list[str]:
    listed = s3_server.client().list_objects_v2(Bucket=bucket)
    return [item["Key"] for item in listed.get("Contents", [])]


def test_an_upload_through_the_web_is_stored_in_s3_and_analysed(
    live_server: LiveServer, s3_server: S3Server
) -> None:
    desk = live_server.desk
    store = desk.store
    assert isinstance(store, S3EvidenceStore)
    world = build_world(desk)
    data = EVTX.read_bytes()
    response = httpx.put(
        f"{live_server.url}/api/v1/cases/{world.case_a}/evidence/Security.evtx",
        content=data,
        headers={"Authorization": f"Bearer {world.people['party_reporter'].token}"},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    stored = response.json()["evidence"]
    assert stored["sha256"] == hashlib.sha256(data).hexdigest()
    key = f"desk/{object_name(stored['sha256'])}"
    assert key in _bucket_keys(s3_server, store.bucket)
    # the analysis runs where nothing is cached, as on a worker on another machine
    shutil.rmtree(store.cache.root)
    assert desk.inline_queue is not None
    desk.inline_queue.run_pending()
    with desk.uow_factory() as uow:
        runs = list(uow.analysis.for_evidence(stored["id"]))
    assert [r.analyzer for r in runs] == ["windows-evtx"], runs
    document = runs[0].document
    assert document is not None
    assert any("T1490" in f["attack"] for f in document["findings"])  # shadow copies deleted
    # the download is served from the object store too
    download = httpx.get(
        f"{live_server.url}/api/v1/evidence/{stored['id']}/content",
        headers={"Authorization": f"Bearer {world.people['party_reporter'].token}"},
        timeout=60,
    )
    assert download.status_code == 200 and download.content == data


def _use(
    monkeypatch: pytest.MonkeyPatch, desk_url: str, data_dir: Path, env: dict[str, str]
) -> None:
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", desk_url)
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(data_dir))
    monkeypatch.setenv("MADOGUCHI_SECRET_KEY", "k" * 48)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def _backed_up(
    desk: Desk, s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[S3EvidenceStore, StoredBlob, Path, str]:
    """A world with one stored payload on S3, backed up to ``tmp_path/backup.tar``."""
    store = desk.store
    assert isinstance(store, S3EvidenceStore)
    build_world(desk)
    payload = store_bytes(desk, PAYLOAD)
    _use(
        monkeypatch,
        desk.settings.effective_database_url,
        desk.settings.data_dir,
        s3_server.environment(store.bucket),
    )
    out = tmp_path / "backup.tar"
    code, output = _run("backup", str(out))
    assert code == 0, output
    return store, payload, out, output


def test_backup_and_restore_carry_s3_evidence_verified_by_hash(
    desk: Desk, s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, payload, out, output = _backed_up(desk, s3_server, tmp_path, monkeypatch)
    with tarfile.open(out) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    source_objects = {o.sha256: o.size for o in store.objects()}
    assert {e["sha256"]: e["size"] for e in manifest["evidence"]} == source_objects
    assert payload.sha256 in source_objects and manifest["damaged"] == []

    # into an empty desk on another bucket
    target_bucket = s3_server.new_bucket()
    target_dir = tmp_path / "restored"
    target_url = f"sqlite:///{(target_dir / 'madoguchi.sqlite3').as_posix()}"
    _use(monkeypatch, target_url, target_dir, s3_server.environment(target_bucket, "restored"))
    code, output = _run("restore", str(out))
    assert code == 0, output
    assert f"{len(source_objects)} evidence objects" in output
    keys = _bucket_keys(s3_server, target_bucket)
    assert sorted(keys) == sorted(f"restored/{object_name(sha)}" for sha in source_objects)
    body = s3_server.client().get_object(
        Bucket=target_bucket, Key=f"restored/{object_name(payload.sha256)}"
    )["Body"]
    assert body.read() == PAYLOAD
    code, output = _run("audit", "verify")
    assert code == 0, output

    # a second restore needs --force, and replaces what is there
    code, output = _run("restore", str(out))
    assert code == 1 and "--force" in output
    s3_server.client().put_object(
        Bucket=target_bucket, Key=f"restored/{object_name('0' * 64)}", Body=b"stray"
    )
    code, output = _run("restore", str(out), "--force")
    assert code == 0, output
    assert len(_bucket_keys(s3_server, target_bucket)) == len(source_objects)


def test_restore_into_s3_leaves_out_tampered_objects(
    desk: Desk, s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store, payload, out, _output = _backed_up(desk, s3_server, tmp_path, monkeypatch)
    tampered = tmp_path / "tampered.tar"
    victim = "evidence/" + object_name(payload.sha256)
    with tarfile.open(out) as original, tarfile.open(tampered, "w") as copy:
        for member in original.getmembers():
            data = original.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == victim:
                data = b"X" + data[1:]
            copy.addfile(member, io.BytesIO(data))
    target_bucket = s3_server.new_bucket()
    target_dir = tmp_path / "restored"
    target_url = f"sqlite:///{(target_dir / 'madoguchi.sqlite3').as_posix()}"
    _use(monkeypatch, target_url, target_dir, s3_server.environment(target_bucket))
    code, output = _run("restore", str(tampered))
    assert code == 1 and "MISMATCH" in output and victim in output
    assert not [k for k in _bucket_keys(s3_server, target_bucket) if payload.sha256 in k]


def test_doctor_command_reports_an_unreachable_object_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, desk: Desk
) -> None:
    _use(
        monkeypatch,
        desk.settings.effective_database_url,
        desk.settings.data_dir,
        {
            "MADOGUCHI_EVIDENCE_URL": "s3://evidence/desk",
            "MADOGUCHI_EVIDENCE_ENDPOINT_URL": "http://127.0.0.1:1",
            "MADOGUCHI_EVIDENCE_ACCESS_KEY": "madoguchi",
            "MADOGUCHI_EVIDENCE_SECRET_KEY": "hunter2-object-secret",
        },
    )
    code, output = _run("doctor")
    assert code == 1
    assert "cannot reach the object store" in output
    assert "MADOGUCHI_EVIDENCE_ENDPOINT_URL" in output
    assert "hunter2-object-secret" not in output


def test_config_show_masks_the_object_store_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MADOGUCHI_EVIDENCE_URL", "s3://evidence/desk")
    monkeypatch.setenv("MADOGUCHI_EVIDENCE_SECRET_KEY", "hunter2-object-secret")
    code, output = _run("config", "show")
    assert code == 0, output
    assert "hunter2-object-secret" not in output
    shown = Settings(_env_file=None).masked()  # type: ignore[call-arg]
    assert shown["evidence_url"] == "s3://evidence/desk"
    assert shown["evidence_secret_key"] == "********"
