from __future__ import annotations

import hashlib

import pyotp
import pytest
from tests.world import PASSWORD, build_world

from madoguchi.bootstrap import Desk
from madoguchi.domain.errors import AuthenticationError, ConflictError, ValidationError
from madoguchi.domain.organisation import OrgKind, Role
from madoguchi.services import accounts


def test_password_login_and_lockout_after_repeated_failures(desk: Desk) -> None:
    world = build_world(desk)
    email = world.people["party_reporter"].email
    with desk.uow_factory() as uow:
        result = accounts.authenticate(uow, email.upper(), PASSWORD)
        assert result.user.email == email and not result.needs_totp
    for _ in range(accounts.LOCKOUT_AFTER):
        with desk.uow_factory() as uow, pytest.raises(AuthenticationError):
            accounts.authenticate(uow, email, "wrong password!!")
    with desk.uow_factory() as uow, pytest.raises(AuthenticationError, match="too many"):
        accounts.authenticate(uow, email, PASSWORD)
    with desk.uow_factory() as uow:
        actions = [event.action for event in uow.audit.recent()]
    assert actions.count("user:login-failed") == accounts.LOCKOUT_AFTER
    assert "user:login-locked" in actions


def test_unknown_email_and_wrong_password_say_the_same(desk: Desk) -> None:
    world = build_world(desk)
    messages = []
    for email in ("nobody@example.org", world.people["party_reporter"].email):
        with desk.uow_factory() as uow, pytest.raises(AuthenticationError) as info:
            accounts.authenticate(uow, email, "not the password")
        messages.append(info.value.message)
    assert messages[0] == messages[1]


def test_passwords_are_stored_as_argon2_hashes(desk: Desk) -> None:
    world = build_world(desk)
    with desk.uow_factory() as uow:
        user = uow.users.by_email(world.people["desk_admin"].email)
        assert user is not None
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def test_short_password_and_duplicate_email_are_refused(desk: Desk) -> None:
    with desk.uow_factory() as uow:
        org = accounts.create_organisation(uow, None, "Org", OrgKind.VICTIM)
        with pytest.raises(ValidationError):
            accounts.create_user(uow, None, "a@example.org", "A", "short", org, Role.REPORTER)
        accounts.create_user(uow, None, "a@example.org", "A", PASSWORD, org, Role.REPORTER)
        with pytest.raises(ConflictError):
            accounts.create_user(uow, None, "A@example.org", "A", PASSWORD, org, Role.REPORTER)
        with pytest.raises(ValidationError):
            accounts.create_user(uow, None, "b@example.org", "B", PASSWORD, org, Role.DESK_ADMIN)


def test_totp_is_required_after_the_password_once_enabled(desk: Desk) -> None:
    world = build_world(desk)
    email = world.people["party_reporter"].email
    secret = accounts.new_totp_secret()
    with desk.uow_factory() as uow:
        user = uow.users.by_email(email)
        assert user is not None
        actor = accounts.actor_for(uow, user)
        with pytest.raises(AuthenticationError):
            accounts.enable_totp(uow, actor, user, secret, "000000")
        accounts.enable_totp(uow, actor, user, secret, pyotp.TOTP(secret).now())
        uow.commit()
    with desk.uow_factory() as uow:
        result = accounts.authenticate(uow, email, PASSWORD)
        assert result.needs_totp
        with pytest.raises(AuthenticationError):
            accounts.check_second_factor(uow, result.user, "123456")
        accounts.check_second_factor(uow, result.user, pyotp.TOTP(secret).now())


def test_organisation_can_enforce_a_second_factor(desk: Desk) -> None:
    with desk.uow_factory() as uow:
        org = accounts.create_organisation(uow, None, "Strict", OrgKind.VICTIM, require_totp=True)
        accounts.create_user(uow, None, "s@example.org", "S", PASSWORD, org, Role.REPORTER)
        uow.commit()
    with desk.uow_factory() as uow:
        result = accounts.authenticate(uow, "s@example.org", PASSWORD)
        assert result.must_enrol_totp


def test_api_tokens_are_stored_hashed_and_shown_once(desk: Desk) -> None:
    world = build_world(desk)
    secret = world.people["party_reporter"].token
    assert secret.startswith("mdg_")
    with desk.uow_factory() as uow:
        stored = uow.tokens.by_hash(hashlib.sha256(secret.encode()).hexdigest())
        assert stored is not None and secret not in (stored.token_hash, stored.prefix)
        actor = accounts.authenticate_token(uow, secret)
        assert actor.user_id == world.people["party_reporter"].user_id
        with pytest.raises(AuthenticationError):
            accounts.authenticate_token(uow, secret + "x")


def test_first_start_creates_one_desk_admin_with_a_one_time_password(desk: Desk) -> None:
    with desk.uow_factory() as uow:
        first = accounts.ensure_first_admin(uow)
    assert first is not None
    with desk.uow_factory() as uow:
        assert accounts.ensure_first_admin(uow) is None
        result = accounts.authenticate(uow, first.email, first.password)
        assert result.user.must_change_password
        actor = accounts.actor_for(uow, result.user)
        assert actor.is_desk_admin
