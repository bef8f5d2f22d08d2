"""``create_app(settings)``: the FastAPI application. Nothing is built at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
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
from madoguchi.storage import temp_files
from madoguchi.web import templating
from madoguchi.web.api import v1
from madoguchi.web.csrf import CsrfError
from madoguchi.web.deps import ids_in_range, render
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
log = logging.getLogger(__name__)


def create_app(settings: Settings, *, desk: Desk | None = None) -> FastAPI:
    desk = desk or build_desk(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Uploads cut by a killed web process leave temporary files; never evidence.
        for folder in (
            desk.settings.effective_evidence_dir,
            desk.settings.effective_evidence_cache_dir,  # the object store's local copies
        ):
            temp_files.sweep_stale(folder / "tmp")
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
        app.include_router(router, dependencies=[Depends(ids_in_range)])
    _install_error_handlers(app)
    _document_errors(app)
    return app


def _document_errors(app: FastAPI) -> None:
    """The API answers invalid input with ``{"detail", "code", "errors"}`` (see
    ``request_invalid``); the published document says so instead of FastAPI's default."""
    default = app.openapi

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = default()
            schemas = schema.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = {
                    "title": "HTTPValidationError",
                    "type": "object",
                    "required": ["detail", "code"],
                    "properties": {
                        "detail": {"type": "string", "title": "Detail"},
                        "code": {"type": "string", "title": "Code"},
                        "errors": {"type": "array", "items": {"type": "object"}},
                    },
                }
        return app.openapi_schema or {}

    app.openapi = document  # type: ignore[method-assign]


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
        if error.status_code == 400 and _is_api(request):
            # A body that cannot even be decoded (not UTF-8): invalid input like any other.
            return JSONResponse(
                {"detail": "the request body could not be read", "code": "invalid"},
                status_code=422,
            )
        title = N_("Not found") if error.status_code == 404 else N_("Error")
        return _error(request, error.status_code, None, title)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def database_unavailable(request: Request, error: DBAPIError) -> Response:
        # The database is restarting or unreachable: say so and let the client retry;
        # pooled connections are checked before use, so the next request reconnects.
        log.warning("database unavailable: %s", type(error.orig or error).__name__)
        title = N_("The desk is briefly unavailable; try again in a moment.")
        response = (
            JSONResponse({"detail": title, "code": "unavailable"}, status_code=503)
            if _is_api(request)
            else _error(request, 503, None, title)
        )
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(DataError)
    async def unstorable(request: Request, error: DataError) -> Response:
        # The database refused a value the client sent (a NUL character in text on
        # PostgreSQL, a number out of range): invalid input, not a server error.
        log.info("value refused by the database: %s", type(error.orig or error).__name__)
        return _error(
            request,
            422,
            ValidationError(N_("a value cannot be stored (for example a NUL character)")),
            N_("Invalid input"),
        )

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, error: RequestValidationError) -> Response:
        if _is_api(request):
            return JSONResponse(
                {
                    "detail": "invalid request",
                    "code": "invalid",
                    # The errors may carry the exception objects pydantic raised.
                    "errors": jsonable_encoder(error.errors()),
                },
                status_code=422,
            )
        return _error(request, 422, None, N_("Invalid input"))
