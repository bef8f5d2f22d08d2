"""The desk's case queue, the reporter's "my cases", the case page and its thread."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from madoguchi.bootstrap import Desk
from madoguchi.domain.case import CaseStatus, Category, Urgency
from madoguchi.domain.errors import ValidationError
from madoguchi.domain.evidence import Evidence
from madoguchi.domain.organisation import Actor
from madoguchi.domain.support import SupportStatus
from madoguchi.ports import CaseQuery, UnitOfWork
from madoguchi.services import (
    access,
    analysis_runs,
    cases,
    evidence,
    messages,
    notifications,
    support_plan,
    workflow,
)
from madoguchi.web.csrf import verify_csrf
from madoguchi.web.deps import CurrentActor, SignedIn, Uow, client_ip, get_desk, render
from madoguchi.web.panels import panel_context
from madoguchi.web.uploads import store_upload

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


@router.get("/")
def home(actor: CurrentActor) -> Response:
    if not actor.is_authenticated:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/desk/cases" if actor.is_desk else "/cases", status_code=303)


def _statuses(status: str) -> tuple[CaseStatus, ...]:
    if status == "open":
        return tuple(s for s in CaseStatus if s.is_open)
    try:
        return (CaseStatus(status),)
    except ValueError:
        return ()


def _day(value: str, end: bool = False) -> datetime | None:
    try:
        day = datetime.fromisoformat(value).date()
    except ValueError:
        return None
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


@router.get("/desk/cases", response_class=HTMLResponse)
def desk_queue(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    q: str = "",
    status: str = "open",
    category: str = "",
    product: str = "",
    cve: str = "",
    organisation: str = "",
    since: str = "",
    until: str = "",
    mine: bool = False,
) -> Response:
    access.require_desk(actor)
    query = CaseQuery(
        statuses=_statuses(status),
        text=q,
        category=category,
        product=product,
        cve=cve,
        organisation_id=int(organisation) if organisation.isdigit() else None,
        assignee_id=actor.user_id if mine else None,
        since=_day(since),
        until=_day(until, end=True),
        by_urgency=True,
    )
    found = workflow.desk_queue(uow, actor, query)
    members = dict(workflow.desk_members(uow, actor))
    filters = {
        "q": q,
        "status": status,
        "category": category,
        "product": product,
        "cve": cve,
        "organisation": organisation,
        "since": since,
        "until": until,
        "mine": mine,
    }
    return render(
        request,
        "desk_cases.html",
        {
            "cases": found,
            "filters": filters,
            "statuses": list(CaseStatus),
            "categories": list(Category),
            "organisations": uow.organisations.list(),
            "members": members,
            "now": datetime.now(UTC),
        },
        actor=actor,
    )


@router.get("/cases", response_class=HTMLResponse)
def my_cases(request: Request, uow: Uow, actor: SignedIn, q: str = "") -> Response:
    found = cases.list_cases(uow, actor, CaseQuery(text=q))
    return render(request, "my_cases.html", {"cases": found, "q": q}, actor=actor)


def case_context(request: Request, uow: UnitOfWork, actor: Actor, case_id: int) -> dict[str, Any]:
    view = cases.view_case(uow, actor, case_id, ip=client_ip(request))
    thread = messages.visible_messages(uow, actor, case_id)
    items = evidence.visible_evidence(uow, actor, case_id)
    context: dict[str, Any] = {
        "view": view,
        "case": view.case,
        "thread": thread,
        "evidence": [e for e in items if e.parent_id is None],
        "evidence_children": {e.id: [c for c in items if c.parent_id == e.id] for e in items},
        "evidence_by_id": {e.id: e for e in items},
        "plan": support_plan.plan_for(uow, actor, case_id),
        "error": request.session.pop("flash_error", None),
        "problems": request.session.pop("flash_problems", None),
        "submitted": request.query_params.get("submitted") == "1",
    }
    context.update(panel_context(uow, actor, case_id))
    if actor.is_desk:
        context.update(
            members=workflow.desk_members(uow, actor),
            links=workflow.linked_cases(uow, actor, case_id),
            transitions=sorted(workflow.TRANSITIONS[view.case.status], key=list(CaseStatus).index),
            urgencies=list(Urgency),
            catalogue=support_plan.catalogue_choices(),
            support_statuses=[s for s in SupportStatus if s is not SupportStatus.PROPOSED],
        )
    return context


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, uow: Uow, actor: SignedIn, case_id: int) -> Response:
    context = case_context(request, uow, actor, case_id)
    uow.commit()
    return render(request, "case.html", context, actor=actor)


@router.post("/cases/{case_id}/messages")
def post_message(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    case_id: int,
    body: Annotated[str, Form()],
    desk: Desk = Depends(get_desk),
    visibility: Annotated[str, Form()] = "shared",
    shared_with: Annotated[list[int] | None, Form()] = None,
    attachments: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    stored: list[Evidence] = []
    try:
        message = messages.post_message(
            uow,
            actor,
            case_id,
            body,
            internal=visibility == "internal",
            shared_with=shared_with or [],
            ip=client_ip(request),
        )
        for upload in attachments or []:
            if not upload.filename:
                continue
            blob = store_upload(desk.store, upload, desk.settings.max_upload_bytes)
            attached = evidence.attach_evidence(
                uow,
                desk.store,
                actor,
                case_id,
                blob,
                upload.filename,
                shared_with=message.shared_with,
                ip=client_ip(request),
            )
            assert message.id is not None and attached.evidence.id is not None
            uow.messages.attach(message.id, attached.evidence.id)
            stored += [attached.evidence, *attached.children]
    except ValidationError as error:
        uow.rollback()
        context = case_context(request, uow, actor, case_id)
        context["error"] = error.message
        uow.commit()
        return render(request, "case.html", context, actor=actor, status_code=400)
    uow.commit()
    analysis_runs.queue_analysis(desk.queue, stored)
    if not message.internal and actor.is_desk:
        desk.queue.enqueue(
            notifications.SHARED_MESSAGE, {"case_id": case_id, "message_id": message.id}
        )
    return RedirectResponse(f"/cases/{case_id}#thread", status_code=303)
