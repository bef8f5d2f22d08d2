"""The desk's correlation workspace, feedback to organisations, indicators and exports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from madoguchi.bootstrap import Desk
from madoguchi.domain.errors import ConflictError, ValidationError
from madoguchi.domain.tlp import TLP
from madoguchi.intel.ioc_csv import export_csv
from madoguchi.intel.misp.event import export_event
from madoguchi.intel.stix.bundle import export_bundle
from madoguchi.services import access, indicators, misp_push, workspace
from madoguchi.web.csrf import verify_csrf
from madoguchi.web.deps import SignedIn, Uow, client_ip, get_desk, language_of, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "stix": "application/stix+json;version=2.1",
    "misp": "application/json",
}


def export_indicators(
    uow: Uow, actor: SignedIn, case_id: int, fmt: str, tlp: str
) -> tuple[str, str]:
    if fmt not in EXPORT_TYPES:
        raise ValidationError("unknown export format", where="format")
    ceiling = TLP.parse(tlp) if tlp else TLP.AMBER
    found = workspace.case_export(uow, actor, case_id, ceiling)
    if fmt == "csv":
        return export_csv(found, ceiling=ceiling).text, EXPORT_TYPES[fmt]
    if fmt == "stix":
        return export_bundle(found, ceiling=ceiling).serialize(), EXPORT_TYPES[fmt]
    return export_event(found, ceiling=ceiling, info=f"madoguchi case {case_id}").to_json(), (
        EXPORT_TYPES[fmt]
    )


@router.get("/cases/{case_id}/indicators.{fmt}")
def download_indicators(
    uow: Uow, actor: SignedIn, case_id: int, fmt: str, tlp: str = "amber"
) -> Response:
    body, media_type = export_indicators(uow, actor, case_id, fmt, tlp)
    uow.commit()
    suffix = {"csv": "csv", "stix": "stix.json", "misp": "misp.json"}[fmt]
    return PlainTextResponse(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="case-{case_id}-iocs.{suffix}"'},
    )


@router.post("/cases/{case_id}/misp-push")
def push_to_misp(
    request: Request, uow: Uow, actor: SignedIn, case_id: int, desk: Desk = Depends(get_desk)
) -> Response:
    """Desk: queue the push of the case's indicators to the configured MISP instance."""
    try:
        misp_push.request_push(uow, actor, case_id, ip=client_ip(request))
    except ConflictError as error:
        uow.rollback()
        request.session["flash_error"] = error.message
        return RedirectResponse(f"/cases/{case_id}#exchange", status_code=303)
    uow.commit()
    desk.queue.enqueue(misp_push.PUSH_JOB, misp_push.job_payload(actor, case_id))
    return RedirectResponse(f"/cases/{case_id}#exchange", status_code=303)


@router.get("/desk/workspace", response_class=HTMLResponse)
def workspace_page(request: Request, uow: Uow, actor: SignedIn, tag: str = "") -> Response:
    view = workspace.workspace(uow, actor, tag)
    uow.commit()
    return render(request, "workspace.html", {"ws": view}, actor=actor)


@router.get("/desk/workspace/feedback", response_class=HTMLResponse)
def feedback_preview(
    request: Request, uow: Uow, actor: SignedIn, tag: str = "", organisation_id: int = 0
) -> Response:
    access.require_desk(actor)
    package = workspace.feedback_package(uow, actor, tag, organisation_id)
    org = uow.organisations.get(organisation_id)
    return render(request, "feedback.html", {"package": package, "org": org}, actor=actor)


@router.post("/desk/workspace/feedback")
def feedback_send(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    tag: Annotated[str, Form()],
    organisation_id: Annotated[int, Form()],
    language: Annotated[str, Form()] = "ja",
    desk: Desk = Depends(get_desk),
) -> Response:
    workspace.send_feedback(
        uow, desk.store, actor, tag, organisation_id, language=language, ip=client_ip(request)
    )
    package_case = workspace.feedback_package(uow, actor, tag, organisation_id).case_id
    uow.commit()
    return RedirectResponse(f"/cases/{package_case}#thread", status_code=303)


@router.get("/desk/indicators", response_class=HTMLResponse)
def indicator_list(request: Request, uow: Uow, actor: SignedIn, tag: str = "") -> Response:
    access.require_desk(actor)
    return render(
        request,
        "indicators.html",
        {
            "indicators": uow.indicators.all(tag=tag, limit=2000),
            "tag": tag,
            "tlps": list(TLP),
            "lang_": language_of(request, actor),
        },
        actor=actor,
    )


@router.post("/desk/indicators")
def indicator_add(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    value: Annotated[str, Form()],
    tlp: Annotated[str, Form()] = "amber",
    tags: Annotated[str, Form()] = "",
) -> Response:
    access.require_desk(actor)
    try:
        indicators.add_manual(
            uow,
            actor,
            value,
            tlp=TLP.parse(tlp),
            tags=[t.strip() for t in tags.split(",") if t.strip()],
        )
    except ValidationError as error:
        request.session["flash_error"] = error.message
        return RedirectResponse("/desk/indicators", status_code=303)
    uow.commit()
    return RedirectResponse("/desk/indicators", status_code=303)


@router.post("/desk/indicators/{indicator_id}")
def indicator_update(
    uow: Uow,
    actor: SignedIn,
    indicator_id: int,
    false_positive: Annotated[bool, Form()] = False,
    tlp: Annotated[str, Form()] = "",
) -> Response:
    indicators.flag(
        uow, actor, indicator_id, false_positive=false_positive, tlp=TLP.parse(tlp) if tlp else None
    )
    uow.commit()
    return RedirectResponse("/desk/indicators", status_code=303)
