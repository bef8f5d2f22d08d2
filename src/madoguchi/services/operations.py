"""Running a desk: ``doctor`` (is everything reachable and sane?), ``backup`` and
``restore`` of the database and the evidence store, verified by hash.

The database itself is reached through the ``Database`` protocol (implemented in
``storage/sql/maintenance.py``), so this module stays free of SQL.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import smtplib
import tarfile
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, Protocol

from madoguchi import __version__
from madoguchi.config import Settings, mask_url
from madoguchi.domain.errors import ConflictError, MadoguchiError
from madoguchi.i18n.catalogue import N_
from madoguchi.ports import EvidenceStore
from madoguchi.services import analysis_options

FORMAT = "madoguchi-backup/1"
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
HEX = frozenset("0123456789abcdef")


class Database(Protocol):
    dialect: str

    @property
    def dump_name(self) -> str: ...
    def ping(self) -> None: ...
    def revisions(self) -> tuple[str | None, str | None]: ...
    def is_empty(self) -> bool: ...
    def dump(self, target: Path) -> None: ...
    def load(self, source: Path, *, replace: bool) -> None: ...


# --- doctor -----------------------------------------------------------------------


class Status(StrEnum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    message: str


def _database_checks(settings: Settings, database: Database) -> list[Check]:
    shown = mask_url(settings.effective_database_url)
    try:
        database.ping()
    except Exception as error:  # any driver error means "not reachable"
        return [
            Check(
                "database",
                Status.FAIL,
                f"cannot connect to {shown} ({type(error).__name__}: {_short(error)}); "
                "check MADOGUCHI_DATABASE_URL and that the server is running",
            ),
            Check("migrations", Status.FAIL, "not checked: the database is not reachable"),
        ]
    checks = [Check("database", Status.OK, f"connected to {shown}")]
    current, head = database.revisions()
    if current == head:
        checks.append(Check("migrations", Status.OK, f"schema at the newest revision {head}"))
    elif current is None:
        checks.append(
            Check("migrations", Status.FAIL, "the database is empty: run `madoguchi db upgrade`")
        )
    else:
        checks.append(
            Check(
                "migrations",
                Status.FAIL,
                f"schema at {current}, this version needs {head}: run `madoguchi db upgrade` "
                "(or upgrade madoguchi if the database is newer)",
            )
        )
    return checks


def _short(error: BaseException) -> str:
    return str(error).strip().splitlines()[0][:300] if str(error).strip() else ""


def _broker_check(settings: Settings) -> Check:
    url = settings.broker_url
    if not url:
        return Check("broker", Status.OK, "no broker configured: jobs run in the web process")
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return Check("broker", Status.WARN, f"cannot check a {url.split(':')[0]} broker here")
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as error:  # redis raises many kinds
        return Check(
            "broker",
            Status.FAIL,
            f"cannot reach {mask_url(url)} ({_short(error)}); start Redis or fix "
            "MADOGUCHI_BROKER_URL",
        )
    return Check("broker", Status.OK, f"Redis at {mask_url(url)} answers")


def _evidence_check(store: EvidenceStore) -> Check:
    try:
        health = store.health()
    except Exception as error:  # a store must answer, not raise; say what broke
        return Check(
            "evidence store",
            Status.FAIL,
            N_("cannot check {where} ({error})").format(
                where=store.describe(), error=f"{type(error).__name__}: {_short(error)}"
            ),
        )
    return Check("evidence store", Status(health.status), health.message)


def _smtp_check(settings: Settings) -> Check:
    if not settings.smtp_host:
        return Check(
            "smtp", Status.WARN, "no SMTP server: no mail is sent (set MADOGUCHI_SMTP_HOST)"
        )
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=5) as client:
            code, _ = client.noop()
    except (OSError, smtplib.SMTPException) as error:
        return Check(
            "smtp", Status.FAIL, f"cannot talk to {where} ({_short(error)}); check MADOGUCHI_SMTP_*"
        )
    if code != 250:
        return Check("smtp", Status.WARN, f"{where} answered NOOP with {code}")
    return Check("smtp", Status.OK, f"{where} answers")


def _secret_check(settings: Settings) -> Check:
    configured = settings.secret_key.get_secret_value()
    if configured:
        if len(configured) < 32:
            return Check(
                "secret key", Status.WARN, "MADOGUCHI_SECRET_KEY is short: use 32+ random chars"
            )
        return Check("secret key", Status.OK, "MADOGUCHI_SECRET_KEY is set")
    generated = (settings.data_dir / "secret_key").exists()
    several = bool(settings.database_url) or bool(settings.broker_url)
    if several:
        return Check(
            "secret key",
            Status.FAIL,
            "MADOGUCHI_SECRET_KEY is not set: every web process needs the same key",
        )
    if generated:
        return Check("secret key", Status.OK, "generated key in the data directory is used")
    return Check(
        "secret key", Status.WARN, "not set: one is generated into the data directory at start"
    )


def diagnose(settings: Settings, database: Database, store: EvidenceStore) -> list[Check]:
    """Every health check, in the order an operator fixes them."""
    return [
        *_database_checks(settings, database),
        _broker_check(settings),
        _evidence_check(store),
        _smtp_check(settings),
        _secret_check(settings),
        _rules_check(settings),
    ]


def _rules_check(settings: Settings) -> Check:
    found = analysis_options.problems(settings)
    if found:
        return Check(
            "analysis rules",
            Status.FAIL,
            "; ".join(found) + " (MADOGUCHI_RULE_DIRS, MADOGUCHI_SIGMA_PLACEHOLDERS)",
        )
    folders = settings.effective_rule_dirs
    if not folders:
        return Check("analysis rules", Status.OK, "built-in rules only")
    shown = ", ".join(str(folder) for folder in folders)
    extra = "; placeholder values set" if settings.sigma_placeholders is not None else ""
    return Check("analysis rules", Status.OK, f"built-in rules and {shown}{extra}")


# --- backup and restore ------------------------------------------------------------


class BackupError(MadoguchiError):
    code = "backup"


@dataclass
class RestoreReport:
    restored: int = 0
    mismatched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    schema_revision: str | None = None

    @property
    def ok(self) -> bool:
        return not self.mismatched and not self.missing


class _HashingReader:
    """Reads a file for ``tarfile`` while hashing exactly what went into the archive."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def _add_stream(
    tar: tarfile.TarFile, handle: IO[bytes], name: str, size: int, mtime: float
) -> tuple[str, int]:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o440
    info.mtime = int(mtime)
    reader = _HashingReader(handle)
    try:
        tar.addfile(info, reader)
    except OSError as error:  # tarfile: "unexpected end of data"
        raise BackupError(N_("the file changed while it was archived"), where=name) from error
    if reader.size != info.size or handle.read(1):
        raise BackupError(N_("the file changed while it was archived"), where=name)
    return reader.digest.hexdigest(), reader.size


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> tuple[str, int]:
    stat = path.stat()
    with path.open("rb") as handle:
        return _add_stream(tar, handle, name, stat.st_size, stat.st_mtime)


