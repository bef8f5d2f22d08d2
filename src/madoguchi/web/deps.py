"""Request dependencies: the desk container, a unit of work, the acting user, rendering.

Routes declare what they need with ``Depends``; nothing here is a global.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from madoguchi.bootstrap import Desk
from madoguchi.domain.errors import AuthenticationError, NotFoundError, PermissionDeniedError
from madoguchi.domain.organisation import Actor
from madoguchi.i18n.catalogue import LANGUAGE_NAMES, Translator, negotiate
from madoguchi.ports import UnitOfWork
from madoguchi.services import accounts
from madoguchi.web.csrf import csrf_token

SESSION_USER = "uid"
SESSION_PENDING = "pending_uid"
SESSION_LANG = "lang"
SESSION_NONCE = "nonce"
# The largest row id the tables hold (INTEGER keys: 32 bits on PostgreSQL). A larger id
# is answered like any other unknown id instead of overflowing in the driver.
MAX_ROW_ID = 2**31 - 1


def get_desk(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def ids_in_range(request: Request) -> None:
    """Every ``…_id`` path parameter that is a number must fit a database row id: a
    larger one is an unknown id (404), never a driver overflow (500)."""
    for name, value in request.path_params.items():
        if name.endswith("_id") and isinstance(value, str) and value.strip().lstrip("+-").isdigit():
            number = int(value)
            if not -MAX_ROW_ID <= number <= MAX_ROW_ID:
                raise NotFoundError(f"unknown {name}", where=name)


def get_uow(desk: Annotated[Desk, Depends(get_desk)]) -> Iterator[UnitOfWork]:
    with desk.uow_factory() as uow:
        yield uow


Uow = Annotated[UnitOfWork, Depends(get_uow)]


def get_actor(request: Request, uow: Uow) -> Actor:
    """The signed-in user of the browser session, or anonymous."""
    user_id = request.session.get(SESSION_USER)
    if not isinstance(user_id, int):
        return Actor.anonymous()
    user = uow.users.get(user_id)
    if user is None or not user.is_active:
        request.session.clear()
        return Actor.anonymous()
    return accounts.actor_for(uow, user)


CurrentActor = Annotated[Actor, Depends(get_actor)]


def require_user(actor: CurrentActor) -> Actor:
    if not actor.is_authenticated:
        raise PermissionDeniedError("sign in first")
    return actor


SignedIn = Annotated[Actor, Depends(require_user)]


def get_api_actor(request: Request, uow: Uow) -> Actor:
    """The user of a bearer token (``Authorization: Bearer mdg_...``)."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret:
        raise AuthenticationError("send a personal API token as 'Authorization: Bearer <token>'")
    actor = accounts.authenticate_token(uow, secret)
    uow.commit()
    return actor


ApiActor = Annotated[Actor, Depends(get_api_actor)]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def language_of(request: Request, actor: Actor | None = None) -> str:
    desk = get_desk(request)
    chosen = request.session.get(SESSION_LANG, "")
    preferred = chosen or (actor.language if actor else "")
    return negotiate(
        request.headers.get("accept-language"),
        preferred=preferred,
        default=desk.settings.default_language,
    )


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    actor: Actor | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    lang = language_of(request, actor)
    values: dict[str, Any] = {
        "lang": lang,
        "_": Translator(lang),
        "actor": actor or Actor.anonymous(),
        "csrf_token": csrf_token(request),
        "languages": LANGUAGE_NAMES,
        "path": request.url.path,
    }
    values.update(context or {})
    return templates.TemplateResponse(request, template, values, status_code=status_code)
