"""Evidence: attach uploaded files to a case, expand archives safely, share, download.

Every download is an audit event, so the evidence page can show the chain of custody.
Evidence flagged as malware is only ever served inside a zip protected with the
password ``infected`` (the field's convention); samples are never executed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pyzipper

from madoguchi.analysis.archives import (
    ArchiveLimits,
    ExpandedMember,
    MemberProblem,
    archive_format,
    expand_archive,
)
from madoguchi.analyzers.base import EvidenceFile
from madoguchi.analyzers.kinds import ARCHIVES, ELF, HTML, PDF, PE, RTF, TEXT, detect_kind
from madoguchi.analyzers.ransomware import RansomNoteAnalyzer
from madoguchi.domain.audit import AuditEvent
from madoguchi.domain.errors import ArchiveError, NotFoundError, ValidationError
from madoguchi.domain.evidence import Evidence, EvidenceStatus
from madoguchi.domain.organisation import Actor
from madoguchi.domain.tlp import TLP
from madoguchi.i18n.catalogue import N_
from madoguchi.ports import EvidenceStore, StoredBlob, UnitOfWork
from madoguchi.services import access, audit
from madoguchi.services.cases import load_case

MALWARE_ZIP_PASSWORD = b"infected"
MAX_FILENAME = 255


@dataclass
class AttachResult:
    evidence: Evidence
    children: list[Evidence] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def clean_filename(name: str) -> str:
    """The last path component, without control characters; never empty."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".")
    return (base or "upload.bin")[:MAX_FILENAME]


def _sharing(actor: Actor, party_orgs: frozenset[int], shared_with: Iterable[int]) -> list[int]:
    if actor.is_desk:
        targets = sorted(set(shared_with))
        if any(t not in party_orgs for t in targets):
            raise ValidationError(
                N_("evidence can only be shared with parties of the case"), where="shared_with"
            )
        return targets
    return sorted(actor.organisation_ids & party_orgs)


RANSOM_NOTE = "ransom-note"


@cache
def _note_detector() -> RansomNoteAnalyzer:
    return RansomNoteAnalyzer()


def evidence_kind(store: EvidenceStore, blob: StoredBlob, filename: str) -> str:
    """The content kind, or ``ransom-note`` for text the ransomware analyzer recognises
    as a note (the support-plan rules and the desk look for that role)."""
    kind = detect_kind(blob.head)
    if kind in (TEXT, HTML, RTF, PDF) and blob.sha256:
        candidate = EvidenceFile(
            path=filename, local_path=store.path(blob.sha256), kind=kind, size=blob.size
        )
        if _note_detector().sniff(candidate):
            return RANSOM_NOTE
    return kind


def attach_evidence(
    uow: UnitOfWork,
    store: EvidenceStore,
    actor: Actor,
    case_id: int,
    blob: StoredBlob,
    filename: str,
    *,
    tlp: TLP | None = None,
    shared_with: Iterable[int] = (),
    is_malware: bool = False,
    description: str = "",
    passwords: Sequence[str] = (),
    limits: ArchiveLimits | None = None,
    ip: str | None = None,
) -> AttachResult:
    """Record a stored upload on a case; archives are expanded into child evidence."""
    case = load_case(uow, actor, case_id)
    assert case.id is not None and actor.user_id is not None
    kind = evidence_kind(store, blob, filename)
    sharing = _sharing(actor, case.party_org_ids(), shared_with)
    evidence = uow.evidence.add(
        Evidence(
            case_id=case.id,
            filename=clean_filename(filename),
            sha256=blob.sha256,
            size=blob.size,
            kind=kind,
            uploaded_by=actor.user_id,
            tlp=tlp or case.tlp,
            shared_with=sharing,
            is_malware=is_malware or kind in (PE, ELF),
            description=description.strip(),
            uploaded_at=datetime.now(UTC),
        )
    )
    result = AttachResult(evidence)
    audit.record(
        uow,
        actor,
        "evidence:upload",
        "evidence",
        evidence.id,
        case_id=case.id,
        ip=ip,
        filename=evidence.filename,
        sha256=blob.sha256,
        size=blob.size,
    )
    if kind in ARCHIVES or archive_format(blob.head) is not None:
        _expand(uow, store, actor, evidence, passwords, limits, result)
    return result


