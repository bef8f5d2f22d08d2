"""Organisations, people, memberships and API tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class OrgKind(StrEnum):
    DESK = "desk"
    VICTIM = "victim"
    SECURITY_VENDOR = "security_vendor"
    SYSTEM_OPERATOR = "system_operator"
    CLOUD_PROVIDER = "cloud_provider"
    OTHER = "other"


class Role(StrEnum):
    """A user's role inside one organisation."""

    DESK_ADMIN = "desk_admin"
    DESK_HANDLER = "desk_handler"
    ORG_ADMIN = "org_admin"
    REPORTER = "reporter"

    @property
    def is_desk(self) -> bool:
        return self in (Role.DESK_ADMIN, Role.DESK_HANDLER)


@dataclass(eq=False)
class Organisation:
    name: str
    kind: OrgKind
    id: int | None = None
    name_en: str = ""
    sector: str = ""
    country: str = "JP"
    domains: list[str] = field(default_factory=list)
    verified: bool = True
    require_totp: bool = False
    created_at: datetime | None = None

    @property
    def is_desk(self) -> bool:
        return self.kind is OrgKind.DESK


@dataclass(eq=False)
class User:
    email: str
    display_name: str
    password_hash: str
    id: int | None = None
    language: str = ""
    totp_secret: str | None = None
    is_active: bool = True
    failed_logins: int = 0
    must_change_password: bool = False
    locked_until: datetime | None = None
    created_at: datetime | None = None
    last_login_at: datetime | None = None

    @property
    def has_totp(self) -> bool:
        return bool(self.totp_secret)


@dataclass(eq=False)
class Membership:
    user_id: int
    organisation_id: int
    role: Role
    id: int | None = None


@dataclass(eq=False)
class ApiToken:
    """A personal API token; only the SHA-256 of the secret is stored."""

    user_id: int
    name: str
    token_hash: str
    prefix: str
    id: int | None = None
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked: bool = False


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user with their memberships, or nobody.

    Services take an ``Actor`` as an argument; they never read it from a global.
    """

    user_id: int | None
    display_name: str = ""
    memberships: tuple[tuple[int, Role], ...] = ()
    language: str = ""

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(user_id=None)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_desk(self) -> bool:
        return any(role.is_desk for _, role in self.memberships)

    @property
    def is_desk_admin(self) -> bool:
        return any(role is Role.DESK_ADMIN for _, role in self.memberships)

    @property
    def organisation_ids(self) -> frozenset[int]:
        return frozenset(org_id for org_id, _ in self.memberships)

    def role_in(self, organisation_id: int) -> Role | None:
        for org_id, role in self.memberships:
            if org_id == organisation_id:
                return role
        return None
