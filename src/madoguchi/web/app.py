"""``create_app(settings)``: the FastAPI application. Nothing is built at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

import madoguchi
from madoguchi.bootstrap import Desk, build_desk
from madoguchi.config import Settings
from madoguchi.domain.errors import (
    AuthenticationError,
    ConflictError,
    MadoguchiError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from madoguchi.i18n.catalogue import N_
from madoguchi.web import templating
from madoguchi.web.api import v1
from madoguchi.web.csrf import CsrfError
from madoguchi.web.deps import render
from madoguchi.web.routes import (
    account,
    admin,
    advice,
    advisories,
    auth,
    case_desk,
    cases,
    evidence,
    health,
    hearing,
    intake,
    leaks,
    ransomware,
    workspace,
)
from madoguchi.web.security import SecurityHeadersMiddleware

HERE = Path(__file__).parent


def create_app(settings: Settings, *, desk: Desk | None = None) -> FastAPI:
    desk = desk or build_desk(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.inline_worker and desk.inline_queue is not None:
            desk.inline_queue.start()
        yield
        desk.close()

    app = FastAPI(
        title="madoguchi",
        version=madoguchi.__version__,
        description="Incident consultation desk API. Authenticate with a personal API token: "
        "`Authorization: Bearer mdg_...` (create one on your account page).",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.desk = desk
    app.state.templates = templating.make_templates(HERE / "templates")
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.base_url.startswith("https://"))
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.effective_secret_key(),
        session_cookie="madoguchi_session",
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    routers = (
        health.router,
        auth.router,
        account.router,
        intake.router,
        cases.router,
        case_desk.router,
        hearing.router,
        evidence.router,
        admin.router,
        workspace.router,
        ransomware.router,
        advisories.router,
        leaks.router,
        advice.router,
        *v1.ROUTERS,
    )
    for router in routers:
        app.include_router(router)
    _install_error_handlers(app)
    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, error: MadoguchiError | None, title: str) -> Response:
    if _is_api(request):
        code = error.code if error else "error"
        detail = error.message if error else title
        return JSONResponse({"detail": detail, "code": code}, status_code=status)
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "message": error.message if error else ""},
        status_code=status,
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, error: NotFoundError) -> Response:
        return _error(request, 404, None, N_("Not found"))

    @app.exception_handler(CsrfError)
    async def csrf(request: Request, error: CsrfError) -> Response:
        return _error(request, 403, error, N_("Forbidden"))

    @app.exception_handler(PermissionDeniedError)
    async def forbidden(request: Request, error: PermissionDeniedError) -> Response:
        # Anonymous browsers are sent to sign in; anyone else gets the same 404 as for
        # an unknown id, so what exists cannot be probed.
        if not _is_api(request) and not isinstance(request.session.get("uid"), int):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return _error(request, 404, None, N_("Not found"))

    @app.exception_handler(AuthenticationError)
    async def unauthenticated(request: Request, error: AuthenticationError) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": error.message, "code": error.code},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(ValidationError)
    async def invalid(request: Request, error: ValidationError) -> Response:
        return _error(request, 422, error, N_("Invalid input"))

    @app.exception_handler(ConflictError)
    async def conflict(request: Request, error: ConflictError) -> Response:
        return _error(request, 409, error, N_("Conflict"))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        title = N_("Not found") if error.status_code == 404 else N_("Error")
        return _error(request, error.status_code, None, title)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, error: RequestValidationError) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": "invalid request", "code": "invalid", "errors": error.errors()},
                status_code=422,
            )
        return _error(request, 422, None, N_("Invalid input"))
