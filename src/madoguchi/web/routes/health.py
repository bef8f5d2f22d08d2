"""Liveness and readiness for load balancers and ``make run``."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text

from madoguchi.bootstrap import Desk
from madoguchi.web.deps import get_desk

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz(desk: Desk = Depends(get_desk)) -> JSONResponse:
    try:
        with desk.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as error:
        return JSONResponse({"status": "error", "database": type(error).__name__}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