def _object_name(sha256: str) -> str:
    return f"evidence/objects/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def backup(
    settings: Settings, database: Database, out: Path, store: EvidenceStore
) -> dict[str, Any]:
    """Write database dump + every evidence object + manifest to the tar ``out``.

    Returns the manifest. Objects whose content no longer matches their name are
    archived anyway and listed under ``"damaged"``.
    """
    if database.is_empty():
        raise BackupError("nothing to back up: the database is empty or missing")
    revision, _ = database.revisions()
    evidence: list[dict[str, Any]] = []
    damaged: list[str] = []
    staging = Path(tempfile.mkdtemp(prefix="madoguchi-backup-"))
    partial = out.with_name(out.name + ".partial")
    try:
        dump = staging / database.dump_name
        database.dump(dump)
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            db_name = f"database/{database.dump_name}"
            db_hash, db_size = _add_file(tar, dump, db_name)
            for stored in store.objects():
                name = _object_name(stored.sha256)
                with store.open(stored.sha256) as handle:
                    sha256, size = _add_stream(tar, handle, name, stored.size, stored.mtime)
                evidence.append({"path": name, "sha256": sha256, "size": size})
                if sha256 != stored.sha256:
                    damaged.append(name)
            manifest = {
                "format": FORMAT,
                "tool_version": __version__,
                "created_at": datetime.now(UTC).isoformat(),
                "schema_revision": revision,
                "dialect": database.dialect,
                "database": {"path": db_name, "sha256": db_hash, "size": db_size},
                "evidence": evidence,
                "damaged": damaged,
            }
            data = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(datetime.now(UTC).timestamp())
            tar.addfile(info, io.BytesIO(data))
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.getmember(MANIFEST)
        handle = tar.extractfile(member)
        if handle is None:
            raise KeyError(MANIFEST)
        manifest: dict[str, Any] = json.loads(handle.read())
    except (KeyError, ValueError) as error:
        raise BackupError("not a madoguchi backup: no readable manifest") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def _check_evidence_name(name: str, sha256: str) -> None:
    """Refuses anything but evidence/objects/ab/cd/<sha256>."""
    parts = name.split("/")
    if (
        len(parts) != 5
        or parts[:2] != ["evidence", "objects"]
        or len(sha256) != 64
        or not set(sha256) <= HEX
        or parts[4] != sha256
        or parts[2:4] != [sha256[:2], sha256[2:4]]
    ):
        raise BackupError("refused an evidence entry outside the object store", where=name)


