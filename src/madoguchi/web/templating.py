"""The Jinja2 environment: autoescape, i18n, a few filters."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates

from madoguchi.web.labels import label


def format_time(value: datetime | None, zone: str = "Asia/Tokyo") -> str:
    if value is None:
        return ""
    try:
        tz = ZoneInfo(zone)
    except (KeyError, ValueError):
        tz = ZoneInfo("UTC")
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def make_templates(directory: Path) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(directory))
    env = templates.env
    env.autoescape = True
    env.filters["localtime"] = format_time
    env.globals["label"] = label
    env.trim_blocks = True
    env.lstrip_blocks = True
    return templates
