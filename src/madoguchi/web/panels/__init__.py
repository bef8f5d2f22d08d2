"""Extra sections of the case page, one module per area.

Each module has ``context(uow, actor, case_id) -> dict`` (what its template needs) and a
template ``templates/panels/<name>.html`` that ``case.html`` includes.
"""

from __future__ import annotations

from typing import Any

from madoguchi.domain.organisation import Actor
from madoguchi.ports import UnitOfWork
from madoguchi.web.panels import advice, analysis, exchange, guides, leaks, related

PANELS = (analysis, related, guides, leaks, advice, exchange)


def panel_context(uow: UnitOfWork, actor: Actor, case_id: int) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for panel in PANELS:
        merged.update(panel.context(uow, actor, case_id))
    return merged
