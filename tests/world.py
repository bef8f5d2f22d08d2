"""A small world of organisations, people and cases that most tests share.

The victim of ``case_a`` hides its identity; ``case_b`` belongs to another organisation.
Each role the authorization tests check has a person with a password and an API token.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from madoguchi.bootstrap import Desk
from madoguchi.domain.case import Category, Purpose
from madoguchi.domain.organisation import OrgKind, Role
from madoguchi.ports import StoredBlob
from madoguchi.services import accounts, cases, evidence, messages

PASSWORD = "correct horse battery staple"
VICTIM_NAME = "株式会社ひみつ電機"
VENDOR_NAME = "Vendor Security K.K."
OTHER_NAME = "Other Org Ltd."


@dataclass
class Person:
    email: str
    role: str
    token: str = ""
    user_id: int = 0


@dataclass
class World:
    people: dict[str, Person] = field(default_factory=dict)
    case_a: int = 0
    case_b: int = 0
    evidence_a: int = 0
    evidence_b: int = 0
    victim_org: int = 0
    vendor_org: int = 0
    other_org: int = 0
    internal_note: str = "INTERNAL-NOTE-only-for-the-desk"
    shared_message: str = "SHARED-with-the-vendor"
    other_case_title: str = "Other organisation's own incident"


ROLES = {
    "desk_admin": ("desk", Role.DESK_ADMIN),
    "desk_handler": ("desk", Role.DESK_HANDLER),
    "party_org_admin": ("vendor", Role.ORG_ADMIN),
    "party_reporter": ("vendor", Role.REPORTER),
    "victim_reporter": ("victim", Role.REPORTER),
    "other_reporter": ("other", Role.REPORTER),
}


def build_world(desk: Desk) -> World:
    world = World()
    with desk.uow_factory() as uow:
        orgs = {
            "desk": accounts.create_organisation(uow, None, "Test desk", OrgKind.DESK),
            "victim": accounts.create_organisation(uow, None, VICTIM_NAME, OrgKind.VICTIM),
            "vendor": accounts.create_organisation(uow, None, VENDOR_NAME, OrgKind.SECURITY_VENDOR),
            "other": accounts.create_organisation(uow, None, OTHER_NAME, OrgKind.VICTIM),
        }
        actors = {}
        for key, (org_key, role) in ROLES.items():
            user = accounts.create_user(
                uow,
                None,
                f"{key}@example.org",
                key.replace("_", " "),
                PASSWORD,
                orgs[org_key],
                role,
            )
            actor = accounts.actor_for(uow, user)
            _, secret = accounts.create_token(uow, actor, user, "tests")
            assert user.id is not None
            world.people[key] = Person(user.email, key, secret, user.id)
            actors[key] = actor
        world.victim_org = orgs["victim"].id or 0
        world.vendor_org = orgs["vendor"].id or 0
        world.other_org = orgs["other"].id or 0
        case_a = cases.open_case(
            uow,
            actors["party_reporter"],
            cases.NewCase(
                title="Encrypted servers at a customer",
                purpose=Purpose.SUPPORT,
                categories=(Category.RANSOMWARE.value,),
                victim_org_id=world.victim_org,
                hide_victim=True,
            ),
        )
        case_b = cases.open_case(
            uow,
            actors["other_reporter"],
            cases.NewCase(title=world.other_case_title, categories=(Category.OTHER.value,)),
        )
        assert case_a.id is not None and case_b.id is not None
        world.case_a, world.case_b = case_a.id, case_b.id
        messages.post_message(
            uow, actors["desk_handler"], case_a.id, world.internal_note, internal=True
        )
        messages.post_message(
            uow,
            actors["desk_handler"],
            case_a.id,
            world.shared_message,
            shared_with=[world.vendor_org],
        )
        world.evidence_a = _upload(desk, uow, actors["party_reporter"], case_a.id, "a.log")
        world.evidence_b = _upload(desk, uow, actors["other_reporter"], case_b.id, "b.log")
        uow.commit()
    return world


def store_bytes(desk: Desk, data: bytes) -> StoredBlob:
    writer = desk.store.writer()
    writer.write(data)
    return writer.commit()


def _upload(desk: Desk, uow: object, actor: object, case_id: int, name: str) -> int:
    blob = store_bytes(desk, f"log line of {name}\n".encode())
    result = evidence.attach_evidence(uow, desk.store, actor, case_id, blob, name)  # type: ignore[arg-type]
    assert result.evidence.id is not None
    return result.evidence.id


def leaks_for(role: str, world: World, body: str, *, own_case_b: bool) -> list[str]:
    """What ``body`` shows that ``role`` must not see (nothing for the desk)."""
    if role in {"desk_admin", "desk_handler"}:
        return []
    leaks = []
    if VICTIM_NAME in body:
        leaks.append("hidden victim name")
    if world.internal_note in body:
        leaks.append("internal note")
    if OTHER_NAME in body and role != "other_reporter":
        leaks.append("another organisation's name")
    if VENDOR_NAME in body and role == "other_reporter":
        leaks.append("another organisation's name")
    if world.other_case_title in body and not own_case_b:
        leaks.append("another organisation's case")
    return leaks
