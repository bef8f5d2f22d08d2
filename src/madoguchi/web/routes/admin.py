"""Desk administration: whether newcomers may report without an account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from madoguchi.services import access, audit, intake
from madoguchi.web.csrf import verify_csrf
from madoguchi.web.deps import SignedIn, Uow, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


@router.get("/desk/settings", response_class=HTMLResponse)
def settings_page(request: Request, uow: Uow, actor: SignedIn) -> Response:
    access.require_desk_admin(actor)
    return render(
        request,
        "desk_settings.html",
        {
            "allow_anonymous": bool(uow.desk_settings.get(intake.ALLOW_ANONYMOUS, False)),
            "organisations": uow.organisations.list(),
        },
        actor=actor,
    )


@router.post("/desk/settings")
def save_settings(
    uow: Uow, actor: SignedIn, allow_anonymous: Annotated[bool, Form()] = False
) -> Response:
    access.require_desk_admin(actor)
    uow.desk_settings.set(intake.ALLOW_ANONYMOUS, allow_anonymous)
    audit.record(uow, actor, "desk:settings", "desk", "settings", allow_anonymous=allow_anonymous)
    uow.commit()
    return RedirectResponse("/desk/settings", status_code=303)
