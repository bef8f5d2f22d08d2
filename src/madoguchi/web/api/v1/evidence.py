"""``/api/v1`` evidence: streamed uploads, archive expansion, metadata and download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from madoguchi.bootstrap import Desk
from madoguchi.domain.evidence import Evidence
from madoguchi.domain.tlp import TLP
from madoguchi.services import analysis_runs, evidence
from madoguchi.web.api.v1.schemas import ErrorOut, EvidenceOut, UploadOut
from madoguchi.web.deps import ApiActor, Uow, client_ip, get_desk
from madoguchi.web.uploads import store_stream, store_upload

router = APIRouter(
    prefix="/api/v1",
    tags=["v1"],
    responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)


def evidence_out(item: Evidence) -> EvidenceOut:
    assert item.id is not None
    return EvidenceOut(
        id=item.id,
        case_id=item.case_id,
        parent_id=item.parent_id,
        filename=item.filename,
        path=item.display_path,
        sha256=item.sha256,
        size=item.size,
        kind=item.kind,
        status=item.status.value,
        problem=item.problem,
        is_malware=item.is_malware,
        tlp=item.tlp,
        uploaded_at=item.uploaded_at,
    )


def _result(result: evidence.AttachResult) -> UploadOut:
    return UploadOut(
        evidence=evidence_out(result.evidence),
        children=[evidence_out(c) for c in result.children],
        problems=result.problems,
    )


@router.get("/cases/{case_id}/evidence", response_model=list[EvidenceOut])
def list_evidence(uow: Uow, actor: ApiActor, case_id: int) -> list[EvidenceOut]:
    return [evidence_out(e) for e in evidence.visible_evidence(uow, actor, case_id)]


@router.put(
    "/cases/{case_id}/evidence/{filename}",
    response_model=UploadOut,
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload_stream(
    request: Request,
    uow: Uow,
    actor: ApiActor,
    case_id: int,
    filename: str,
    desk: Desk = Depends(get_desk),
    password: Annotated[list[str] | None, Query()] = None,
    malware: bool = False,
    shared_with: Annotated[list[int] | None, Query()] = None,
    tlp: TLP | None = None,
) -> UploadOut:
    """Upload one file as the raw request body, streamed to disk (any size the desk accepts).

    Archives (zip, 7z, tar, gzip) are expanded into child evidence; give ``password`` for
    protected archives. An upload cut halfway stores nothing.
    """
    evidence.visible_evidence(uow, actor, case_id)
    blob = await store_stream(desk.store, request.stream(), desk.settings.max_upload_bytes)
    result = evidence.attach_evidence(
        uow,
        desk.store,
        actor,
        case_id,
        blob,
        filename,
        tlp=tlp,
        shared_with=shared_with or [],
        is_malware=malware,
        passwords=password or [],
        ip=client_ip(request),
    )
    uow.commit()
    analysis_runs.queue_analysis(desk.queue, [result.evidence, *result.children])
    return _result(result)


@router.post("/cases/{case_id}/evidence", response_model=UploadOut, status_code=201)
def upload_form(
    request: Request,
    uow: Uow,
    actor: ApiActor,
    case_id: int,
    file: Annotated[UploadFile, File()],
    desk: Desk = Depends(get_desk),
    password: Annotated[str, Form()] = "",
    malware: Annotated[bool, Form()] = False,
) -> UploadOut:
    """Upload one file as multipart/form-data (as the web form does)."""
    evidence.visible_evidence(uow, actor, case_id)
    blob = store_upload(desk.store, file, desk.settings.max_upload_bytes)
    result = evidence.attach_evidence(
        uow,
        desk.store,
        actor,
        case_id,
        blob,
        file.filename or "upload.bin",
        is_malware=malware,
        passwords=[password] if password else [],
        ip=client_ip(request),
    )
    uow.commit()
    analysis_runs.queue_analysis(desk.queue, [result.evidence, *result.children])
    return _result(result)


@router.get("/evidence/{evidence_id}", response_model=EvidenceOut)
def get_evidence(uow: Uow, actor: ApiActor, evidence_id: int) -> EvidenceOut:
    return evidence_out(evidence.get_evidence(uow, actor, evidence_id))


@router.get("/evidence/{evidence_id}/content", response_class=FileResponse)
def download(
    request: Request, uow: Uow, actor: ApiActor, evidence_id: int, desk: Desk = Depends(get_desk)
) -> FileResponse:
    """The file; malware only inside a zip protected with the password ``infected``."""
    found = evidence.download(uow, desk.store, actor, evidence_id, ip=client_ip(request))
    uow.commit()
    cleanup = (
        BackgroundTask(desk.store.remove_scratch, found.path.parent) if found.temporary else None
    )
    return FileResponse(
        found.path, media_type=found.media_type, filename=found.filename, background=cleanup
    )
