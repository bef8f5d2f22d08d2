"""Messages on a case: internal notes of the desk, or shared with named parties."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from madoguchi.domain.tlp import TLP


@dataclass(eq=False)
class Message:
    case_id: int
    author_id: int
    body: str
    id: int | None = None
    internal: bool = True
    shared_with: list[int] = field(default_factory=list)
    tlp: TLP = TLP.AMBER
    created_at: datetime | None = None

    def visible_to_org(self, organisation_id: int) -> bool:
        return not self.internal and organisation_id in self.shared_with
