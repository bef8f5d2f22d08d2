"""Intake: a reporter (signed in, or a first-time reporter without an account) brings
an incident to the desk.

On submit: a case with a reference number, its parties, the standard replies for
requests the desk does not handle, an audit event, a confirmation mail to the reporter
and a notice to the desk handlers (both as jobs).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from madoguchi.domain.case import (
    Case,
    CaseKind,
    CaseParty,
    Category,
    PartyRole,
    Purpose,
    ReporterKind,
    Urgency,
)
from madoguchi.domain.errors import ConflictError, NotFoundError, ValidationError
from madoguchi.domain.organisation import Actor, OrgKind, Role, User
from madoguchi.domain.support import LoginLink
from madoguchi.domain.tlp import TLP
from madoguchi.i18n.catalogue import N_
from madoguchi.knowledge.support import OutOfScopeMatch, detect_out_of_scope
from madoguchi.ports import UnitOfWork
from madoguchi.services import accounts, audit, cases, support_plan

CVE_PATTERN = r"^CVE-\d{4}-\d{4,}$"
LOGIN_LINK_LIFETIME = timedelta(days=7)
ALLOW_ANONYMOUS = "allow_anonymous_reports"

_ORG_KIND = {
    ReporterKind.VICTIM: OrgKind.VICTIM,
    ReporterKind.SECURITY_VENDOR: OrgKind.SECURITY_VENDOR,
    ReporterKind.SYSTEM_OPERATOR: OrgKind.SYSTEM_OPERATOR,
    ReporterKind.CLOUD_PROVIDER: OrgKind.CLOUD_PROVIDER,
    ReporterKind.OTHER: OrgKind.OTHER,
}


@dataclass(frozen=True)
class Report:
    """Everything the intake form and the API accept."""

    title: str
    reporter_kind: ReporterKind = ReporterKind.VICTIM
    on_behalf: bool = False
    victim_name: str = ""
    hide_victim: bool = False
    kind: CaseKind = CaseKind.CONSULTATION
    purpose: Purpose = Purpose.SUPPORT
    categories: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    cves: tuple[str, ...] = ()
    started_at: datetime | None = None
    noticed_at: datetime | None = None
    timezone: str = "Asia/Tokyo"
    actions_taken: str = ""
    description: str = ""
    tlp: TLP = TLP.AMBER
    reporting_org_id: int | None = None


@dataclass(frozen=True)
class Newcomer:
    """A first-time reporter without an account."""

    organisation: str
    contact_name: str
    email: str
    language: str = "ja"


@dataclass
class Submission:
    case: Case
    out_of_scope: list[OutOfScopeMatch] = field(default_factory=list)
    login_token: str | None = None
    user: User | None = None


def validate(report: Report) -> None:
    if not report.title.strip():
        raise ValidationError(N_("a case needs a title"), where="title")
    for category in report.categories:
        if category not in {c.value for c in Category}:
            raise ValidationError(N_("unknown incident category"), where="categories")
    for cve in report.cves:
        if not re.match(CVE_PATTERN, cve.strip().upper()):
            raise ValidationError(N_("a CVE looks like CVE-2024-3400"), where="cves")
    if report.on_behalf and not report.victim_name.strip():
        raise ValidationError(N_("name the victim organisation"), where="victim_name")
    if report.started_at and report.noticed_at and report.noticed_at < report.started_at:
        raise ValidationError(
            N_("the incident cannot be noticed before it started"), where="noticed_at"
        )


def initial_urgency(report: Report) -> Urgency:
    """A first guess the desk can change: active ransomware and exploitation rank high."""
    categories = set(report.categories)
    if report.purpose is Purpose.SUPPORT and categories & {
        Category.RANSOMWARE.value,
        Category.DEVICE_VULNERABILITY.value,
        Category.CLOUD_COMPROMISE.value,
    }:
        return Urgency.HIGH
    if report.purpose is Purpose.INFORMATION_ONLY:
        return Urgency.LOW
    return Urgency.NORMAL


def submit(uow: UnitOfWork, actor: Actor, report: Report, *, ip: str | None = None) -> Submission:
    """A signed-in reporter (or the desk, recording a phone call) opens a case."""
    validate(report)
    new = cases.NewCase(
        title=report.title,
        kind=report.kind,
        purpose=report.purpose,
        description=report.description,
        tlp=report.tlp,
        categories=tuple(dict.fromkeys(report.categories)),
        products=tuple(p.strip() for p in report.products if p.strip()),
        cves=tuple(dict.fromkeys(c.strip().upper() for c in report.cves if c.strip())),
        started_at=report.started_at,
        noticed_at=report.noticed_at,
        timezone=report.timezone,
        reporting_org_id=report.reporting_org_id,
    )
    case = cases.open_case(uow, actor, new, ip=ip)
    case.reporter_kind = report.reporter_kind
    case.on_behalf = report.on_behalf
    case.actions_taken = report.actions_taken.strip()
    case.urgency = initial_urgency(report)
    reporter = next(p for p in case.parties if p.role is PartyRole.REPORTER)
    if report.on_behalf:
        case.victim_name = report.victim_name.strip()
        case.hide_victim = report.hide_victim
    elif report.reporter_kind is ReporterKind.VICTIM:
        case.parties.append(
            CaseParty(reporter.organisation_id, PartyRole.VICTIM, hide_identity=report.hide_victim)
        )
    uow.flush()
    matches = detect_out_of_scope(report.purpose, [report.title, report.description])
    support_plan.record_out_of_scope(uow, actor, case, matches)
    audit.record(
        uow,
        actor,
        "case:submitted",
        "case",
        case.id,
        case_id=case.id,
        ip=ip,
        out_of_scope=[m.item_id for m in matches],
    )
    return Submission(case, matches)


def submit_as_newcomer(
    uow: UnitOfWork, newcomer: Newcomer, report: Report, *, ip: str | None = None
) -> Submission:
    """A first-time reporter: an unverified organisation and an account are created, and
    a one-time link lets them follow the case."""
    if not uow.desk_settings.get(ALLOW_ANONYMOUS, False):
        raise NotFoundError(N_("reporting without an account is not enabled"))
    validate(report)
    email = newcomer.email.strip().lower()
    if "@" not in email or not newcomer.organisation.strip():
        raise ValidationError(
            N_("give your organisation and a valid e-mail address"), where="email"
        )
    if uow.users.by_email(email) is not None:
        raise ConflictError(
            N_("an account exists for this address; please sign in to report"), where="email"
        )
    name = newcomer.organisation.strip()
    candidate, n = name, 1
    while uow.organisations.by_name(candidate) is not None:
        n += 1
        candidate = f"{name} ({n})"
    org = accounts.create_organisation(
        uow, None, candidate, _ORG_KIND[report.reporter_kind], verified=False
    )
    user = accounts.create_user(
        uow,
        None,
        email,
        newcomer.contact_name or email,
        accounts.generate_password(),
        org,
        Role.REPORTER,
        language=newcomer.language,
    )
    user.must_change_password = True
    actor = accounts.actor_for(uow, user)
    submission = submit(uow, actor, report, ip=ip)
    token = secrets.token_urlsafe(32)
    assert user.id is not None
    uow.login_links.add(
        LoginLink(
            user_id=user.id,
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            expires_at=datetime.now(UTC) + LOGIN_LINK_LIFETIME,
        )
    )
    submission.login_token = token
    submission.user = user
    return submission


def redeem_login_link(uow: UnitOfWork, token: str, *, ip: str | None = None) -> User:
    """Sign in with a one-time link; it cannot be used twice or after it expired."""
    link = uow.login_links.by_hash(hashlib.sha256(token.encode()).hexdigest())
    now = datetime.now(UTC)
    if link is None or link.used_at is not None or link.expires_at < now:
        raise NotFoundError(N_("this link is not valid any more"))
    link.used_at = now
    user = uow.users.get(link.user_id)
    if user is None or not user.is_active:
        raise NotFoundError(N_("this link is not valid any more"))
    audit.record(uow, None, "user:login-link", "user", user.id, ip=ip)
    return user
