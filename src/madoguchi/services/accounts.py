"""Organisations, users, passwords, second factors and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from madoguchi.domain.errors import AuthenticationError, ConflictError, ValidationError
from madoguchi.domain.organisation import (
    Actor,
    ApiToken,
    Membership,
    Organisation,
    OrgKind,
    Role,
    User,
)
from madoguchi.i18n.catalogue import N_
from madoguchi.ports import UnitOfWork
from madoguchi.services import audit

_hasher = PasswordHasher()
MIN_PASSWORD = 12
LOCKOUT_AFTER = 5
LOCKOUT_FOR = timedelta(minutes=15)
TOKEN_PREFIX = "mdg_"  # noqa: S105 (a prefix, not a secret)
_DUMMY_HASH = _hasher.hash("madoguchi-timing-equaliser")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(N_("passwords need at least 12 characters"), where="password")
    return _hasher.hash(password)


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def create_organisation(
    uow: UnitOfWork,
    actor: Actor | None,
    name: str,
    kind: OrgKind,
    *,
    name_en: str = "",
    sector: str = "",
    verified: bool = True,
    require_totp: bool = False,
    domains: list[str] | None = None,
) -> Organisation:
    name = name.strip()
    if not name:
        raise ValidationError(N_("an organisation needs a name"), where="name")
    if uow.organisations.by_name(name) is not None:
        raise ConflictError(N_("an organisation with this name exists already"), where="name")
    org = uow.organisations.add(
        Organisation(
            name=name,
            kind=kind,
            name_en=name_en,
            sector=sector,
            verified=verified,
            require_totp=require_totp,
            domains=list(domains or []),
            created_at=datetime.now(UTC),
        )
    )
    audit.record(
        uow,
        actor,
        "organisation:create",
        "organisation",
        org.id,
        name=name,
        kind=kind.value,
        organisation_id=org.id,
    )
    return org


def create_user(
    uow: UnitOfWork,
    actor: Actor | None,
    email: str,
    display_name: str,
    password: str,
    organisation: Organisation,
    role: Role,
    *,
    language: str = "",
) -> User:
    email = email.strip().lower()
    # No spaces or control characters: an address goes into mail headers.
    if "@" not in email or any(ch.isspace() or not ch.isprintable() for ch in email):
        raise ValidationError(N_("that is not an e-mail address"), where="email")
    if role.is_desk and not organisation.is_desk:
        raise ValidationError(N_("desk roles belong to the desk organisation"), where="role")
    if not role.is_desk and organisation.is_desk:
        raise ValidationError(N_("members of the desk are desk admins or handlers"), where="role")
    if uow.users.by_email(email) is not None:
        raise ConflictError(N_("a user with this e-mail exists already"), where="email")
    user = uow.users.add(
        User(
            email=email,
            display_name=display_name.strip() or email,
            password_hash=hash_password(password),
            language=language,
            created_at=datetime.now(UTC),
        )
    )
    assert user.id is not None and organisation.id is not None
    uow.users.add_membership(Membership(user.id, organisation.id, role))
    audit.record(
        uow,
        actor,
        "user:create",
        "user",
        user.id,
        email=email,
        role=role.value,
        organisation_id=organisation.id,
    )
    return user


def actor_for(uow: UnitOfWork, user: User) -> Actor:
    assert user.id is not None
    memberships = tuple((m.organisation_id, m.role) for m in uow.users.memberships_of(user.id))
    return Actor(user.id, user.display_name, memberships, user.language)


@dataclass(frozen=True)
class LoginResult:
    user: User
    needs_totp: bool
    must_enrol_totp: bool


def authenticate(
    uow: UnitOfWork, email: str, password: str, *, ip: str | None = None
) -> LoginResult:
    """Check a password; lock the account for a while after repeated failures.

    Raises ``AuthenticationError`` with one message for every failure so that the
    existence of an account cannot be probed.
    """
    now = datetime.now(UTC)
    user = uow.users.by_email(email)
    failure = AuthenticationError(N_("wrong e-mail address or password"))
    if user is None or not user.is_active:
        _verify_quietly(_DUMMY_HASH, password)
        audit.record(uow, None, "user:login-failed", "user", email.strip().lower()[:64], ip=ip)
        uow.commit()
        raise failure
    if user.locked_until is not None and user.locked_until > now:
        audit.record(uow, None, "user:login-locked", "user", user.id, ip=ip)
        uow.commit()
        raise AuthenticationError(N_("too many failed attempts; try again later"))
    if not _verify_quietly(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= LOCKOUT_AFTER:
            user.locked_until = now + LOCKOUT_FOR
            user.failed_logins = 0
        audit.record(uow, None, "user:login-failed", "user", user.id, ip=ip)
        uow.commit()
        raise failure
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    must_enrol = not user.has_totp and _totp_required(uow, user)
    return LoginResult(user, needs_totp=user.has_totp, must_enrol_totp=must_enrol)


def complete_login(uow: UnitOfWork, user: User, *, ip: str | None = None) -> Actor:
    user.last_login_at = datetime.now(UTC)
    actor = actor_for(uow, user)
    audit.record(uow, actor, "user:login", "user", user.id, ip=ip)
    uow.commit()
    return actor


def _verify_quietly(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _totp_required(uow: UnitOfWork, user: User) -> bool:
    assert user.id is not None
    for membership in uow.users.memberships_of(user.id):
        org = uow.organisations.get(membership.organisation_id)
        if org is not None and org.require_totp:
            return True
    return False


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str, issuer: str = "madoguchi") -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def verify_totp(secret: str, code: str) -> bool:
    code = code.strip().replace(" ", "")
    return code.isdigit() and pyotp.TOTP(secret).verify(code, valid_window=1)


def enable_totp(uow: UnitOfWork, actor: Actor, user: User, secret: str, code: str) -> None:
    if not verify_totp(secret, code):
        raise AuthenticationError(N_("the code does not match; check the clock of your device"))
    user.totp_secret = secret
    audit.record(uow, actor, "user:totp-enabled", "user", user.id)


def check_second_factor(uow: UnitOfWork, user: User, code: str, *, ip: str | None = None) -> None:
    if not user.totp_secret or not verify_totp(user.totp_secret, code):
        audit.record(uow, None, "user:totp-failed", "user", user.id, ip=ip)
        uow.commit()
        raise AuthenticationError(N_("the code does not match"))


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(uow: UnitOfWork, actor: Actor, user: User, name: str) -> tuple[ApiToken, str]:
    """A new personal API token. The secret is returned once and only its hash is kept."""
    assert user.id is not None
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = uow.tokens.add(
        ApiToken(
            user_id=user.id,
            name=name.strip() or "token",
            token_hash=_token_hash(secret),
            prefix=secret[: len(TOKEN_PREFIX) + 6],
            created_at=datetime.now(UTC),
        )
    )
    audit.record(uow, actor, "token:create", "api_token", token.id, name=token.name)
    return token, secret


def authenticate_token(uow: UnitOfWork, secret: str) -> Actor:
    token = uow.tokens.by_hash(_token_hash(secret.strip()))
    if token is None or token.revoked:
        raise AuthenticationError(N_("invalid API token"))
    user = uow.users.get(token.user_id)
    if user is None or not user.is_active:
        raise AuthenticationError(N_("invalid API token"))
    token.last_used_at = datetime.now(UTC)
    return actor_for(uow, user)


def change_password(uow: UnitOfWork, actor: Actor, user: User, current: str, new: str) -> None:
    if not _verify_quietly(user.password_hash, current):
        raise AuthenticationError(N_("the current password is wrong"))
    if new == current:
        raise ValidationError(N_("choose a different password"), where="new_password")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    audit.record(uow, actor, "user:password-changed", "user", user.id)


def set_initial_password(uow: UnitOfWork, actor: Actor, user: User, new: str) -> None:
    """A newcomer who signed in with a one-time link chooses a password."""
    if not user.must_change_password:
        raise ValidationError(N_("enter your current password"), where="current_password")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    audit.record(uow, actor, "user:password-set", "user", user.id)


def set_language(uow: UnitOfWork, actor: Actor, language: str) -> None:
    if actor.user_id is None:
        return
    user = uow.users.get(actor.user_id)
    if user is not None:
        user.language = language
        audit.record(uow, actor, "user:language", "user", user.id, language=language)


@dataclass(frozen=True)
class FirstAdmin:
    email: str
    password: str


def ensure_first_admin(uow: UnitOfWork, *, desk_name: str = "窓口 (desk)") -> FirstAdmin | None:
    """With an empty database, create the desk and a desk admin with a one-time password."""
    if uow.users.count() > 0:
        return None
    desk = uow.organisations.by_name(desk_name) or create_organisation(
        uow, None, desk_name, OrgKind.DESK, name_en="Desk"
    )
    password = generate_password()
    admin = create_user(
        uow, None, "admin@desk.invalid", "Desk administrator", password, desk, Role.DESK_ADMIN
    )
    admin.must_change_password = True
    uow.commit()
    return FirstAdmin("admin@desk.invalid", password)
