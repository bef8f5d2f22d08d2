"""Request and response bodies of the v1 API (what the OpenAPI document shows)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from madoguchi.domain.case import (
    CaseKind,
    CaseStatus,
    Category,
    PartyRole,
    Purpose,
    ReporterKind,
    Urgency,
)
from madoguchi.domain.support import SupportStatus
from madoguchi.domain.tlp import TLP
from madoguchi.web.deps import MAX_ROW_ID

# An id a client sends: an integer a row id can hold, so an absurd one is invalid
# input (422) and never reaches the database driver.
RowId = Annotated[int, Field(ge=0, le=MAX_ROW_ID)]


class MembershipOut(BaseModel):
    organisation_id: int
    role: str


class MeOut(BaseModel):
    id: int
    display_name: str
    desk: bool
    memberships: list[MembershipOut]


class PartyOut(BaseModel):
    role: PartyRole
    name: str | None = Field(description="null when the organisation must stay hidden from you")
    organisation_id: int | None


class CaseSummaryOut(BaseModel):
    id: int
    reference: str = Field(examples=["MDG-2026-00042"])
    title: str
    kind: CaseKind
    purpose: Purpose
    status: CaseStatus
    tlp: TLP
    created_at: datetime | None


class CaseOut(CaseSummaryOut):
    description: str
    categories: list[str]
    products: list[str]
    cves: list[str]
    started_at: datetime | None
    noticed_at: datetime | None
    timezone: str
    parties: list[PartyOut]


class CaseIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Files encrypted on the file server",
                    "purpose": "support",
                    "categories": ["ransomware"],
                    "products": ["Windows Server 2019", "VMware ESXi 7.0"],
                    "tlp": "amber",
                }
            ]
        }
    )

    title: str = Field(min_length=1, max_length=300)
    kind: CaseKind = CaseKind.CONSULTATION
    purpose: Purpose = Purpose.SUPPORT
    description: str = Field(default="", max_length=100_000)
    tlp: TLP = TLP.AMBER
    categories: list[str] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list)
    cves: list[str] = Field(default_factory=list)
    started_at: datetime | None = None
    noticed_at: datetime | None = None
    timezone: str = "Asia/Tokyo"
    reporting_org_id: RowId | None = Field(
        default=None, description="defaults to your own organisation"
    )


class MessageIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"body": "Logs are attached.", "internal": False}]}
    )

    body: str = Field(min_length=1, max_length=100_000)
    internal: bool = Field(default=False, description="desk only: an internal note")
    shared_with: list[RowId] = Field(
        default_factory=list, description="desk only: organisation ids the message is shared with"
    )


class MessageOut(BaseModel):
    id: int
    body: str
    internal: bool
    author: str | None = Field(description="null when the author belongs to another party")
    from_desk: bool
    created_at: datetime | None


class ErrorOut(BaseModel):
    detail: str
    code: str


class ReportIn(BaseModel):
    """Everything the report form accepts (attachments go to the evidence endpoints)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "VMs on our ESXi hosts were encrypted",
                    "reporter_kind": "security_vendor",
                    "on_behalf": True,
                    "victim_name": "Example Manufacturing Co., Ltd.",
                    "hide_victim": True,
                    "purpose": "support",
                    "categories": ["ransomware"],
                    "products": ["VMware ESXi 7.0"],
                    "noticed_at": "2026-11-20T08:30:00+09:00",
                    "actions_taken": "Hosts isolated from the network.",
                    "tlp": "amber",
                }
            ]
        }
    )

    title: str = Field(min_length=1, max_length=300)
    reporter_kind: ReporterKind = ReporterKind.VICTIM
    on_behalf: bool = False
    victim_name: str = Field(default="", max_length=300)
    hide_victim: bool = False
    kind: CaseKind = CaseKind.CONSULTATION
    purpose: Purpose = Purpose.SUPPORT
    categories: list[Category] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list)
    cves: list[str] = Field(default_factory=list)
    started_at: datetime | None = None
    noticed_at: datetime | None = None
    timezone: str = "Asia/Tokyo"
    actions_taken: str = Field(default="", max_length=100_000)
    description: str = Field(default="", max_length=100_000)
    tlp: TLP = TLP.AMBER


class ReportOut(BaseModel):
    case: CaseOut
    out_of_scope: list[str] = Field(description="ids of requests the desk does not handle")


class EvidenceOut(BaseModel):
    id: int
    case_id: int
    parent_id: int | None
    filename: str
    path: str
    sha256: str
    size: int
    kind: str
    status: str
    problem: str
    is_malware: bool
    tlp: TLP
    uploaded_at: datetime | None


class UploadOut(BaseModel):
    evidence: EvidenceOut
    children: list[EvidenceOut]
    problems: list[str]


class HearingIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"answers": {"ransomware.backups_intact": "no"}}]}
    )

    answers: dict[str, Any]


class HearingOut(BaseModel):
    questionnaires: list[str]
    answers: dict[str, Any]
    open_to_reporter: bool


class PlanItemOut(BaseModel):
    item_id: str
    title: str
    status: SupportStatus
    reasons: list[str]
    out_of_scope: bool
    note: str


class PlanItemIn(BaseModel):
    item_id: str
    note: str = ""


class PlanStatusIn(BaseModel):
    status: SupportStatus
    note: str | None = None


class StatusIn(BaseModel):
    status: CaseStatus


class AssignIn(BaseModel):
    assignee_id: RowId | None


class UrgencyIn(BaseModel):
    urgency: Urgency


class OtherCaseIn(BaseModel):
    other_case_id: RowId
