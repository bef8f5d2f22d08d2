"""Case-page panel: leak-site claims about the victim and the exfiltration picture.

The desk sees every match and item with review forms; a party sees only what the desk
confirmed and shared with it ("possibly leaked", "claimed on <date> by <group>").
"""

from __future__ import annotations

from typing import Any

from madoguchi.domain.leak import ReviewState
from madoguchi.domain.organisation import Actor
from madoguchi.ports import UnitOfWork
from madoguchi.services import exfiltration, leak_sites
from madoguchi.services.advice_memo import PPC_SOURCE, ppc_facts


def context(uow: UnitOfWork, actor: Actor, case_id: int) -> dict[str, Any]:
    return {
        "leak_claims": leak_sites.case_claims(uow, actor, case_id),
        "exfil": exfiltration.case_picture(uow, actor, case_id),
        "review_states": list(ReviewState),
        "ppc_source": PPC_SOURCE,
        "ppc_facts": ppc_facts,
    }
