"""Desk actions on a case: workflow (status, assignment, urgency, merge, links) and the
support plan. Every action answers 404 to anyone but the desk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from madoguchi.bootstrap import Desk
from madoguchi.domain.case import CaseStatus, Urgency
from madoguchi.domain.errors import ValidationError
from madoguchi.domain.support import SupportStatus
from madoguchi.i18n.catalogue import N_
from madoguchi.services import (
    access,
    analysis_runs,
    cases,
    guides,
    notifications,
    support_plan,
    workflow,
)
from madoguchi.web.csrf import verify_csrf
from madoguchi.web.deps import SignedIn, Uow, client_ip, get_desk
from madoguchi.web.forms import enum_value

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


def _back(request: Request, case_id: int, anchor: str, error: str | None = None) -> Response:
    if error:
        request.session["flash_error"] = error
    return RedirectResponse(f"/cases/{case_id}#{anchor}", status_code=303)


@router.post("/cases/{case_id}/status")
def set_status(
    request: Request, uow: Uow, actor: SignedIn, case_id: int, status: Annotated[str, Form()]
) -> Response:
    try:
        workflow.change_status(
            uow, actor, case_id, enum_value(CaseStatus, status, "status"), ip=client_ip(request)
        )
    except ValidationError as error:
        return _back(request, case_id, "workflow", error.message)
    uow.commit()
    return _back(request, case_id, "workflow")


@router.post("/cases/{case_id}/assign")
def assign(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    case_id: int,
    assignee_id: Annotated[str, Form()] = "",
) -> Response:
    try:
        workflow.assign(uow, actor, case_id, int(assignee_id) if assignee_id else None)
    except ValidationError as error:
        return _back(request, case_id, "workflow", error.message)
    uow.commit()
    return _back(request, case_id, "workflow")


@router.post("/cases/{case_id}/urgency")
def urgency(
    request: Request, uow: Uow, actor: SignedIn, case_id: int, urgency: Annotated[str, Form()]
) -> Response:
    try:
        workflow.set_urgency(uow, actor, case_id, enum_value(Urgency, urgency, "urgency"))
    except ValidationError as error:
        return _back(request, case_id, "workflow", error.message)
    uow.commit()
    return _back(request, case_id, "workflow")


def _require_desk_case(uow: Uow, actor: SignedIn, case_id: int) -> None:
    """404 for anyone but the desk, and for a case that does not exist."""
    access.require_desk(actor)
    cases.load_case(uow, actor, case_id)


def _case_id_from(uow: Uow, reference: str) -> int | None:
    reference = reference.strip().upper()
    if reference.isdigit():
        return int(reference)
    found = uow.cases.by_reference(reference)
    return found.id if found else None


@router.post("/cases/{case_id}/merge")
def merge(
    request: Request, uow: Uow, actor: SignedIn, case_id: int, into: Annotated[str, Form()]
) -> Response:
    _require_desk_case(uow, actor, case_id)
    target = _case_id_from(uow, into)
    if target is None:
        return _back(request, case_id, "workflow", N_("case not found"))
    try:
        workflow.merge(uow, actor, case_id, target)
    except ValidationError as error:
        return _back(request, case_id, "workflow", error.message)
    uow.commit()
    return RedirectResponse(f"/cases/{target}", status_code=303)


@router.post("/cases/{case_id}/link")
def link(
    request: Request, uow: Uow, actor: SignedIn, case_id: int, other: Annotated[str, Form()]
) -> Response:
    _require_desk_case(uow, actor, case_id)
    other_id = _case_id_from(uow, other)
    if other_id is None:
        return _back(request, case_id, "workflow", N_("case not found"))
    try:
        workflow.link(uow, actor, case_id, other_id)
    except ValidationError as error:
        return _back(request, case_id, "workflow", error.message)
    uow.commit()
    return _back(request, case_id, "workflow")


@router.post("/cases/{case_id}/plan/recommend")
def recommend(uow: Uow, actor: SignedIn, case_id: int, request: Request) -> Response:
    support_plan.recommend_plan(uow, actor, case_id)
    uow.commit()
    return _back(request, case_id, "plan")


@router.post("/cases/{case_id}/plan/accept")
def accept(uow: Uow, actor: SignedIn, case_id: int, request: Request) -> Response:
    support_plan.accept_proposals(uow, actor, case_id)
    uow.commit()
    return _back(request, case_id, "plan")


@router.post("/cases/{case_id}/plan/add")
def add_item(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    case_id: int,
    item_id: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    try:
        support_plan.add_item(uow, actor, case_id, item_id, note)
    except ValidationError as error:
        return _back(request, case_id, "plan", error.message)
    uow.commit()
    return _back(request, case_id, "plan")


@router.post("/cases/{case_id}/plan/remove")
def remove_item(
    request: Request, uow: Uow, actor: SignedIn, case_id: int, item_id: Annotated[str, Form()]
) -> Response:
    support_plan.remove_item(uow, actor, case_id, item_id)
    uow.commit()
    return _back(request, case_id, "plan")


@router.post("/cases/{case_id}/plan/status")
def item_status(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    case_id: int,
    item_id: Annotated[str, Form()],
    status: Annotated[str, Form()],
    note: Annotated[str | None, Form()] = None,
) -> Response:
    try:
        support_plan.set_status(
            uow, actor, case_id, item_id, enum_value(SupportStatus, status, "status"), note
        )
    except ValidationError as error:
        return _back(request, case_id, "plan", error.message)
    uow.commit()
    return _back(request, case_id, "plan")


@router.post("/cases/{case_id}/analysis/rerun")
def rerun_analysis(
    request: Request, uow: Uow, actor: SignedIn, case_id: int, desk: Desk = Depends(get_desk)
) -> Response:
    items = analysis_runs.request_rerun(uow, actor, case_id)
    uow.commit()
    analysis_runs.queue_analysis(desk.queue, items)
    return _back(request, case_id, "analysis")


@router.post("/cases/{case_id}/guides/{guide_id}/send")
def send_guide(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    case_id: int,
    guide_id: str,
    lang: Annotated[str, Form()] = "ja",
    desk: Desk = Depends(get_desk),
) -> Response:
    message = guides.send_guide(uow, actor, case_id, guide_id, lang, ip=client_ip(request))
    uow.commit()
    desk.queue.enqueue(notifications.SHARED_MESSAGE, {"case_id": case_id, "message_id": message.id})
    return _back(request, case_id, "thread")
