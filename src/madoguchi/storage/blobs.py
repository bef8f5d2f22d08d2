"""The content-addressed evidence store on a filesystem (local disk or shared storage).

Bytes are written to ``tmp/`` while they are hashed, then renamed to
``objects/ab/cd/<sha256>``; a file that is not committed (an upload cut halfway, an
oversized one) is deleted and never becomes visible. Identical content is stored once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from madoguchi.domain.errors import ValidationError
from madoguchi.i18n.catalogue import N_
from madoguchi.ports import BlobWriter as BlobWriterPort
from madoguchi.ports import StoredBlob, StoredObject, StoreHealth
from madoguchi.storage.temp_files import temp_name

CHUNK = 1024 * 1024
MIN_FREE_BYTES = 1024**3
LOW_FREE_BYTES = 10 * 1024**3
HEX = frozenset("0123456789abcdef")


def is_sha256(value: str) -> bool:
    return len(value) == 64 and set(value) <= HEX


def object_name(sha256: str) -> str:
    """``objects/ab/cd/<sha256>``: the layout of every store and of backups."""
    if not is_sha256(sha256):
        raise ValueError("not a SHA-256")
    return f"objects/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def local_disk_health(root: Path, setting: str) -> StoreHealth:
    """Can this process write to ``root``, and is there room? (``setting`` names the
    environment variable that moves it.)"""
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".doctor-{uuid.uuid4().hex}"
        probe.write_bytes(b"x")
        probe.unlink()
    except OSError as error:
        return StoreHealth(
            "FAIL",
            N_(
                "cannot write to {root} ({error}); give the madoguchi user write access "
                "or set {setting}"
            ).format(root=root, error=error.strerror or error, setting=setting),
        )
    free = shutil.disk_usage(root).free
    gib = free / 1024**3
    if free < MIN_FREE_BYTES:
        return StoreHealth(
            "FAIL",
            N_("only {gib} GiB free in {root}: free some space").format(
                gib=f"{gib:.2f}", root=root
            ),
        )
    if free < LOW_FREE_BYTES:
        return StoreHealth(
            "WARN",
            N_("{gib} GiB free in {root}: uploads may fill it").format(gib=f"{gib:.1f}", root=root),
        )
    return StoreHealth(
        "OK", N_("{root} is writable, {gib} GiB free").format(root=root, gib=f"{gib:.0f}")
    )


def write_file(writer: BlobWriterPort, source: Path) -> StoredBlob:
    """Stream a local file through ``writer``; nothing is kept when reading fails."""
    try:
        with source.open("rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                writer.write(chunk)
    except BaseException:
        writer.abort()
        raise
    return writer.commit()


HEAD_BYTES = 65536
"""How much of the start of an upload a writer keeps (``head``, for content sniffing)."""


class CountingWriter:
    """What every evidence writer keeps of the bytes it is given: the size (checked
    against ``max_bytes``), the first :data:`HEAD_BYTES` and the SHA-256."""

    def __init__(self, max_bytes: int | None) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.head = b""
        self._digest = hashlib.sha256()

    def _count(self, chunk: bytes) -> None:
        """Take ``chunk`` into the tally; over the limit, abort and refuse it."""
        self.size += len(chunk)
        if self.max_bytes is not None and self.size > self.max_bytes:
            self.abort()
            raise ValidationError(N_("the file is larger than the desk accepts"), where="file")
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[: HEAD_BYTES - len(self.head)]
        self._digest.update(chunk)

    def abort(self) -> None:
        raise NotImplementedError


class BlobWriter(CountingWriter):
    def __init__(self, store: FilesystemEvidenceStore, max_bytes: int | None) -> None:
        super().__init__(max_bytes)
        self.store = store
        self.temp = store.root / "tmp" / temp_name(suffix=".part")
        self.temp.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[bytes] | None = self.temp.open("wb")

    def write(self, chunk: bytes) -> None:
        assert self._handle is not None, "writer is closed"
        self._count(chunk)
        self._handle.write(chunk)

    def commit(self) -> StoredBlob:
        assert self._handle is not None, "writer is closed"
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        self._handle = None
        sha256 = self._digest.hexdigest()
        target = self.store.path(sha256)
        if target.exists():
            self.temp.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.temp.replace(target)
            target.chmod(0o440)
        return StoredBlob(sha256=sha256, size=self.size, head=self.head)

    def abort(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self.temp.unlink(missing_ok=True)


class FilesystemEvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def writer(self, max_bytes: int | None = None) -> BlobWriter:
        return BlobWriter(self, max_bytes)

    def ingest_file(self, source: Path, max_bytes: int | None = None) -> StoredBlob:
        return write_file(self.writer(max_bytes), source)

    def path(self, sha256: str) -> Path:
        return self.root / object_name(sha256)

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def open(self, sha256: str) -> IO[bytes]:
        return self.path(sha256).open("rb")

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def objects(self) -> Iterator[StoredObject]:
        """Every stored object, in name order (files that do not belong are skipped)."""
        objects = self.root / "objects"
        if not objects.is_dir():
            return
        for path in sorted(p for p in objects.rglob("*") if p.is_file()):
            name = path.relative_to(self.root).as_posix()
            if not is_sha256(path.name) or name != object_name(path.name):
                continue
            stat = path.stat()
            yield StoredObject(path.name, stat.st_size, stat.st_mtime)

    def describe(self) -> str:
        return str(self.root)

    def health(self) -> StoreHealth:
        return local_disk_health(self.root, "MADOGUCHI_EVIDENCE_DIR")

    def scratch_dir(self) -> Path:
        """A private temporary directory inside the store (same filesystem)."""
        path = self.root / "tmp" / temp_name(prefix="work-")
        path.mkdir(parents=True)
        return path

    def remove_scratch(self, path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)
