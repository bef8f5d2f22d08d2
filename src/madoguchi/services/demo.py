"""Demo data for ``madoguchi serve --demo``: a desk, three organisations, two cases.

The passwords are fixed and printed: this is for trying the desk on a laptop, never
for a real deployment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from madoguchi.domain.case import CaseKind, CaseStatus, Category, Purpose, ReporterKind, Urgency
from madoguchi.domain.organisation import Actor, OrgKind, Role
from madoguchi.domain.tlp import TLP
from madoguchi.ports import UnitOfWork
from madoguchi.services import accounts, cases, messages

DESK = "窓口 (demo desk)"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: Role
    organisation: str


ACCOUNTS = (
    DemoAccount("admin@desk.example", "demo-desk-admin", Role.DESK_ADMIN, DESK),
    DemoAccount("handler@desk.example", "demo-desk-handler", Role.DESK_HANDLER, DESK),
    DemoAccount(
        "reporter@victim.example", "demo-victim-reporter", Role.REPORTER, "株式会社サンプル製作所"
    ),
    DemoAccount(
        "analyst@vendor.example", "demo-vendor-analyst", Role.REPORTER, "セキュアテック株式会社"
    ),
    DemoAccount("soc@cloud.example", "demo-cloud-soc", Role.ORG_ADMIN, "Example Cloud K.K."),
)

_ORGS = (
    (DESK, OrgKind.DESK, "Demo desk", ""),
    ("株式会社サンプル製作所", OrgKind.VICTIM, "Sample Manufacturing Co., Ltd.", "manufacturing"),
    ("セキュアテック株式会社", OrgKind.SECURITY_VENDOR, "SecureTech K.K.", "it"),
    ("Example Cloud K.K.", OrgKind.CLOUD_PROVIDER, "Example Cloud K.K.", "it"),
)

_NAMES = {
    "admin@desk.example": "デスク管理者 (Desk admin)",
    "handler@desk.example": "山田 花子 (Hanako Yamada)",
    "reporter@victim.example": "佐藤 一郎 (Ichiro Sato)",
    "analyst@vendor.example": "鈴木 健 (Ken Suzuki)",
    "soc@cloud.example": "Cloud SOC",
}


def seed_demo(uow: UnitOfWork) -> bool:
    """Create the demo data once; returns False when it exists already."""
    if uow.organisations.by_name(DESK) is not None:
        return False
    orgs = {
        name: accounts.create_organisation(uow, None, name, kind, name_en=en, sector=sector)
        for name, kind, en, sector in _ORGS
    }
    users = {}
    for account in ACCOUNTS:
        user = accounts.create_user(
            uow,
            None,
            account.email,
            _NAMES[account.email],
            account.password,
            orgs[account.organisation],
            account.role,
        )
        users[account.email] = accounts.actor_for(uow, user)
    victim = orgs["株式会社サンプル製作所"]
    vendor = orgs["セキュアテック株式会社"]
    cloud = orgs["Example Cloud K.K."]
    now = datetime.now(UTC)
    vendor_actor: Actor = users["analyst@vendor.example"]
    ransomware = cases.open_case(
        uow,
        vendor_actor,
        cases.NewCase(
            title="ファイルサーバと仮想基盤の暗号化 / Encrypted file server and ESXi hosts",
            purpose=Purpose.SUPPORT,
            description=(
                "On behalf of our customer: VMs on two ESXi hosts and the Windows file server "
                "were encrypted overnight. A ransom note was left on every datastore."
            ),
            tlp=TLP.AMBER,
            categories=(Category.RANSOMWARE.value,),
            products=("VMware ESXi 7.0", "Windows Server 2019", "FortiOS 7.0"),
            started_at=now - timedelta(days=3),
            noticed_at=now - timedelta(days=2),
            reporting_org_id=vendor.id,
            victim_org_id=victim.id,
            hide_victim=True,
        ),
    )
    ransomware.status = CaseStatus.HEARING
    ransomware.reporter_kind = ReporterKind.SECURITY_VENDOR
    ransomware.on_behalf = True
    ransomware.urgency = Urgency.HIGH
    assert ransomware.id is not None
    handler = users["handler@desk.example"]
    messages.post_message(
        uow,
        handler,
        ransomware.id,
        "Thank you for the report. Please send the ransom note and the ESXi logs "
        "(hostd.log, shell.log, auth.log) if they are still on the hosts.",
        shared_with=[vendor.id] if vendor.id is not None else [],
    )
    messages.post_message(
        uow,
        handler,
        ransomware.id,
        "Victim confirmed by phone; keep its name hidden.",
        internal=True,
    )
    cloud_case = cases.open_case(
        uow,
        users["soc@cloud.example"],
        cases.NewCase(
            title="GlobalProtect exploitation attempts from shared infrastructure",
            kind=CaseKind.INFORMATION,
            purpose=Purpose.INFORMATION_ONLY,
            description="We saw CVE-2024-3400 exploitation attempts against tenants.",
            tlp=TLP.GREEN,
            categories=(Category.DEVICE_VULNERABILITY.value,),
            products=("PAN-OS 10.2 GlobalProtect",),
            cves=("CVE-2024-3400",),
            reporting_org_id=cloud.id,
        ),
    )
    assert cloud_case.id is not None
    cloud_case.reporter_kind = ReporterKind.CLOUD_PROVIDER
    uow.commit()
    return True
