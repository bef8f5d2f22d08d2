"""``/api/v1``: the bearer-token JSON API. Everything the pages do, with the same rules."""

from __future__ import annotations

from fastapi import APIRouter

from madoguchi.web.api.v1 import cases, desk, evidence, indicators, taxii

ROUTERS: tuple[APIRouter, ...] = (
    cases.router,
    desk.router,
    evidence.router,
    indicators.router,
    taxii.router,
)
