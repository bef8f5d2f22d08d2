"""Case-page panel: related incidents (desk: in full; reporters: sanitised summaries)."""

from __future__ import annotations

from typing import Any

from madoguchi.domain.organisation import Actor
from madoguchi.ports import UnitOfWork
from madoguchi.services import related


def context(uow: UnitOfWork, actor: Actor, case_id: int) -> dict[str, Any]:
    return {"related_cases": related.related_cases(uow, actor, case_id)}
