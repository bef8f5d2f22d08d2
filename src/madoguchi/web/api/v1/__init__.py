"""``/api/v1``: the bearer-token JSON API. Everything the pages do, with the same rules."""

from __future__ import annotations

from fastapi import APIRouter

from madoguchi.web.api.v1 import advisories, cases, desk, evidence, indicators, taxii

ROUTERS: tuple[APIRouter, ...] = (
    advisories.router,
    cases.router,
    desk.router,
    evidence.router,
    indicators.router,
    taxii.router,
)
