"""Advice on a case: playbook checklists the desk ticks, and advice memos to reporters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(eq=False)
class ChecklistTick:
    """One checklist item of a playbook, ticked (or unticked) on a case."""

    case_id: int
    playbook_id: str
    item_id: str
    checked: bool
    checked_by: int | None = None
    checked_at: datetime | None = None
    id: int | None = None


@dataclass(eq=False)
class AdviceMemo:
    """A memo composed from playbook sections plus the desk's own text.

    ``html`` is the rendered memo (the scope statement included); once shared it is also
    sent as a shared message with the PDF attached as evidence.
    """

    case_id: int
    lang: str
    title: str
    intro: str
    sections: list[str]
    """Qualified section ids, ``playbook-id/section-id``, in memo order."""
    html: str
    created_by: int | None
    values: dict[str, str] = field(default_factory=dict)
    shared_with: list[int] = field(default_factory=list)
    message_id: int | None = None
    pdf_evidence_id: int | None = None
    created_at: datetime | None = None
    shared_at: datetime | None = None
    id: int | None = None

    @property
    def is_shared(self) -> bool:
        return bool(self.shared_with)

    def visible_to_org(self, organisation_id: int) -> bool:
        return organisation_id in self.shared_with
