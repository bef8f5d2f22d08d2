"""What every evidence store promises (``ports.EvidenceStore``), checked on the local
filesystem store and on the S3 store against a real SeaweedFS server."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest
from tests.seaweedfs import S3Server

from madoguchi.config import Settings
from madoguchi.domain.errors import ValidationError
from madoguchi.ports import EvidenceStore
from madoguchi.storage.evidence_stores import build_evidence_store

MiB = 1024 * 1024


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data", **values)  # type: ignore[call-arg]


@pytest.fixture(params=["filesystem", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> EvidenceStore:
    if request.param == "filesystem":
        return build_evidence_store(_settings(tmp_path))
    server: S3Server = request.getfixturevalue("s3_server")
    return build_evidence_store(_settings(tmp_path, **server.settings_values(server.new_bucket())))


def _blocks(total: int, seed: bytes = b"") -> list[bytes]:
    block = hashlib.sha256(seed or uuid.uuid4().bytes).digest() * (MiB // 32)
    return [i.to_bytes(8, "big") + block[8:] for i in range(total // MiB)]


def _write(store: EvidenceStore, chunks: list[bytes]):  # type: ignore[no-untyped-def]
    writer = store.writer()
    for chunk in chunks:
        writer.write(chunk)
    return writer.commit()


def test_round_trip_by_writer(store: EvidenceStore) -> None:
    chunks = _blocks(12 * MiB)  # more than one S3 part
    data = b"".join(chunks)
    blob = _write(store, chunks)
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert blob.size == len(data) and blob.head == data[:65536]
    assert store.exists(blob.sha256)
    with store.open(blob.sha256) as handle:
        assert handle.read() == data
    assert store.path(blob.sha256).read_bytes() == data
    assert [(o.sha256, o.size) for o in store.objects()] == [(blob.sha256, len(data))]


def test_small_files_and_identical_content_are_stored_once(
    store: EvidenceStore, tmp_path: Path
) -> None:
    source = tmp_path / "note.txt"
    source.write_bytes("身代金の要求\n".encode())
    first = store.ingest_file(source)
    second = _write(store, [source.read_bytes()])
    assert first == second
    assert [o.sha256 for o in store.objects()] == [first.sha256]
    assert store.path(first.sha256).read_bytes() == source.read_bytes()


def test_an_aborted_upload_leaves_nothing(store: EvidenceStore) -> None:
    writer = store.writer()
    for chunk in _blocks(11 * MiB):
        writer.write(chunk)
    writer.abort()
    assert list(store.objects()) == []


def test_an_oversized_upload_is_refused_and_leaves_nothing(store: EvidenceStore) -> None:
    writer = store.writer(max_bytes=6 * MiB)
    with pytest.raises(ValidationError):
        for chunk in _blocks(8 * MiB):
            writer.write(chunk)
    assert list(store.objects()) == []


def test_delete_and_missing_objects(store: EvidenceStore) -> None:
    blob = _write(store, [b"evidence that goes away\n"])
    store.delete(blob.sha256)
    assert not store.exists(blob.sha256)
    assert list(store.objects()) == []
    with pytest.raises(FileNotFoundError):
        store.open(blob.sha256)
    with pytest.raises(FileNotFoundError):
        store.path(blob.sha256).read_bytes()


def test_scratch_space_is_local_and_removable(store: EvidenceStore) -> None:
    scratch = store.scratch_dir()
    (scratch / "member.bin").write_bytes(b"x")
    store.remove_scratch(scratch)
    assert not scratch.exists()


def test_a_healthy_store_says_so(store: EvidenceStore) -> None:
    health = store.health()
    assert health.status == "OK", health.message
    assert store.describe().split()[0] in health.message
