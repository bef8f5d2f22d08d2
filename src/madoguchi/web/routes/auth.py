"""Sign in (password, then TOTP when enabled), sign out, language switch."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from madoguchi.domain.errors import AuthenticationError
from madoguchi.i18n.catalogue import LANGUAGES
from madoguchi.services import accounts, audit
from madoguchi.web.csrf import verify_csrf
from madoguchi.web.deps import (
    SESSION_LANG,
    SESSION_PENDING,
    SESSION_USER,
    CurrentActor,
    Uow,
    client_ip,
    render,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths; anything else goes home."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _start_session(request: Request, user_id: int) -> None:
    """A fresh session on every sign-in (no fixation): only the language survives."""
    lang = request.session.get(SESSION_LANG)
    request.session.clear()
    request.session[SESSION_USER] = user_id
    if lang:
        request.session[SESSION_LANG] = lang


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, actor: CurrentActor, next: str = "/") -> Response:
    if actor.is_authenticated:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
def login(
    request: Request,
    uow: Uow,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        result = accounts.authenticate(uow, email, password, ip=client_ip(request))
    except AuthenticationError as error:
        return render(
            request,
            "login.html",
            {"next": _safe_next(next), "error": error.message, "email": email},
            status_code=401,
        )
    user = result.user
    assert user.id is not None
    if result.needs_totp:
        uow.commit()
        lang = request.session.get(SESSION_LANG)
        request.session.clear()
        request.session[SESSION_PENDING] = user.id
        request.session["next"] = _safe_next(next)
        if lang:
            request.session[SESSION_LANG] = lang
        return RedirectResponse("/login/totp", status_code=303)
    accounts.complete_login(uow, user, ip=client_ip(request))
    _start_session(request, user.id)
    if result.must_enrol_totp:
        return RedirectResponse("/account/totp", status_code=303)
    if user.must_change_password:
        return RedirectResponse("/account", status_code=303)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.get("/login/totp", response_class=HTMLResponse)
def totp_page(request: Request) -> Response:
    if not isinstance(request.session.get(SESSION_PENDING), int):
        return RedirectResponse("/login", status_code=303)
    return render(request, "totp.html", {"error": None})


@router.post("/login/totp")
def totp_submit(request: Request, uow: Uow, code: Annotated[str, Form()]) -> Response:
    pending = request.session.get(SESSION_PENDING)
    user = uow.users.get(pending) if isinstance(pending, int) else None
    if user is None or user.id is None:
        return RedirectResponse("/login", status_code=303)
    try:
        accounts.check_second_factor(uow, user, code, ip=client_ip(request))
    except AuthenticationError as error:
        return render(request, "totp.html", {"error": error.message}, status_code=401)
    next_url = _safe_next(request.session.get("next"))
    accounts.complete_login(uow, user, ip=client_ip(request))
    _start_session(request, user.id)
    return RedirectResponse(next_url, status_code=303)


@router.post("/logout")
def logout(request: Request, uow: Uow, actor: CurrentActor) -> Response:
    if actor.is_authenticated:
        audit.record(uow, actor, "user:logout", "user", actor.user_id, ip=client_ip(request))
        uow.commit()
    lang = request.session.get(SESSION_LANG)
    request.session.clear()
    if lang:
        request.session[SESSION_LANG] = lang
    return RedirectResponse("/login", status_code=303)


@router.post("/lang")
def switch_language(
    request: Request,
    uow: Uow,
    actor: CurrentActor,
    language: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    if language in LANGUAGES:
        request.session[SESSION_LANG] = language
        if actor.is_authenticated:
            accounts.set_language(uow, actor, language)
            uow.commit()
    return RedirectResponse(_safe_next(next), status_code=303)
