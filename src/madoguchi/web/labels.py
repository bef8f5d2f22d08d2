"""Display labels for enum values (English msgids; translated in templates with ``_``)."""

from __future__ import annotations

from enum import StrEnum

from madoguchi.domain.case import (
    CaseKind,
    CaseStatus,
    Category,
    PartyRole,
    Purpose,
    ReporterKind,
    Urgency,
)
from madoguchi.domain.organisation import OrgKind, Role
from madoguchi.domain.support import SupportStatus
from madoguchi.i18n.catalogue import N_

LABELS: dict[StrEnum, str] = {
    CaseStatus.NEW: N_("New"),
    CaseStatus.HEARING: N_("Hearing"),
    CaseStatus.ANALYSING: N_("Analysing"),
    CaseStatus.ADVISING: N_("Advising"),
    CaseStatus.CLOSED: N_("Closed"),
    CaseStatus.DECLINED: N_("Declined"),
    CaseStatus.MERGED: N_("Merged"),
    CaseKind.CONSULTATION: N_("Consultation"),
    CaseKind.INFORMATION: N_("Information provision"),
    Purpose.INFORMATION_ONLY: N_("Information only"),
    Purpose.QUESTION: N_("Question"),
    Purpose.SUPPORT: N_("Request for support"),
    Purpose.CONTACT_THIRD_PARTY: N_("Request to contact a third party"),
    Category.RANSOMWARE: N_("Ransomware"),
    Category.TARGETED_ATTACK: N_("Targeted attack"),
    Category.DEVICE_VULNERABILITY: N_("Exploitation of a device vulnerability"),
    Category.CLOUD_COMPROMISE: N_("Cloud account or storage compromise"),
    Category.MALWARE: N_("Malware infection"),
    Category.DATA_LEAK: N_("Data leak"),
    Category.OTHER: N_("Other"),
    PartyRole.REPORTER: N_("Reporting organisation"),
    PartyRole.VICTIM: N_("Victim organisation"),
    PartyRole.VENDOR: N_("Invited vendor"),
    OrgKind.DESK: N_("Desk"),
    OrgKind.VICTIM: N_("Victim organisation"),
    OrgKind.SECURITY_VENDOR: N_("Security vendor"),
    OrgKind.SYSTEM_OPERATOR: N_("System operator / MSP"),
    OrgKind.CLOUD_PROVIDER: N_("Cloud provider"),
    OrgKind.OTHER: N_("Other"),
    Role.DESK_ADMIN: N_("Desk administrator"),
    Role.DESK_HANDLER: N_("Desk handler"),
    Role.ORG_ADMIN: N_("Organisation administrator"),
    Role.REPORTER: N_("Reporter"),
    ReporterKind.VICTIM: N_("The victim organisation itself"),
    ReporterKind.SECURITY_VENDOR: N_("A security vendor"),
    ReporterKind.SYSTEM_OPERATOR: N_("A system operator / MSP"),
    ReporterKind.CLOUD_PROVIDER: N_("A cloud provider"),
    ReporterKind.OTHER: N_("Someone else"),
    Urgency.LOW: N_("Low"),
    Urgency.NORMAL: N_("Normal"),
    Urgency.HIGH: N_("High"),
    Urgency.CRITICAL: N_("Critical"),
    SupportStatus.PROPOSED: N_("Proposed"),
    SupportStatus.PLANNED: N_("Planned"),
    SupportStatus.IN_PROGRESS: N_("In progress"),
    SupportStatus.DONE: N_("Done"),
    SupportStatus.DECLINED: N_("Not provided"),
}


def label(value: object) -> str:
    """The English label of an enum value (or a category string), for ``_()``."""
    if isinstance(value, StrEnum):
        return LABELS.get(value, value.value)
    if isinstance(value, str):
        try:
            return LABELS.get(Category(value), value)
        except ValueError:
            return value
    return str(value)
