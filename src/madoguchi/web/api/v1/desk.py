"""``/api/v1``: intake, hearing, support plan and workflow — the same rules as the pages."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from madoguchi.bootstrap import Desk
from madoguchi.domain.case import Category
from madoguchi.services import hearing, intake, notifications, support_plan, workflow
from madoguchi.web.api.v1.cases import get_case
from madoguchi.web.api.v1.schemas import (
    AssignIn,
    CaseOut,
    ErrorOut,
    HearingIn,
    HearingOut,
    OtherCaseIn,
    PlanItemIn,
    PlanItemOut,
    PlanStatusIn,
    ReportIn,
    ReportOut,
    StatusIn,
    UrgencyIn,
)
from madoguchi.web.deps import ApiActor, Uow, client_ip, get_desk, language_of

router = APIRouter(
    prefix="/api/v1",
    tags=["v1"],
    responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)


@router.post("/reports", response_model=ReportOut, status_code=201)
def submit_report(
    request: Request, uow: Uow, actor: ApiActor, body: ReportIn, desk: Desk = Depends(get_desk)
) -> ReportOut:
    """Open a case as the report form does (out-of-scope requests get the standard reply)."""
    report = intake.Report(
        title=body.title,
        reporter_kind=body.reporter_kind,
        on_behalf=body.on_behalf,
        victim_name=body.victim_name,
        hide_victim=body.hide_victim,
        kind=body.kind,
        purpose=body.purpose,
        categories=tuple(Category(c).value for c in body.categories),
        products=tuple(body.products),
        cves=tuple(body.cves),
        started_at=body.started_at,
        noticed_at=body.noticed_at,
        timezone=body.timezone,
        actions_taken=body.actions_taken,
        description=body.description,
        tlp=body.tlp,
    )
    submission = intake.submit(uow, actor, report, ip=client_ip(request))
    uow.commit()
    case_id = submission.case.id
    assert case_id is not None
    desk.queue.enqueue(notifications.CASE_CONFIRMATION, {"case_id": case_id})
    desk.queue.enqueue(notifications.DESK_NEW_CASE, {"case_id": case_id})
    return ReportOut(
        case=get_case(request, uow, actor, case_id),
        out_of_scope=[m.item_id for m in submission.out_of_scope],
    )


@router.get("/cases/{case_id}/hearing", response_model=HearingOut)
def get_hearing(uow: Uow, actor: ApiActor, case_id: int) -> HearingOut:
    view = hearing.view_hearing(uow, actor, case_id)
    case = uow.cases.get(case_id)
    return HearingOut(
        questionnaires=[q.id for q in view.questionnaires],
        answers=dict(view.answers),
        open_to_reporter=bool(case and case.hearing_open),
    )


@router.put("/cases/{case_id}/hearing", response_model=HearingOut)
def put_hearing(
    request: Request, uow: Uow, actor: ApiActor, case_id: int, body: HearingIn
) -> HearingOut:
    """Answers by question id; unchanged answers are not stored again (history is kept)."""
    hearing.save_answers(uow, actor, case_id, body.answers, ip=client_ip(request))
    uow.commit()
    return get_hearing(uow, actor, case_id)


def _plan(request: Request, uow: Uow, actor: ApiActor, case_id: int) -> list[PlanItemOut]:
    lang = language_of(request, actor)
    return [
        PlanItemOut(
            item_id=e.item.item_id,
            title=e.title.get(lang),
            status=e.item.status,
            reasons=[str(r.get(lang, r.get("en", ""))) for r in e.item.reasons],
            out_of_scope=e.out_of_scope,
            note=e.item.note,
        )
        for e in support_plan.plan_for(uow, actor, case_id)
    ]


@router.get("/cases/{case_id}/plan", response_model=list[PlanItemOut])
def get_plan(request: Request, uow: Uow, actor: ApiActor, case_id: int) -> list[PlanItemOut]:
    return _plan(request, uow, actor, case_id)


@router.post("/cases/{case_id}/plan/recommend", response_model=list[PlanItemOut])
def recommend(request: Request, uow: Uow, actor: ApiActor, case_id: int) -> list[PlanItemOut]:
    """Desk: run the rules and add their recommendations as proposals, with reasons."""
    support_plan.recommend_plan(uow, actor, case_id)
    uow.commit()
    return _plan(request, uow, actor, case_id)


@router.post("/cases/{case_id}/plan/accept", response_model=list[PlanItemOut])
def accept(request: Request, uow: Uow, actor: ApiActor, case_id: int) -> list[PlanItemOut]:
    support_plan.accept_proposals(uow, actor, case_id)
    uow.commit()
    return _plan(request, uow, actor, case_id)


@router.post("/cases/{case_id}/plan/items", response_model=list[PlanItemOut], status_code=201)
def add_item(
    request: Request, uow: Uow, actor: ApiActor, case_id: int, body: PlanItemIn
) -> list[PlanItemOut]:
    support_plan.add_item(uow, actor, case_id, body.item_id, body.note)
    uow.commit()
    return _plan(request, uow, actor, case_id)


@router.patch("/cases/{case_id}/plan/items/{item_id}", response_model=list[PlanItemOut])
def set_item_status(
    request: Request, uow: Uow, actor: ApiActor, case_id: int, item_id: str, body: PlanStatusIn
) -> list[PlanItemOut]:
    support_plan.set_status(uow, actor, case_id, item_id, body.status, body.note)
    uow.commit()
    return _plan(request, uow, actor, case_id)


@router.delete("/cases/{case_id}/plan/items/{item_id}", response_model=list[PlanItemOut])
def remove_item(
    request: Request, uow: Uow, actor: ApiActor, case_id: int, item_id: str
) -> list[PlanItemOut]:
    support_plan.remove_item(uow, actor, case_id, item_id)
    uow.commit()
    return _plan(request, uow, actor, case_id)


@router.post("/cases/{case_id}/status", response_model=CaseOut)
def set_status(
    request: Request, uow: Uow, actor: ApiActor, case_id: int, body: StatusIn
) -> CaseOut:
    workflow.change_status(uow, actor, case_id, body.status, ip=client_ip(request))
    uow.commit()
    return get_case(request, uow, actor, case_id)


@router.post("/cases/{case_id}/assign", response_model=CaseOut)
def assign(request: Request, uow: Uow, actor: ApiActor, case_id: int, body: AssignIn) -> CaseOut:
    workflow.assign(uow, actor, case_id, body.assignee_id)
    uow.commit()
    return get_case(request, uow, actor, case_id)


@router.post("/cases/{case_id}/urgency", response_model=CaseOut)
def urgency(request: Request, uow: Uow, actor: ApiActor, case_id: int, body: UrgencyIn) -> CaseOut:
    workflow.set_urgency(uow, actor, case_id, body.urgency)
    uow.commit()
    return get_case(request, uow, actor, case_id)


@router.post("/cases/{case_id}/merge", response_model=CaseOut)
def merge(request: Request, uow: Uow, actor: ApiActor, case_id: int, body: OtherCaseIn) -> CaseOut:
    """Desk: mark this case as a duplicate of another; returns the case it was merged into."""
    target = workflow.merge(uow, actor, case_id, body.other_case_id)
    uow.commit()
    assert target.id is not None
    return get_case(request, uow, actor, target.id)


@router.post("/cases/{case_id}/links", response_model=CaseOut)
def link(request: Request, uow: Uow, actor: ApiActor, case_id: int, body: OtherCaseIn) -> CaseOut:
    workflow.link(uow, actor, case_id, body.other_case_id)
    uow.commit()
    return get_case(request, uow, actor, case_id)