def _copy_hashed(source: IO[bytes], target: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as handle:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())
    return digest.hexdigest(), size


def restore(
    settings: Settings, database: Database, archive: Path, store: EvidenceStore, *, force: bool
) -> RestoreReport:
    """Restore a backup; every evidence object is re-hashed against the manifest.

    Refuses a target that has a database or evidence unless ``force``. An object whose
    bytes do not match the manifest is not put into the store and is reported.
    """
    has_evidence = any(True for _ in store.objects())
    if not force and (has_evidence or not database.is_empty()):
        raise ConflictError(
            "the target already holds a database or evidence: use --force to replace it"
        )
    report = RestoreReport()
    try:
        tar = tarfile.open(archive, "r:")  # noqa: SIM115 - closed by the ``with`` below
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"cannot read the backup ({error})", where=str(archive)) from error
    with tar:
        manifest = read_manifest(tar)
        report.schema_revision = manifest.get("schema_revision")
        if manifest.get("dialect") != database.dialect:
            raise BackupError(
                f"the backup is of a {manifest.get('dialect')} database, the target is "
                f"{database.dialect}"
            )
        staging = Path(tempfile.mkdtemp(prefix="madoguchi-restore-"))
        try:
            db = manifest["database"]
            dump = staging / database.dump_name
            member = _member(tar, db["path"])
            if member is None:
                raise BackupError("the database dump is missing", where=db["path"])
            with dump.open("wb") as out:
                shutil.copyfileobj(member, out, CHUNK)
            if _sha256(dump) != db["sha256"]:
                raise BackupError("the database dump does not match the manifest")
            if force and has_evidence:
                for stored in list(store.objects()):
                    store.delete(stored.sha256)
            scratch = store.scratch_dir()
            try:
                for entry in manifest.get("evidence", []):
                    _restore_object(tar, store, scratch, entry, report)
            finally:
                store.remove_scratch(scratch)
            database.load(dump, replace=force)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return report


def _member(tar: tarfile.TarFile, name: str) -> IO[bytes] | None:
    try:
        member = tar.getmember(name)
    except KeyError:
        return None
    return tar.extractfile(member) if member.isfile() else None


def _restore_object(
    tar: tarfile.TarFile,
    store: EvidenceStore,
    scratch: Path,
    entry: dict[str, Any],
    report: RestoreReport,
) -> None:
    """Copy one archived object out while hashing it; only a match enters the store."""
    name, expected = str(entry.get("path", "")), str(entry.get("sha256", ""))
    try:
        _check_evidence_name(name, expected)
    except BackupError:
        report.mismatched.append(name)
        return
    source = _member(tar, name)
    if source is None:
        report.missing.append(name)
        return
    temp = scratch / f"{uuid.uuid4().hex}.restoring"
    try:
        sha256, size = _copy_hashed(source, temp)
        if sha256 != expected or size != entry.get("size"):
            report.mismatched.append(name)
            return
        stored = store.ingest_file(temp)
        if stored.sha256 != expected:  # the disk changed it between the two reads
            store.delete(stored.sha256)
            report.mismatched.append(name)
            return
        report.restored += 1
    finally:
        temp.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
