"""Evidence pages: upload on the case page, details with chain of custody, download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from madoguchi.bootstrap import Desk
from madoguchi.domain.errors import ValidationError
from madoguchi.domain.evidence import Evidence
from madoguchi.domain.tlp import TLP
from madoguchi.services import analysis_runs, evidence
from madoguchi.web.csrf import verify_csrf
from madoguchi.web.deps import SignedIn, Uow, client_ip, get_desk, render
from madoguchi.web.uploads import store_upload

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


@router.post("/cases/{case_id}/evidence")
def upload(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    case_id: int,
    files: Annotated[list[UploadFile], File()],
    desk: Desk = Depends(get_desk),
    archive_password: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    is_malware: Annotated[bool, Form()] = False,
    tlp: Annotated[str, Form()] = "",
    shared_with: Annotated[list[int] | None, Form()] = None,
) -> Response:
    evidence.visible_evidence(uow, actor, case_id)  # 404 before reading anything
    problems: list[str] = []
    stored: list[Evidence] = []
    try:
        for item in files:
            if not item.filename:
                continue
            blob = store_upload(desk.store, item, desk.settings.max_upload_bytes)
            result = evidence.attach_evidence(
                uow,
                desk.store,
                actor,
                case_id,
                blob,
                item.filename,
                tlp=TLP.parse(tlp) if tlp else None,
                shared_with=shared_with or [],
                is_malware=is_malware,
                description=description,
                passwords=[archive_password] if archive_password else [],
                ip=client_ip(request),
            )
            problems += result.problems
            stored += [result.evidence, *result.children]
    except ValidationError as error:
        uow.rollback()
        request.session["flash_error"] = error.message
        return RedirectResponse(f"/cases/{case_id}#evidence", status_code=303)
    uow.commit()
    analysis_runs.queue_analysis(desk.queue, stored)
    if problems:
        request.session["flash_problems"] = problems[:20]
    return RedirectResponse(f"/cases/{case_id}#evidence", status_code=303)


@router.get("/evidence/{evidence_id}", response_class=HTMLResponse)
def evidence_page(request: Request, uow: Uow, actor: SignedIn, evidence_id: int) -> Response:
    item = evidence.get_evidence(uow, actor, evidence_id)
    children = [
        c for c in uow.evidence.children(evidence_id) if evidence.can_see_evidence(actor, c)
    ]
    trail = evidence.custody(uow, actor, evidence_id) if actor.is_desk else []
    names = {u.id: u.display_name for u in uow.users.list()} if actor.is_desk else {}
    case = uow.cases.get(item.case_id)
    return render(
        request,
        "evidence.html",
        {"item": item, "children": children, "trail": trail, "names": names, "case": case},
        actor=actor,
    )


@router.get("/evidence/{evidence_id}/download")
def download(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    evidence_id: int,
    desk: Desk = Depends(get_desk),
) -> Response:
    found = evidence.download(uow, desk.store, actor, evidence_id, ip=client_ip(request))
    uow.commit()
    cleanup = None
    if found.temporary:
        cleanup = BackgroundTask(desk.store.remove_scratch, found.path.parent)
    return FileResponse(
        found.path, media_type=found.media_type, filename=found.filename, background=cleanup
    )


@router.post("/evidence/{evidence_id}/share")
def share(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    evidence_id: int,
    shared_with: Annotated[list[int] | None, Form()] = None,
) -> Response:
    item = evidence.set_sharing(uow, actor, evidence_id, shared_with or [], ip=client_ip(request))
    uow.commit()
    return RedirectResponse(f"/evidence/{item.id}", status_code=303)


@router.post("/evidence/{evidence_id}/malware")
def flag_malware(
    uow: Uow, actor: SignedIn, evidence_id: int, malware: Annotated[bool, Form()] = False
) -> Response:
    item = evidence.set_malware(uow, actor, evidence_id, malware)
    uow.commit()
    return RedirectResponse(f"/evidence/{item.id}", status_code=303)
