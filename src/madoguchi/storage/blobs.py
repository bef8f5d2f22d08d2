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
from pathlib import Path
from typing import IO

from madoguchi.domain.errors import ValidationError
from madoguchi.i18n.catalogue import N_
from madoguchi.ports import StoredBlob

CHUNK = 1024 * 1024


class BlobWriter:
    def __init__(self, store: FilesystemEvidenceStore, max_bytes: int | None) -> None:
        self.store = store
        self.max_bytes = max_bytes
        self.temp = store.root / "tmp" / f"{uuid.uuid4().hex}.part"
        self.temp.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[bytes] | None = self.temp.open("wb")
        self._digest = hashlib.sha256()
        self.size = 0
        self.head = b""

    def write(self, chunk: bytes) -> None:
        assert self._handle is not None, "writer is closed"
        self.size += len(chunk)
        if self.max_bytes is not None and self.size > self.max_bytes:
            self.abort()
            raise ValidationError(N_("the file is larger than the desk accepts"), where="file")
        if len(self.head) < 65536:
            self.head += chunk[: 65536 - len(self.head)]
        self._digest.update(chunk)
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
        writer = self.writer(max_bytes)
        try:
            with source.open("rb") as handle:
                for chunk in iter(lambda: handle.read(CHUNK), b""):
                    writer.write(chunk)
        except BaseException:
            writer.abort()
            raise
        return writer.commit()

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256")
        return self.root / "objects" / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def open(self, sha256: str) -> IO[bytes]:
        return self.path(sha256).open("rb")

    def scratch_dir(self) -> Path:
        """A private temporary directory inside the store (same filesystem)."""
        path = self.root / "tmp" / f"work-{uuid.uuid4().hex}"
        path.mkdir(parents=True)
        return path

    def remove_scratch(self, path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)