def _expand(
    uow: UnitOfWork,
    store: EvidenceStore,
    actor: Actor,
    parent: Evidence,
    passwords: Sequence[str],
    limits: ArchiveLimits | None,
    result: AttachResult,
) -> None:
    assert parent.id is not None and actor.user_id is not None
    scratch = store.scratch_dir()
    try:
        items = expand_archive(
            store.path(parent.sha256),
            scratch,
            name=parent.filename,
            passwords=passwords,
            limits=limits,
        )
        for item in items:
            if isinstance(item, ExpandedMember):
                blob = store.ingest_file(item.local_path)
                child = Evidence(
                    case_id=parent.case_id,
                    filename=clean_filename(item.member_path),
                    member_path=f"{parent.filename}!{item.member_path}",
                    sha256=blob.sha256,
                    size=blob.size,
                    kind=evidence_kind(store, blob, item.member_path),
                    uploaded_by=actor.user_id,
                    parent_id=parent.id,
                    tlp=parent.tlp,
                    shared_with=list(parent.shared_with),
                    uploaded_at=datetime.now(UTC),
                )
                child.is_malware = parent.is_malware or child.kind in (PE, ELF)
                result.children.append(uow.evidence.add(child))
            elif isinstance(item, MemberProblem):
                result.problems.append(item.message)
                result.children.append(
                    uow.evidence.add(
                        Evidence(
                            case_id=parent.case_id,
                            filename=clean_filename(item.member_path or parent.filename),
                            member_path=f"{parent.filename}!{item.member_path}",
                            sha256="",
                            size=0,
                            kind="refused",
                            uploaded_by=actor.user_id,
                            parent_id=parent.id,
                            status=EvidenceStatus.REFUSED,
                            problem=item.message,
                            tlp=parent.tlp,
                            shared_with=list(parent.shared_with),
                            uploaded_at=datetime.now(UTC),
                        )
                    )
                )
        parent.status = EvidenceStatus.EXPANDED
    except ArchiveError as error:
        parent.problem = str(error)
        result.problems.append(str(error))
    finally:
        store.remove_scratch(scratch)
    if result.problems:
        audit.record(
            uow,
            actor,
            "evidence:archive-problems",
            "evidence",
            parent.id,
            case_id=parent.case_id,
            problems=result.problems[:50],
        )


def can_see_evidence(actor: Actor, evidence: Evidence) -> bool:
    return actor.is_desk or any(evidence.visible_to_org(o) for o in actor.organisation_ids)


def visible_evidence(uow: UnitOfWork, actor: Actor, case_id: int) -> list[Evidence]:
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    return [e for e in uow.evidence.for_case(case.id) if can_see_evidence(actor, e)]


def get_evidence(uow: UnitOfWork, actor: Actor, evidence_id: int) -> Evidence:
    evidence = uow.evidence.get(evidence_id)
    if evidence is None:
        raise NotFoundError(N_("evidence not found"))
    load_case(uow, actor, evidence.case_id)
    if not can_see_evidence(actor, evidence):
        raise NotFoundError(N_("evidence not found"))
    return evidence


@dataclass(frozen=True)
class Download:
    path: Path
    filename: str
    media_type: str
    temporary: bool


def download(
    uow: UnitOfWork, store: EvidenceStore, actor: Actor, evidence_id: int, *, ip: str | None = None
) -> Download:
    """The file to send; malware only inside a zip with the password ``infected``."""
    evidence = get_evidence(uow, actor, evidence_id)
    if evidence.status is EvidenceStatus.REFUSED or not evidence.sha256:
        raise NotFoundError(N_("this archive member was not stored"))
    source = store.path(evidence.sha256)
    audit.record(
        uow,
        actor,
        "evidence:download",
        "evidence",
        evidence.id,
        case_id=evidence.case_id,
        ip=ip,
        sha256=evidence.sha256,
        wrapped=evidence.is_malware,
    )
    if not evidence.is_malware:
        return Download(source, evidence.filename, "application/octet-stream", temporary=False)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (the route deletes it after sending)
        prefix="madoguchi-", suffix=".zip", delete=False, dir=store.scratch_dir()
    )
    handle.close()
    target = Path(handle.name)
    with pyzipper.AESZipFile(
        target, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(MALWARE_ZIP_PASSWORD)
        archive.write(source, arcname=evidence.filename + ".malware")
    return Download(target, evidence.filename + ".zip", "application/zip", temporary=True)


def set_sharing(
    uow: UnitOfWork,
    actor: Actor,
    evidence_id: int,
    shared_with: Iterable[int],
    *,
    ip: str | None = None,
) -> Evidence:
    access.require_desk(actor)
    evidence = get_evidence(uow, actor, evidence_id)
    case = load_case(uow, actor, evidence.case_id)
    evidence.shared_with = _sharing(actor, case.party_org_ids(), shared_with)
    for child in uow.evidence.children(evidence.id or 0):
        child.shared_with = list(evidence.shared_with)
    audit.record(
        uow,
        actor,
        "evidence:share",
        "evidence",
        evidence.id,
        case_id=case.id,
        ip=ip,
        shared_with=evidence.shared_with,
    )
    return evidence


def set_malware(uow: UnitOfWork, actor: Actor, evidence_id: int, flag: bool) -> Evidence:
    access.require_desk(actor)
    evidence = get_evidence(uow, actor, evidence_id)
    evidence.is_malware = flag
    audit.record(
        uow,
        actor,
        "evidence:malware-flag",
        "evidence",
        evidence.id,
        case_id=evidence.case_id,
        malware=flag,
    )
    return evidence


def custody(uow: UnitOfWork, actor: Actor, evidence_id: int) -> list[AuditEvent]:
    """Uploads, shares and downloads of this evidence, oldest first (desk only)."""
    evidence = get_evidence(uow, actor, evidence_id)
    access.require_desk(actor)
    events = [
        e
        for e in uow.audit.for_case(evidence.case_id, limit=5000)
        if e.object_type == "evidence" and e.object_id == str(evidence.id)
    ]
    return sorted(events, key=lambda e: (e.at, e.id or 0))
