"""Case-page panel: investigation guides for the case's affected products."""

from __future__ import annotations

from typing import Any

from madoguchi.domain.organisation import Actor
from madoguchi.ports import UnitOfWork
from madoguchi.services import guides


def context(uow: UnitOfWork, actor: Actor, case_id: int) -> dict[str, Any]:
    language = actor.language if actor.language in ("ja", "en") else "ja"
    return {"case_guides": guides.case_guides(uow, actor, case_id, language)}
