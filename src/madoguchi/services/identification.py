"""Ransomware identification from what a handler or reporter pastes on the case page.

The result is shown to whoever asked. When the desk asks, the identified family and the
note's contact markers (onion, Tox, Session, e-mail, payment addresses) are kept on the
case, so cases whose notes share contact markers become related incidents.
"""

from __future__ import annotations

from madoguchi.analyzers.ransomware.identify import (
    Clues,
    Identification,
    contact_markers,
    identify,
    listing_names,
)
from madoguchi.domain.organisation import Actor
from madoguchi.ports import UnitOfWork
from madoguchi.services import audit
from madoguchi.services.cases import load_case

MAX_TEXT = 200_000


def identify_for_case(
    uow: UnitOfWork,
    actor: Actor,
    case_id: int,
    *,
    note_text: str = "",
    note_name: str = "",
    file_names: str = "",
    free_text: str = "",
) -> Identification:
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    names = listing_names(file_names[:MAX_TEXT]) if file_names.strip() else []
    result = identify(
        note_text=note_text[:MAX_TEXT] or None,
        note_name=note_name.strip() or None,
        file_names=names,
        free_text=free_text[:MAX_TEXT] or None,
    )
    if actor.is_desk:
        if result.verdict != "unknown":
            uow.indicators.add_marker(case.id, "family", result.verdict, "identification-form")
        clues = Clues(
            note_text or None, note_name or None, tuple(names), None, None, free_text or None
        )
        for marker in sorted(contact_markers(clues)):
            uow.indicators.add_marker(case.id, "contact", marker, "identification-form")
    audit.record(
        uow, actor, "ransomware:identify", "case", case.id, case_id=case.id, verdict=result.verdict
    )
    return result
