"""``/api/v1`` cases and messages: bearer-token JSON API with the same rules as the pages."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from madoguchi.bootstrap import Desk
from madoguchi.domain.case import Case
from madoguchi.domain.errors import NotFoundError
from madoguchi.ports import CaseQuery
from madoguchi.services import cases, messages, notifications
from madoguchi.web.api.v1.schemas import (
    CaseIn,
    CaseOut,
    CaseSummaryOut,
    ErrorOut,
    MembershipOut,
    MeOut,
    MessageIn,
    MessageOut,
    PartyOut,
)
from madoguchi.web.deps import ApiActor, Uow, client_ip, get_desk

# Beyond any real list, and small enough for every database's OFFSET.
MAX_OFFSET = 2**31 - 1

router = APIRouter(
    prefix="/api/v1",
    tags=["v1"],
    responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)


def _summary(case: Case) -> CaseSummaryOut:
    assert case.id is not None
    return CaseSummaryOut(
        id=case.id,
        reference=case.reference,
        title=case.title,
        kind=case.kind,
        purpose=case.purpose,
        status=case.status,
        tlp=case.tlp,
        created_at=case.created_at,
    )


@router.get("/me", response_model=MeOut)
def me(actor: ApiActor) -> MeOut:
    assert actor.user_id is not None
    return MeOut(
        id=actor.user_id,
        display_name=actor.display_name,
        desk=actor.is_desk,
        memberships=[
            MembershipOut(organisation_id=org, role=role.value) for org, role in actor.memberships
        ],
    )


@router.get("/cases", response_model=list[CaseSummaryOut])
def list_cases(
    uow: Uow, actor: ApiActor, q: str = "", limit: int = 100, offset: int = 0
) -> list[CaseSummaryOut]:
    found = cases.list_cases(
        uow,
        actor,
        CaseQuery(text=q, limit=max(1, min(limit, 500)), offset=max(0, min(offset, MAX_OFFSET))),
    )
    return [_summary(case) for case in found]


@router.post("/cases", response_model=CaseOut, status_code=201)
def create_case(
    request: Request,
    uow: Uow,
    actor: ApiActor,
    body: CaseIn,
    desk: Desk = Depends(get_desk),
) -> CaseOut:
    case = cases.open_case(
        uow,
        actor,
        cases.NewCase(
            title=body.title,
            kind=body.kind,
            purpose=body.purpose,
            description=body.description,
            tlp=body.tlp,
            categories=tuple(body.categories),
            products=tuple(body.products),
            cves=tuple(body.cves),
            started_at=body.started_at,
            noticed_at=body.noticed_at,
            timezone=body.timezone,
            reporting_org_id=body.reporting_org_id,
        ),
        ip=client_ip(request),
    )
    uow.commit()
    assert case.id is not None
    desk.queue.enqueue(notifications.CASE_CONFIRMATION, {"case_id": case.id})
    return get_case(request, uow, actor, case.id)


@router.get("/cases/{case_id}", response_model=CaseOut)
def get_case(request: Request, uow: Uow, actor: ApiActor, case_id: int) -> CaseOut:
    view = cases.view_case(uow, actor, case_id, ip=client_ip(request))
    uow.commit()
    case = view.case
    return CaseOut(
        **_summary(case).model_dump(),
        description=case.description,
        categories=case.categories,
        products=case.products,
        cves=case.cves,
        started_at=case.started_at,
        noticed_at=case.noticed_at,
        timezone=case.timezone,
        parties=[
            PartyOut(role=p.role, name=p.name, organisation_id=p.organisation_id)
            for p in view.parties
        ],
    )


@router.get("/cases/{case_id}/messages", response_model=list[MessageOut])
def list_messages(uow: Uow, actor: ApiActor, case_id: int) -> list[MessageOut]:
    return [
        MessageOut(
            id=v.message.id or 0,
            body=v.message.body,
            internal=v.message.internal,
            author=v.author_label or None,
            from_desk=v.author_is_desk,
            created_at=v.message.created_at,
        )
        for v in messages.visible_messages(uow, actor, case_id)
    ]


@router.post("/cases/{case_id}/messages", response_model=MessageOut, status_code=201)
def post_message(
    request: Request, uow: Uow, actor: ApiActor, case_id: int, body: MessageIn
) -> MessageOut:
    message = messages.post_message(
        uow,
        actor,
        case_id,
        body.body,
        internal=body.internal,
        shared_with=body.shared_with,
        ip=client_ip(request),
    )
    uow.commit()
    if message.id is None:
        raise NotFoundError("message not stored")
    return MessageOut(
        id=message.id,
        body=message.body,
        internal=message.internal,
        author=actor.display_name,
        from_desk=actor.is_desk,
        created_at=message.created_at,
    )
