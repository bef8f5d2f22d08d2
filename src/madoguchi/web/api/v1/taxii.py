"""TAXII 2.1 read endpoints for member organisations."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
