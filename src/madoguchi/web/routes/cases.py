"""The desk's case queue, the reporter's "my cases", the case page and its thread."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from madoguchi.domain.case import CaseStatus
from madoguchi.domain.errors import ValidationError
from madoguchi.ports import CaseQuery
from madoguchi.services import access, cases, messages
from madoguchi.web.csrf import verify_csrf
from madoguchi.web.deps import CurrentActor, SignedIn, Uow, client_ip, render

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


@router.get("/desk/cases", response_class=HTMLResponse)
def desk_queue(
    request: Request, uow: Uow, actor: SignedIn, q: str = "", status: str = "open"
) -> Response:
    access.require_desk(actor)
    found = cases.list_cases(uow, actor, CaseQuery(statuses=_statuses(status), text=q))
    return render(
        request,
        "desk_cases.html",
        {"cases": found, "q": q, "status": status, "statuses": list(CaseStatus)},
        actor=actor,
    )


@router.get("/cases", response_class=HTMLResponse)
def my_cases(request: Request, uow: Uow, actor: SignedIn, q: str = "") -> Response:
    found = cases.list_cases(uow, actor, CaseQuery(text=q))
    return render(request, "my_cases.html", {"cases": found, "q": q}, actor=actor)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, uow: Uow, actor: SignedIn, case_id: int) -> Response:
    view = cases.view_case(uow, actor, case_id, ip=client_ip(request))
    thread = messages.visible_messages(uow, actor, case_id)
    uow.commit()
    return render(
        request,
        "case.html",
        {"view": view, "case": view.case, "thread": thread, "error": None},
        actor=actor,
    )


@router.post("/cases/{case_id}/messages")
def post_message(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    case_id: int,
    body: Annotated[str, Form()],
    visibility: Annotated[str, Form()] = "shared",
    shared_with: Annotated[list[int] | None, Form()] = None,
) -> Response:
    try:
        messages.post_message(
            uow,
            actor,
            case_id,
            body,
            internal=visibility == "internal",
            shared_with=shared_with or [],
            ip=client_ip(request),
        )
    except ValidationError as error:
        view = cases.view_case(uow, actor, case_id, ip=client_ip(request))
        thread = messages.visible_messages(uow, actor, case_id)
        uow.commit()
        return render(
            request,
            "case.html",
            {"view": view, "case": view.case, "thread": thread, "error": error.message},
            actor=actor,
            status_code=400,
        )
    uow.commit()
    return RedirectResponse(f"/cases/{case_id}#thread", status_code=303)
