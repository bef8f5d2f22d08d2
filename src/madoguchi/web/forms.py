"""Turning form fields into domain values (dates with time zones, lists, enums)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from madoguchi.domain.errors import ValidationError
from madoguchi.i18n.catalogue import N_

E = TypeVar("E", bound=StrEnum)

TIMEZONES = (
    "Asia/Tokyo",
    "UTC",
    "Asia/Seoul",
    "Asia/Singapore",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
)


# Raised by ``domain.tlp`` (the domain cannot import the catalogue); marked here so the
# error page, which translates the message, has it.
DOMAIN_MESSAGES = (N_("unknown TLP level"),)


def local_datetime(value: str, zone: str, field: str) -> datetime | None:
    """``2026-11-25T09:30`` in ``zone`` as an aware datetime (None when empty)."""
    value = value.strip()
    if not value:
        return None
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(N_("unknown time zone"), where="timezone") from error
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise ValidationError(
            N_("enter the date and time as YYYY-MM-DD HH:MM"), where=field
        ) from error
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed


def split_list(value: str) -> tuple[str, ...]:
    """Comma, semicolon or newline separated values, stripped, without empties."""
    parts = value.replace(";", ",").replace("\n", ",").replace("、", ",").split(",")
    return tuple(p.strip() for p in parts if p.strip())


def enum_value(cls: type[E], value: str, field: str) -> E:
    try:
        return cls(value)
    except ValueError as error:
        raise ValidationError(N_("choose one of the options"), where=field) from error
