"""Advice on a case: checklist ticks, composing and sharing advice memos, reading them.

Composing and sharing are the desk's; a party reads the memos shared with it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from madoguchi.bootstrap import Desk
from madoguchi.domain.errors import ValidationError
from madoguchi.i18n.catalogue import N_
from madoguchi.services import access, advice, cases, notifications
from madoguchi.web.csrf import verify_csrf
from madoguchi.web.deps import SignedIn, Uow, client_ip, get_desk, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


def _back(request: Request, url: str, error: str | None = None) -> Response:
    if error:
        request.session["flash_error"] = error
    return RedirectResponse(url, status_code=303)


def _desk_case(uow: Uow, actor: SignedIn, case_id: int) -> None:
    access.require_desk(actor)
    cases.load_case(uow, actor, case_id)


@router.post("/cases/{case_id}/advice/checklist")
def checklist(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    case_id: int,
    playbook_id: Annotated[str, Form()] = "",
    checked: Annotated[list[str] | None, Form()] = None,
) -> Response:
    _desk_case(uow, actor, case_id)
    url = f"/cases/{case_id}#advice"
    try:
        advice.set_checklist(uow, actor, case_id, playbook_id, checked or [], ip=client_ip(request))
    except ValidationError as error:
        uow.rollback()
        return _back(request, url, error.message)
    uow.commit()
    return _back(request, url)


@router.post("/cases/{case_id}/advice/memos")
def compose(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    case_id: int,
    lang: Annotated[str, Form()] = "ja",
    sections: Annotated[list[str] | None, Form()] = None,
    intro: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    personal_data_facts: Annotated[bool, Form()] = False,
) -> Response:
    _desk_case(uow, actor, case_id)
    try:
        memo = advice.compose_memo(
            uow,
            actor,
            case_id,
            advice.NewMemo(
                lang=lang,
                sections=tuple(sections or ()),
                intro=intro,
                title=title,
                personal_data_facts=personal_data_facts,
            ),
            ip=client_ip(request),
        )
    except ValidationError as error:
        uow.rollback()
        return _back(request, f"/cases/{case_id}#advice", error.message)
    uow.commit()
    return _back(request, f"/cases/{case_id}/advice/memos#memo-{memo.id}")


@router.post("/cases/{case_id}/advice/memos/share")
def share(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    case_id: int,
    desk: Desk = Depends(get_desk),
    memo_id: Annotated[str, Form()] = "",
    shared_with: Annotated[list[int] | None, Form()] = None,
) -> Response:
    _desk_case(uow, actor, case_id)
    url = f"/cases/{case_id}/advice/memos"
    try:
        if not memo_id.strip().isdigit():
            raise ValidationError(N_("advice memo not found"), where="memo_id")
        message = advice.share_memo(
            uow,
            desk.store,
            actor,
            case_id,
            int(memo_id),
            shared_with or [],
            ip=client_ip(request),
        )
    except ValidationError as error:
        uow.rollback()
        return _back(request, url, error.message)
    uow.commit()
    desk.queue.enqueue(notifications.SHARED_MESSAGE, {"case_id": case_id, "message_id": message.id})
    return _back(request, f"{url}#memo-{memo_id}")


@router.get("/cases/{case_id}/advice/memos", response_class=HTMLResponse)
def memos(request: Request, uow: Uow, actor: SignedIn, case_id: int) -> Response:
    view = cases.view_case(uow, actor, case_id, ip=client_ip(request))
    shown = advice.visible_memos(uow, actor, case_id)
    uow.commit()
    return render(
        request,
        "advice_memos.html",
        {
            "case": view.case,
            "view": view,
            # The stored HTML was rendered by advice_memo.render_html: every text escaped,
            # Markdown with raw HTML switched off.
            "memos": [(m, Markup(m.html)) for m in shown],  # noqa: S704
            "error": request.session.pop("flash_error", None),
        },
        actor=actor,
    )
