"""The hearing page: questionnaires for the case, answers with their history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from madoguchi.knowledge.hearing import QuestionType
from madoguchi.services import hearing
from madoguchi.services.hearing import HearingAnswerError
from madoguchi.web.csrf import verify_csrf
from madoguchi.web.deps import SignedIn, Uow, client_ip, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


def _page(request: Request, uow: Uow, actor: SignedIn, case_id: int, **extra: Any) -> Response:
    view = hearing.view_hearing(uow, actor, case_id)
    case = uow.cases.get(case_id)
    names = {u.id: u.display_name for u in uow.users.list()} if actor.is_desk else {}
    context = {"view": view, "case": case, "errors": {}, "names": names, "saved": None}
    context.update(extra)
    return render(
        request,
        "hearing.html",
        context,
        actor=actor,
        status_code=400 if extra.get("errors") else 200,
    )


@router.get("/cases/{case_id}/hearing", response_class=HTMLResponse)
def hearing_page(request: Request, uow: Uow, actor: SignedIn, case_id: int) -> Response:
    return _page(request, uow, actor, case_id)


@router.post("/cases/{case_id}/hearing")
async def save(request: Request, uow: Uow, actor: SignedIn, case_id: int) -> Response:
    form = await request.form()
    view = hearing.view_hearing(uow, actor, case_id)
    answers: dict[str, Any] = {}
    for questionnaire in view.questionnaires:
        for question in questionnaire.questions:
            key = f"q.{question.id}"
            if question.type is QuestionType.MULTIPLE_CHOICE:
                if f"present.{question.id}" in form:
                    answers[question.id] = [v for v in form.getlist(key) if isinstance(v, str)]
                continue
            value = form.get(key)
            if isinstance(value, str):
                answers[question.id] = value.strip()
    try:
        changed = hearing.save_answers(uow, actor, case_id, answers, ip=client_ip(request))
    except HearingAnswerError as error:
        by_id = {e.question_id: e.message for e in error.errors}
        return _page(request, uow, actor, case_id, errors=by_id, submitted=answers)
    uow.commit()
    return _page(request, uow, actor, case_id, saved=changed)


@router.post("/cases/{case_id}/hearing/open")
def open_hearing(
    uow: Uow, actor: SignedIn, case_id: int, open_: Annotated[bool, Form(alias="open")] = False
) -> Response:
    hearing.open_to_reporter(uow, actor, case_id, open_)
    uow.commit()
    return RedirectResponse(f"/cases/{case_id}/hearing", status_code=303)
