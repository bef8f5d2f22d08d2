"""The S3 evidence store against a real SeaweedFS server: multipart uploads that stream
with bounded memory, aborts that leave nothing, verified local copies, and what
``madoguchi doctor`` says when the object store is not usable."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.memory import PeakMemory
from tests.seaweedfs import S3Server
from tests.storage.test_evidence_stores import _blocks, _settings

from madoguchi.domain.errors import ConfigurationError, InputFormatError
from madoguchi.services import operations
from madoguchi.storage import s3_blobs
from madoguchi.storage.blobs import object_name
from madoguchi.storage.evidence_stores import build_evidence_store
from madoguchi.storage.s3_blobs import EvidenceCache, S3EvidenceStore

MiB = 1024 * 1024


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    return s3_server.new_bucket()


@pytest.fixture
def s3_store(s3_server: S3Server, bucket: str, tmp_path: Path) -> S3EvidenceStore:
    store = build_evidence_store(_settings(tmp_path, **s3_server.settings_values(bucket)))
    assert isinstance(store, S3EvidenceStore)
    return store


def _keys(s3_server: S3Server, bucket: str) -> list[str]:
    listed = s3_server.client().list_objects_v2(Bucket=bucket)
    return [item["Key"] for item in listed.get("Contents", [])]


def _pending_uploads(s3_server: S3Server, bucket: str) -> list[Any]:
    return list(s3_server.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []))


def _local_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_keys_follow_the_object_layout_under_the_prefix(
    s3_store: S3EvidenceStore, s3_server: S3Server, bucket: str
) -> None:
    writer = s3_store.writer()
    writer.write(b"GET /owa/auth/x.js HTTP/1.1\n")
    blob = writer.commit()
    assert _keys(s3_server, bucket) == [f"desk/{object_name(blob.sha256)}"]


@pytest.mark.slow
def test_a_large_upload_streams_with_bounded_memory(
    s3_store: S3EvidenceStore, s3_server: S3Server, bucket: str
) -> None:
    total = 320 * MiB
    digest = hashlib.sha256()

    def chunks() -> Iterator[bytes]:
        block = hashlib.sha256(b"disk image").digest() * (MiB // 32)
        for counter in range(total // MiB):
            chunk = counter.to_bytes(8, "big") + block[8:]
            digest.update(chunk)
            yield chunk

    with PeakMemory() as memory:
        writer = s3_store.writer()
        for chunk in chunks():
            writer.write(chunk)
        blob = writer.commit()
    assert blob.size == total and blob.sha256 == digest.hexdigest()
    # a few parts in flight at most, never the file
    assert memory.growth_mib < 128, f"memory grew by {memory.growth_mib:.0f} MiB"
    head = s3_server.client().head_object(Bucket=bucket, Key=f"desk/{object_name(blob.sha256)}")
    assert head["ContentLength"] == total
    # the staging key and the multipart upload are gone
    assert _keys(s3_server, bucket) == [f"desk/{object_name(blob.sha256)}"]
    assert _pending_uploads(s3_server, bucket) == []
    # the process that received it keeps a local copy; another one downloads and checks it
    assert s3_store.cache.lookup(blob.sha256) is not None
    s3_store.cache.forget(blob.sha256)
    with PeakMemory() as memory:
        local = s3_store.path(blob.sha256)
    assert local.stat().st_size == total
    assert memory.growth_mib < 128, f"memory grew by {memory.growth_mib:.0f} MiB"


def test_a_large_object_is_copied_to_its_address_part_by_part(
    s3_store: S3EvidenceStore, s3_server: S3Server, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(s3_blobs, "COPY_THRESHOLD", 8 * MiB)
    monkeypatch.setattr(s3_blobs, "COPY_PART_BYTES", 5 * MiB)
    chunks = _blocks(23 * MiB)
    writer = s3_store.writer()
    for chunk in chunks:
        writer.write(chunk)
    blob = writer.commit()
    data = b"".join(chunks)
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert _keys(s3_server, bucket) == [f"desk/{object_name(blob.sha256)}"]
    s3_store.cache.forget(blob.sha256)
    with s3_store.open(blob.sha256) as handle:
        assert handle.read() == data


class FailingClient:
    """A boto3 client whose ``upload_part`` fails from the given part on."""

    def __init__(self, client: Any, fail_from: int) -> None:
        self._client = client
        self._fail_from = fail_from

    def upload_part(self, **kwargs: Any) -> Any:
        if kwargs["PartNumber"] >= self._fail_from:
            raise ConnectionResetError("the object store went away")
        return self._client.upload_part(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_a_failure_mid_upload_aborts_the_multipart_upload(
    s3_store: S3EvidenceStore, s3_server: S3Server, bucket: str
) -> None:
    s3_store.client = FailingClient(s3_store.client, fail_from=2)
    writer = s3_store.writer()
    with pytest.raises(ConnectionResetError):
        for chunk in _blocks(24 * MiB):
            writer.write(chunk)
    writer.abort()  # what the upload path does; a second abort is harmless
    assert _keys(s3_server, bucket) == []
    assert _pending_uploads(s3_server, bucket) == []
    assert _local_files(s3_store.cache.root) == []


def test_an_explicit_abort_after_parts_were_sent_leaves_nothing(
    s3_store: S3EvidenceStore, s3_server: S3Server, bucket: str
) -> None:
    writer = s3_store.writer()
    for chunk in _blocks(20 * MiB):
        writer.write(chunk)
    assert _pending_uploads(s3_server, bucket), "parts were sent before the abort"
    writer.abort()
    assert _keys(s3_server, bucket) == []
    assert _pending_uploads(s3_server, bucket) == []
    assert _local_files(s3_store.cache.root) == []


def test_a_damaged_object_is_not_handed_to_analyzers(
    s3_store: S3EvidenceStore, s3_server: S3Server, bucket: str
) -> None:
    sha256 = hashlib.sha256(b"original").hexdigest()
    s3_server.client().put_object(
        Bucket=bucket, Key=f"desk/{object_name(sha256)}", Body=b"tampered"
    )
    with pytest.raises(InputFormatError, match="does not match"):
        s3_store.path(sha256)
    assert _local_files(s3_store.cache.root / "objects") == []


def test_the_local_cache_is_bounded(s3_server: S3Server, bucket: str, tmp_path: Path) -> None:
    store = build_evidence_store(_settings(tmp_path, **s3_server.settings_values(bucket)))
    assert isinstance(store, S3EvidenceStore)
    store.cache = EvidenceCache(tmp_path / "cache", max_bytes=3 * MiB, grace=0)
    blobs = []
    for n in range(6):
        writer = store.writer()
        writer.write(n.to_bytes(1, "big") * MiB)
        blobs.append(writer.commit())
    cached = sum(p.stat().st_size for p in _local_files(store.cache.root / "objects"))
    assert cached <= 3 * MiB
    # an evicted copy comes back from the object store
    assert store.path(blobs[0].sha256).read_bytes() == b"\x00" * MiB


def test_a_bad_evidence_url_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="MADOGUCHI_EVIDENCE_URL"):
        build_evidence_store(_settings(tmp_path, evidence_url="ftp://host/evidence"))
    with pytest.raises(ConfigurationError, match="s3://bucket/prefix"):
        build_evidence_store(_settings(tmp_path, evidence_url="s3:///no-bucket"))


# --- doctor ---------------------------------------------------------------------------


def _evidence_check(store: Any) -> operations.Check:
    return operations._evidence_check(store)


def test_doctor_says_when_the_endpoint_is_down(tmp_path: Path) -> None:
    # nothing listens on port 1 of the loopback address
    settings = _settings(
        tmp_path,
        evidence_url="s3://evidence/desk",
        evidence_endpoint_url="http://127.0.0.1:1",
        evidence_access_key="k",
        evidence_secret_key="s",
    )
    check = _evidence_check(build_evidence_store(settings))
    assert check.status is operations.Status.FAIL
    assert "cannot reach the object store at http://127.0.0.1:1" in check.message
    assert "MADOGUCHI_EVIDENCE_ENDPOINT_URL" in check.message


def test_doctor_says_when_the_bucket_is_missing(s3_server: S3Server, tmp_path: Path) -> None:
    values = s3_server.settings_values("no-such-bucket-here")
    check = _evidence_check(build_evidence_store(_settings(tmp_path, **values)))
    assert check.status is operations.Status.FAIL
    assert "no-such-bucket-here does not exist" in check.message
    assert "MADOGUCHI_EVIDENCE_URL" in check.message


def test_doctor_says_when_the_credentials_are_refused(
    s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    values = {**s3_server.settings_values(bucket), "evidence_secret_key": "wrong-secret"}
    check = _evidence_check(build_evidence_store(_settings(tmp_path, **values)))
    assert check.status is operations.Status.FAIL
    assert "refused access" in check.message
    assert "MADOGUCHI_EVIDENCE_SECRET_KEY" in check.message
    assert "wrong-secret" not in check.message


def test_doctor_passes_a_usable_bucket(s3_store: S3EvidenceStore) -> None:
    check = _evidence_check(s3_store)
    assert check.status is operations.Status.OK, check.message
    assert "reachable and writable" in check.message
