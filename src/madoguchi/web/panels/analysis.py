"""Case-page panel: analysis."""

from __future__ import annotations

from typing import Any

from madoguchi.domain.organisation import Actor
from madoguchi.ports import UnitOfWork


def context(uow: UnitOfWork, actor: Actor, case_id: int) -> dict[str, Any]:
    return {}
