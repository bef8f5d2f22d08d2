"""The support plan of a case: catalogue items with a status and the reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class SupportStatus(StrEnum):
    PROPOSED = "proposed"  # recommended by the rules, not yet accepted by the desk
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DECLINED = "declined"

    @property
    def visible_to_reporter(self) -> bool:
        return self is not SupportStatus.PROPOSED


@dataclass(eq=False)
class SupportItem:
    case_id: int
    item_id: str
    status: SupportStatus = SupportStatus.PROPOSED
    recommended: bool = False
    reasons: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    id: int | None = None
    updated_by: int | None = None
    updated_at: datetime | None = None


@dataclass(eq=False)
class CaseLink:
    case_id: int
    other_case_id: int
    kind: str = "related"  # related | duplicate
    created_by: int | None = None
    created_at: datetime | None = None
    id: int | None = None


@dataclass(eq=False)
class LoginLink:
    """A one-time sign-in link for a first-time reporter (only the hash is kept)."""

    user_id: int
    token_hash: str
    expires_at: datetime
    id: int | None = None
    used_at: datetime | None = None
