"""Hearing answers: one row per change, the newest per question is the answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(eq=False)
class HearingAnswer:
    case_id: int
    question_id: str
    value: Any
    answered_by: int
    answered_at: datetime
    id: int | None = None
