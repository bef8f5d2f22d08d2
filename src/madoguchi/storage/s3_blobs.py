"""The content-addressed evidence store on an S3-compatible object store (boto3).

Keys under ``s3://bucket/prefix/`` follow the filesystem store's layout,
``objects/ab/cd/<sha256>``, so backups move between the two kinds of store.

An upload is hashed while it is sent, one part in memory at a time. A small file is
written with one ``PutObject`` at ``commit``. A large one becomes a multipart upload to
``tmp/<uuid>``; ``commit`` completes it, copies it (server side) to its content address
and deletes the staging key; ``abort`` (and any failure) aborts the multipart upload.
Either way nothing appears under ``objects/`` before the whole file is there.

Analyzers read files by path, so every process keeps a bounded local cache of copies
(``EvidenceCache``): filled while an upload is sent (the process that received a file
does not download it again) or on first use (verified against the hash), and trimmed
least-recently-used first.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from madoguchi.config import Settings
from madoguchi.domain.errors import ConfigurationError, InputFormatError, ValidationError
from madoguchi.i18n.catalogue import N_
from madoguchi.ports import StoredBlob, StoredObject, StoreHealth
from madoguchi.storage.blobs import (
    CHUNK,
    CountingWriter,
    is_sha256,
    local_disk_health,
    object_name,
    write_file,
)
from madoguchi.storage.temp_files import temp_name

MiB = 1024 * 1024
PART_BYTES = 8 * MiB  # S3 needs 5 MiB or more for every part but the last
MAX_PARTS = 10_000
COPY_THRESHOLD = 1024 * MiB  # larger copies go part by part (S3 needs that past 5 GiB)
COPY_PART_BYTES = 256 * MiB
NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchBucket"})
DENIED = frozenset(
    {"403", "AccessDenied", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch"}
)


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    return code or str(response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


class EvidenceCache:
    """Local copies of stored objects, at most ``max_bytes`` of them (LRU by mtime).

    A copy used in the last ``grace`` seconds is kept even over the limit, so a file an
    analyzer was just handed does not vanish before it is opened.
    """

    def __init__(self, root: Path, max_bytes: int, *, grace: float = 600.0) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.grace = grace
        self._added = max_bytes  # scan once on the first addition

    def path(self, sha256: str) -> Path:
        return self.root / object_name(sha256)

    def lookup(self, sha256: str) -> Path | None:
        path = self.path(sha256)
        try:
            os.utime(path)
        except OSError:
            return None
        return path

    def temp(self) -> Path:
        path = self.root / "tmp" / temp_name(suffix=".part")
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def adopt(self, temp: Path, sha256: str, size: int) -> Path:
        """Move a complete, verified copy into place."""
        target = self.path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            temp.unlink(missing_ok=True)
            os.utime(target)
        else:
            temp.replace(target)
            target.chmod(0o440)
        self._added += size
        if self._added * 20 >= self.max_bytes:
            self.trim()
        return target

    def forget(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def trim(self) -> None:
        self._added = 0
        objects = self.root / "objects"
        if not objects.is_dir():
            return
        entries = []
        for path in objects.rglob("*"):
            try:
                stat = path.stat()
            except OSError:
                continue
            if path.is_file():
                entries.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in entries)
        recent = time.time() - self.grace
        for mtime, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            if mtime >= recent:
                continue
            path.unlink(missing_ok=True)
            total -= size


class S3BlobWriter(CountingWriter):
    """Receives an upload chunk by chunk (``ports.BlobWriter``)."""

    def __init__(self, store: S3EvidenceStore, max_bytes: int | None) -> None:
        super().__init__(max_bytes)
        self.store = store
        self.staging_key = store.key(f"tmp/{uuid.uuid4().hex}")
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._cache_temp = store.cache.temp()
        self._cache: IO[bytes] | None = self._cache_temp.open("wb")

    def write(self, chunk: bytes) -> None:
        assert self._cache is not None, "writer is closed"
        self._count(chunk)
        try:
            self._cache.write(chunk)
            self._buffer += chunk
            while len(self._buffer) >= self._part_size():
                self._send_part()
        except BaseException:
            self.abort()
            raise

    def _part_size(self) -> int:
        # grow the parts so that 10,000 of them hold far more than any upload limit
        return self.store.part_bytes * (1 + len(self._parts) // 1000)

    def _send_part(self) -> None:
        size = min(len(self._buffer), self._part_size())
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        client, bucket = self.store.client, self.store.bucket
        if self._upload_id is None:
            created = client.create_multipart_upload(Bucket=bucket, Key=self.staging_key)
            self._upload_id = str(created["UploadId"])
        number = len(self._parts) + 1
        if number > MAX_PARTS:
            raise ValidationError(N_("the file is larger than the desk accepts"), where="file")
        answer = client.upload_part(
            Bucket=bucket,
            Key=self.staging_key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=data,
        )
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def commit(self) -> StoredBlob:
        assert self._cache is not None, "writer is closed"
        sha256 = self._digest.hexdigest()
        target = self.store.key(object_name(sha256))
        client, bucket = self.store.client, self.store.bucket
        try:
            self._cache.close()
            self._cache = None
            if self._upload_id is None:
                if not self.store.exists(sha256):
                    client.put_object(Bucket=bucket, Key=target, Body=bytes(self._buffer))
            else:
                if self._buffer:
                    self._send_part()
                client.complete_multipart_upload(
                    Bucket=bucket,
                    Key=self.staging_key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts},
                )
                self._upload_id = None
                try:
                    if not self.store.exists(sha256):
                        self.store.copy(self.staging_key, target)
                finally:
                    client.delete_object(Bucket=bucket, Key=self.staging_key)
        except BaseException:
            self.abort()
            raise
        self._buffer = bytearray()
        self.store.cache.adopt(self._cache_temp, sha256, self.size)
        return StoredBlob(sha256=sha256, size=self.size, head=self.head)

    def abort(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None
        self._cache_temp.unlink(missing_ok=True)
        self._buffer = bytearray()
        if self._upload_id is not None:
            upload_id, self._upload_id = self._upload_id, None
            # the upload failed already; should the abort fail too, the bucket's lifecycle
            # rule for incomplete multipart uploads removes what is left
            with contextlib.suppress(Exception):
                self.store.client.abort_multipart_upload(
                    Bucket=self.store.bucket, Key=self.staging_key, UploadId=upload_id
                )


class _BodyReader(io.RawIOBase):
    """A botocore streaming body as a file object (read-only, not seekable)."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3EvidenceStore:
    """``ports.EvidenceStore`` on one bucket and key prefix."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str,
        cache: EvidenceCache,
        *,
        endpoint: str = "",
        part_bytes: int = PART_BYTES,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.cache = cache
        self.endpoint = endpoint
        self.part_bytes = max(part_bytes, 5 * MiB)

    def key(self, name: str) -> str:
        return self.prefix + name

    # --- writing --------------------------------------------------------------------

    def writer(self, max_bytes: int | None = None) -> S3BlobWriter:
        return S3BlobWriter(self, max_bytes)

    def ingest_file(self, source: Path, max_bytes: int | None = None) -> StoredBlob:
        return write_file(self.writer(max_bytes), source)

    def copy(self, source_key: str, target_key: str) -> None:
        """Server-side copy (multipart above ``COPY_THRESHOLD``, as S3 needs past 5 GiB)."""
        from boto3.s3.transfer import TransferConfig

        config = TransferConfig(
            multipart_threshold=COPY_THRESHOLD, multipart_chunksize=COPY_PART_BYTES
        )
        self.client.copy(
            {"Bucket": self.bucket, "Key": source_key}, self.bucket, target_key, Config=config
        )

    # --- reading --------------------------------------------------------------------

    def path(self, sha256: str) -> Path:
        """A local copy, downloaded and checked against its hash when not cached."""
        cached = self.cache.lookup(sha256)
        if cached is not None:
            return cached
        temp = self.cache.temp()
        digest = hashlib.sha256()
        size = 0
        try:
            with self.open(sha256) as source, temp.open("wb") as out:
                for chunk in iter(lambda: source.read(CHUNK), b""):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            if digest.hexdigest() != sha256:
                raise InputFormatError(
                    N_("the stored object does not match its SHA-256 (damaged)"),
                    where=self.key(object_name(sha256)),
                )
            return self.cache.adopt(temp, sha256, size)
        finally:
            temp.unlink(missing_ok=True)

    def exists(self, sha256: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(object_name(sha256)))
        except Exception as error:
            if _error_code(error) in NOT_FOUND:
                return False
            raise
        return True

    def open(self, sha256: str) -> IO[bytes]:
        """The object as stored in the bucket (never the local copy), streamed."""
        key = self.key(object_name(sha256))
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
        except Exception as error:
            if _error_code(error) in NOT_FOUND:
                raise FileNotFoundError(f"s3://{self.bucket}/{key}") from error
            raise
        return io.BufferedReader(_BodyReader(answer["Body"]), CHUNK)

    def objects(self) -> Iterator[StoredObject]:
        """Every object under ``objects/``, in key order (keys that do not belong are
        skipped)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.key("objects/")
        )
        for page in pages:
            for item in page.get("Contents", []):
                name = str(item["Key"])[len(self.prefix) :]
                sha256 = name.rsplit("/", 1)[-1]
                if is_sha256(sha256) and name == object_name(sha256):
                    modified = item.get("LastModified")
                    mtime = modified.timestamp() if modified is not None else 0.0
                    yield StoredObject(sha256, int(item["Size"]), mtime)

    def delete(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(object_name(sha256)))
        self.cache.forget(sha256)

    # --- scratch space (local) ------------------------------------------------------

    def scratch_dir(self) -> Path:
        path = self.cache.root / "tmp" / temp_name(prefix="work-")
        path.mkdir(parents=True)
        return path

    def remove_scratch(self, path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)

    # --- health ---------------------------------------------------------------------

    def describe(self) -> str:
        where = f"s3://{self.bucket}/{self.prefix}"
        return f"{where} at {self.endpoint}" if self.endpoint else where

    def health(self) -> StoreHealth:
        """Reach the endpoint, find the bucket, write, list and delete a probe."""
        endpoint = self.endpoint or "AWS S3"
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as error:
            return StoreHealth("FAIL", self._bucket_problem(error, endpoint))
        probe = self.key(f"tmp/.doctor-{uuid.uuid4().hex}")
        action = "write"
        try:
            self.client.put_object(Bucket=self.bucket, Key=probe, Body=b"x")
            action = "read"
            self.client.get_object(Bucket=self.bucket, Key=probe)["Body"].read()
            action = "list"
            self.client.list_objects_v2(Bucket=self.bucket, Prefix=self.key("tmp/"), MaxKeys=1)
            action = "delete"
            self.client.delete_object(Bucket=self.bucket, Key=probe)
        except Exception as error:
            return StoreHealth(
                "FAIL",
                N_(
                    "the bucket {bucket} answers but this key cannot {action} objects under "
                    "{where} ({code}); allow s3:PutObject, s3:GetObject, s3:DeleteObject, "
                    "s3:ListBucket and s3:AbortMultipartUpload on it"
                ).format(
                    bucket=self.bucket,
                    action=action,
                    where=self.describe(),
                    code=_error_code(error) or type(error).__name__,
                ),
            )
        local = local_disk_health(self.cache.root, "MADOGUCHI_EVIDENCE_CACHE_DIR")
        if local.status != "OK":
            return StoreHealth(
                local.status,
                N_("{where} works, but the local copies: {problem}").format(
                    where=self.describe(), problem=local.message
                ),
            )
        return StoreHealth(
            "OK",
            N_("{where} is reachable and writable; local copies in {cache}").format(
                where=self.describe(), cache=self.cache.root
            ),
        )

    def _bucket_problem(self, error: Exception, endpoint: str) -> str:
        from botocore.exceptions import ClientError, NoCredentialsError

        if isinstance(error, NoCredentialsError):
            return N_(
                "no credentials for {where}: set MADOGUCHI_EVIDENCE_ACCESS_KEY and "
                "MADOGUCHI_EVIDENCE_SECRET_KEY (or the usual AWS_* variables)"
            ).format(where=self.describe())
        if not isinstance(error, ClientError):
            return N_(
                "cannot reach the object store at {endpoint} ({error}); check "
                "MADOGUCHI_EVIDENCE_ENDPOINT_URL and that the server is running"
            ).format(endpoint=endpoint, error=_short(error))
        code = _error_code(error)
        if code in NOT_FOUND:
            return N_(
                "the bucket {bucket} does not exist at {endpoint}: create it "
                "(for example `aws s3 mb s3://{bucket}`) or fix MADOGUCHI_EVIDENCE_URL"
            ).format(bucket=self.bucket, endpoint=endpoint)
        if code in DENIED:
            return N_(
                "{endpoint} refused access to the bucket {bucket} ({code}): check "
                "MADOGUCHI_EVIDENCE_ACCESS_KEY and MADOGUCHI_EVIDENCE_SECRET_KEY, and that "
                "this key may use the bucket"
            ).format(endpoint=endpoint, bucket=self.bucket, code=code)
        return N_("{endpoint} answered {code} for the bucket {bucket}: {error}").format(
            endpoint=endpoint, code=code, bucket=self.bucket, error=_short(error)
        )


def _short(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__


def parse_evidence_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` as (bucket, prefix)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError(
            N_("MADOGUCHI_EVIDENCE_URL must look like s3://bucket/prefix"), where=url
        )
    return parts.netloc, parts.path.strip("/")


def s3_store_from_settings(settings: Settings) -> S3EvidenceStore:
    """Build the store and its boto3 client; nothing is contacted until it is used."""
    import boto3
    from botocore.config import Config

    bucket, prefix = parse_evidence_url(settings.evidence_url)
    endpoint = settings.evidence_endpoint_url.strip()
    secret = settings.evidence_secret_key.get_secret_value()
    config = Config(
        connect_timeout=5,
        read_timeout=120,
        retries={"max_attempts": 3, "mode": "standard"},
        # S3-compatible servers on their own host name want bucket names in the path
        s3={"addressing_style": "path" if endpoint else "auto"},
    )
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint or None,
        region_name=settings.evidence_region or None,
        aws_access_key_id=settings.evidence_access_key or None,
        aws_secret_access_key=secret or None,
        config=config,
    )
    cache = EvidenceCache(settings.effective_evidence_cache_dir, settings.evidence_cache_max_bytes)
    return S3EvidenceStore(client, bucket, prefix, cache, endpoint=endpoint)
