"""Cases, the organisations taking part in them, and the rules for who sees what."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from madoguchi.domain.tlp import TLP


class CaseKind(StrEnum):
    CONSULTATION = "consultation"
    INFORMATION = "information"


class Purpose(StrEnum):
    INFORMATION_ONLY = "information_only"
    QUESTION = "question"
    SUPPORT = "support"
    CONTACT_THIRD_PARTY = "contact_third_party"


class CaseStatus(StrEnum):
    NEW = "new"
    HEARING = "hearing"
    ANALYSING = "analysing"
    ADVISING = "advising"
    CLOSED = "closed"
    DECLINED = "declined"
    MERGED = "merged"

    @property
    def is_open(self) -> bool:
        return self not in (CaseStatus.CLOSED, CaseStatus.DECLINED, CaseStatus.MERGED)


class Category(StrEnum):
    RANSOMWARE = "ransomware"
    TARGETED_ATTACK = "targeted_attack"
    DEVICE_VULNERABILITY = "device_vulnerability"
    CLOUD_COMPROMISE = "cloud_compromise"
    MALWARE = "malware"
    DATA_LEAK = "data_leak"
    OTHER = "other"


class ReporterKind(StrEnum):
    VICTIM = "victim"
    SECURITY_VENDOR = "security_vendor"
    SYSTEM_OPERATOR = "system_operator"
    CLOUD_PROVIDER = "cloud_provider"
    OTHER = "other"


class Urgency(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Urgency).index(self)


class PartyRole(StrEnum):
    REPORTER = "reporter"
    VICTIM = "victim"
    VENDOR = "vendor"


REFERENCE_PATTERN = re.compile(r"^MDG-(\d{4})-(\d{5,})$")


def format_reference(year: int, number: int) -> str:
    """The case reference shown to everyone, e.g. ``MDG-2026-00042``."""
    return f"MDG-{year:04d}-{number:05d}"


@dataclass(eq=False)
class CaseParty:
    organisation_id: int
    role: PartyRole
    case_id: int | None = None
    id: int | None = None
    hide_identity: bool = False


@dataclass(eq=False)
class Case:
    reference: str
    title: str
    kind: CaseKind
    purpose: Purpose
    id: int | None = None
    status: CaseStatus = CaseStatus.NEW
    tlp: TLP = TLP.AMBER
    description: str = ""
    categories: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    cves: list[str] = field(default_factory=list)
    started_at: datetime | None = None
    noticed_at: datetime | None = None
    timezone: str = "Asia/Tokyo"
    created_by: int | None = None
    assignee_id: int | None = None
    reporter_kind: ReporterKind = ReporterKind.VICTIM
    on_behalf: bool = False
    actions_taken: str = ""
    urgency: Urgency = Urgency.NORMAL
    merged_into_id: int | None = None
    hearing_open: bool = False
    victim_name: str = ""
    hide_victim: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    parties: list[CaseParty] = field(default_factory=list)

    def party_org_ids(self) -> frozenset[int]:
        return frozenset(p.organisation_id for p in self.parties)

    def victim(self) -> CaseParty | None:
        return next((p for p in self.parties if p.role is PartyRole.VICTIM), None)

    def victim_hidden(self) -> bool:
        victim = self.victim()
        if victim is not None:
            return victim.hide_identity
        return self.hide_victim
