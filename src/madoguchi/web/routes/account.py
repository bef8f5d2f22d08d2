"""The signed-in user's own settings: password, second factor, API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from madoguchi.domain.errors import AuthenticationError, ValidationError
from madoguchi.domain.organisation import Actor, User
from madoguchi.ports import UnitOfWork
from madoguchi.services import accounts
from madoguchi.web.csrf import verify_csrf
from madoguchi.web.deps import SignedIn, Uow, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

TOTP_PENDING = "totp_pending_secret"


def _me(uow: UnitOfWork, actor: Actor) -> User:
    assert actor.user_id is not None
    user = uow.users.get(actor.user_id)
    assert user is not None
    return user


def _page(request: Request, uow: UnitOfWork, actor: Actor, **extra: object) -> Response:
    user = _me(uow, actor)
    assert user.id is not None
    context = {
        "user": user,
        "tokens": uow.tokens.for_user(user.id),
        "new_token": None,
        "error": None,
        "notice": None,
        "welcome": bool(request.session.get("welcome")),
    }
    context.update(extra)
    status = 400 if extra.get("error") else 200
    return render(request, "account.html", context, actor=actor, status_code=status)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, uow: Uow, actor: SignedIn) -> Response:
    return _page(request, uow, actor)


@router.post("/account/password")
def change_password(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    new_password: Annotated[str, Form()],
    current_password: Annotated[str, Form()] = "",
) -> Response:
    user = _me(uow, actor)
    try:
        if request.session.get("welcome") and not current_password:
            accounts.set_initial_password(uow, actor, user, new_password)
        else:
            accounts.change_password(uow, actor, user, current_password, new_password)
    except (AuthenticationError, ValidationError) as error:
        return _page(request, uow, actor, error=error.message)
    uow.commit()
    request.session.pop("welcome", None)
    return _page(request, uow, actor, notice="password-changed")


@router.get("/account/totp", response_class=HTMLResponse)
def totp_enrol_page(request: Request, uow: Uow, actor: SignedIn) -> Response:
    user = _me(uow, actor)
    secret = request.session.get(TOTP_PENDING)
    if not isinstance(secret, str):
        secret = accounts.new_totp_secret()
        request.session[TOTP_PENDING] = secret
    return render(
        request,
        "totp_enrol.html",
        {"secret": secret, "uri": accounts.totp_uri(user, secret), "error": None, "user": user},
        actor=actor,
    )


@router.post("/account/totp")
def totp_enrol(
    request: Request, uow: Uow, actor: SignedIn, code: Annotated[str, Form()]
) -> Response:
    user = _me(uow, actor)
    secret = request.session.get(TOTP_PENDING)
    if not isinstance(secret, str):
        return RedirectResponse("/account/totp", status_code=303)
    try:
        accounts.enable_totp(uow, actor, user, secret, code)
    except AuthenticationError as error:
        return render(
            request,
            "totp_enrol.html",
            {
                "secret": secret,
                "uri": accounts.totp_uri(user, secret),
                "error": error.message,
                "user": user,
            },
            actor=actor,
            status_code=400,
        )
    uow.commit()
    request.session.pop(TOTP_PENDING, None)
    return _page(request, uow, actor, notice="totp-enabled")


@router.post("/account/tokens")
def create_token(
    request: Request, uow: Uow, actor: SignedIn, name: Annotated[str, Form()] = "token"
) -> Response:
    user = _me(uow, actor)
    _, secret = accounts.create_token(uow, actor, user, name)
    uow.commit()
    return _page(request, uow, actor, new_token=secret)
