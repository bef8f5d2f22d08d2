"""Evidence: files a party sent, stored content-addressed, shared like messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from madoguchi.domain.tlp import TLP


class EvidenceStatus(StrEnum):
    STORED = "stored"
    EXPANDED = "expanded"  # an archive whose members are child evidence
    REFUSED = "refused"  # a member that was not expanded (traversal, bomb, password …)


@dataclass(eq=False)
class Evidence:
    case_id: int
    filename: str
    sha256: str
    size: int
    kind: str
    uploaded_by: int
    id: int | None = None
    parent_id: int | None = None
    member_path: str = ""
    status: EvidenceStatus = EvidenceStatus.STORED
    problem: str = ""
    tlp: TLP = TLP.AMBER
    shared_with: list[int] = field(default_factory=list)
    is_malware: bool = False
    description: str = ""
    uploaded_at: datetime | None = None

    @property
    def display_path(self) -> str:
        return self.member_path or self.filename

    def visible_to_org(self, organisation_id: int) -> bool:
        return organisation_id in self.shared_with
