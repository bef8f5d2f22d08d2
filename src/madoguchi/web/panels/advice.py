"""Case-page panel: the playbooks that fit the case as checklists (desk), the memo
composer (desk) and the advice memos shared with the reader."""

from __future__ import annotations

from typing import Any

from madoguchi.domain.organisation import Actor
from madoguchi.ports import UnitOfWork
from madoguchi.services import advice


def context(uow: UnitOfWork, actor: Actor, case_id: int) -> dict[str, Any]:
    playbooks: dict[str, Any] = {}
    if actor.is_desk:
        playbooks = {
            lang: advice.case_playbooks(uow, actor, case_id, lang) for lang in advice.LANGS
        }
    return {
        "advice_playbooks": playbooks,
        "advice_memos": advice.visible_memos(uow, actor, case_id),
    }
