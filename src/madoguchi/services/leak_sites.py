"""Leak-site checks: import posts, match them to cases and constituent organisations,
review the matches, and show them as claims ("claimed on <date> by <group>").

A match is never a confirmed breach. The desk reviews each (new → confirmed/rejected);
a confirmed match of a case that the desk shares with a party is shown to that party.
A reporter who may not know the hidden victim's name sees only the group and the dates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from madoguchi.domain.case import Case, CaseStatus, PartyRole, ReporterKind
from madoguchi.domain.errors import ValidationError
from madoguchi.domain.leak import LeakMatch, LeakPost, ReviewState
from madoguchi.domain.organisation import Actor, Organisation
from madoguchi.i18n.catalogue import N_, Translator
from madoguchi.intel.leak_posts import GroupProfile, ParsedPosts, dedupe
from madoguchi.intel.names import NameIndex, PostText
from madoguchi.ports import CaseQuery, Mailer, OutgoingMail, UnitOfWork, UnitOfWorkFactory
from madoguchi.services import access, audit
from madoguchi.services.cases import load_case

MATCH_NOTICE = "mail.leak_matches"
GROUPS_SETTING = "leaks.groups"


@dataclass
class ImportResult:
    read: int = 0
    new: int = 0
    updated: int = 0
    groups: int = 0
    problems: list[str] = field(default_factory=list)
    new_matches: list[int] = field(default_factory=list)


# --- importing ------------------------------------------------------------------------------


def import_posts(
    uow: UnitOfWork, actor: Actor | None, parsed: ParsedPosts, *, ip: str | None = None
) -> ImportResult:
    """Store parsed posts (and group profiles), then check everything for new matches.

    ``actor`` is ``None`` for the scheduled fetch job; a person must be the desk.
    """
    if actor is not None:
        access.require_desk(actor)
    result = ImportResult(problems=list(parsed.problems))
    now = datetime.now(UTC)
    for post in dedupe(parsed.posts):
        post.imported_at = now
        _, created = uow.leaks.add_post(post)
        result.read += 1
        if created:
            result.new += 1
        else:
            result.updated += 1
    if parsed.groups:
        _store_groups(uow, parsed.groups)
        result.groups = len(parsed.groups)
    if result.new:
        result.new_matches = check_all(uow)
    audit.record(
        uow,
        actor,
        "leaks:import",
        "leak_posts",
        "",
        ip=ip,
        read=result.read,
        new=result.new,
        groups=result.groups,
        problems=len(result.problems),
        new_matches=len(result.new_matches),
    )
    return result


def _store_groups(uow: UnitOfWork, groups: Sequence[GroupProfile]) -> None:
    stored: dict[str, Any] = dict(uow.desk_settings.get(GROUPS_SETTING, {}) or {})
    for group in groups:
        stored[group.name.lower()] = {
            "name": group.name,
            "description": group.description,
            "locations": list(group.locations),
        }
    uow.desk_settings.set(GROUPS_SETTING, stored)


def group_profile(uow: UnitOfWork, name: str) -> Mapping[str, Any] | None:
    stored = uow.desk_settings.get(GROUPS_SETTING, {}) or {}
    found = stored.get(name.lower())
    return found if isinstance(found, Mapping) else None


# --- matching -------------------------------------------------------------------------------


def _index(uow: UnitOfWork) -> NameIndex:
    posts: list[PostText] = []
    offset = 0
    while True:
        batch = uow.leaks.posts(limit=5000, offset=offset)
        posts.extend(PostText(p.id or 0, p.post_title, p.website, p.description) for p in batch)
        if len(batch) < 5000:
            break
        offset += 5000
    return NameIndex(posts)


def _org_names(org: Organisation) -> tuple[list[str], list[str]]:
    return [n for n in (org.name, org.name_en) if n], list(org.domains)


def case_names(uow: UnitOfWork, case: Case) -> tuple[list[str], list[str]]:
    """The names and domains a case's victim goes by."""
    names: list[str] = []
    domains: list[str] = []
    victims = [p for p in case.parties if p.role is PartyRole.VICTIM]
    if not victims and case.reporter_kind is ReporterKind.VICTIM:
        victims = [p for p in case.parties if p.role is PartyRole.REPORTER]
    for party in victims:
        org = uow.organisations.get(party.organisation_id)
        if org is not None:
            more_names, more_domains = _org_names(org)
            names += more_names
            domains += more_domains
    if case.victim_name:
        names.append(case.victim_name)
    return list(dict.fromkeys(names)), list(dict.fromkeys(domains))


def _record_matches(
    uow: UnitOfWork,
    index: NameIndex,
    names: Sequence[str],
    domains: Sequence[str],
    *,
    case_id: int | None = None,
    organisation_id: int | None = None,
) -> list[int]:
    created = []
    for post_id, found in index.match(names, domains).items():
        match = uow.leaks.add_match(
            LeakMatch(
                post_id=post_id,
                matched_name=found.name,
                matched_on=found.matched_on,
                score=found.score,
                case_id=case_id,
                organisation_id=organisation_id,
                note=found.reason,
            )
        )
        if match is not None and match.id is not None:
            created.append(match.id)
    return created


def check_case(uow: UnitOfWork, actor: Actor, case_id: int, *, ip: str | None = None) -> list[int]:
    """Match every stored post against the case's victim; returns the new match ids."""
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    names, domains = case_names(uow, case)
    created = (
        _record_matches(uow, _index(uow), names, domains, case_id=case.id)
        if names or domains
        else []
    )
    audit.record(
        uow, actor, "leaks:check-case", "case", case.id, case_id=case.id, ip=ip, new=len(created)
    )
    return created


def check_all(uow: UnitOfWork, actor: Actor | None = None, *, ip: str | None = None) -> list[int]:
    """Match every post against every open case's victim and every constituent
    organisation (all but the desk); returns the new match ids."""
    if actor is not None:
        access.require_desk(actor)
    index = _index(uow)
    created: list[int] = []
    if len(index) == 0:
        return created
    for org in uow.organisations.list():
        if org.is_desk or org.id is None:
            continue
        names, domains = _org_names(org)
        created += _record_matches(uow, index, names, domains, organisation_id=org.id)
    for case in uow.cases.query(_open_cases()):
        names, domains = case_names(uow, case)
        if case.id is not None and (names or domains):
            created += _record_matches(uow, index, names, domains, case_id=case.id)
    if actor is not None:
        audit.record(uow, actor, "leaks:check-all", "leak_matches", "", ip=ip, new=len(created))
    return created


def _open_cases() -> CaseQuery:
    return CaseQuery(statuses=tuple(s for s in CaseStatus if s.is_open), limit=10_000)


# --- review ---------------------------------------------------------------------------------


def review_match(
    uow: UnitOfWork,
    actor: Actor,
    match_id: int,
    state: ReviewState,
    *,
    shared_with: Iterable[int] = (),
    case_id: int | None = None,
    ip: str | None = None,
) -> LeakMatch:
    """The desk confirms or rejects a match; a case match may be shared with its parties."""
    access.require_desk(actor)
    match = uow.leaks.get_match(match_id)
    if match is None or match.case_id != case_id:
        raise ValidationError(N_("leak-site match not found"), where="match_id")
    targets = sorted(set(shared_with))
    if match.case_id is not None:
        case = load_case(uow, actor, match.case_id)
        if any(t not in case.party_org_ids() for t in targets):
            raise ValidationError(
                N_("matches can only be shared with parties of the case"), where="shared_with"
            )
    elif targets:
        raise ValidationError(N_("only a case's matches can be shared"), where="shared_with")
    match.state = state
    match.shared_with = targets if state is ReviewState.CONFIRMED else []
    match.reviewed_by = actor.user_id
    match.reviewed_at = datetime.now(UTC)
    uow.leaks.update_match(match)
    audit.record(
        uow,
        actor,
        "leaks:review",
        "leak_match",
        match.id,
        case_id=match.case_id,
        organisation_id=match.organisation_id,
        ip=ip,
        state=state.value,
        shared_with=match.shared_with,
    )
    return match


# --- views ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimView:
    """A match as the actor may see it; ``post`` details are withheld (``None`` fields)
    when the actor may not learn who the victim is."""

    match: LeakMatch
    group: str
    claimed_on: datetime | None
    discovered: datetime | None
    title: str | None
    post_url: str | None
    website: str | None
    description: str | None
    country: str
    activity: str
    organisation: str | None = None


def _view(post: LeakPost, match: LeakMatch, details: bool, organisation: str | None) -> ClaimView:
    return ClaimView(
        match=match,
        group=post.group_name,
        claimed_on=post.claimed_on,
        discovered=post.discovered,
        title=post.post_title if details else None,
        post_url=post.post_url if details else None,
        website=post.website if details else None,
        description=post.description if details else None,
        country=post.country if details else "",
        activity=post.activity if details else "",
        organisation=organisation,
    )


def case_claims(uow: UnitOfWork, actor: Actor, case_id: int) -> list[ClaimView]:
    """Leak-site claims on a case: all for the desk, confirmed and shared ones for a party."""
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    matches = list(uow.leaks.matches(case_id=case.id))
    if not actor.is_desk:
        matches = [m for m in matches if any(m.visible_to_org(o) for o in actor.organisation_ids)]
    posts = uow.leaks.posts_by_ids(m.post_id for m in matches)
    details = access.can_see_victim_identity(actor, case)
    views = [_view(posts[m.post_id], m, details, None) for m in matches if m.post_id in posts]
    if matches and not actor.is_desk:
        audit.record(uow, actor, "leaks:read", "case", case.id, case_id=case.id, shown=len(views))
    return views


def constituency_claims(uow: UnitOfWork, actor: Actor) -> list[ClaimView]:
    """Matches against constituent organisations (desk only), newest review state first."""
    access.require_desk(actor)
    matches = list(uow.leaks.matches(organisations_only=True))
    posts = uow.leaks.posts_by_ids(m.post_id for m in matches)
    names = {o.id: o.name for o in uow.organisations.list()}
    order = {ReviewState.NEW: 0, ReviewState.CONFIRMED: 1, ReviewState.REJECTED: 2}
    matches.sort(key=lambda m: (order[m.state], -m.score, m.id or 0))
    return [
        _view(posts[m.post_id], m, True, names.get(m.organisation_id or 0))
        for m in matches
        if m.post_id in posts
    ]


# --- notification ---------------------------------------------------------------------------


def _desk_addresses(uow: UnitOfWork) -> list[tuple[str, str]]:
    found = []
    for user in uow.users.list():
        if user.id is None or not user.is_active:
            continue
        if any(m.role.is_desk for m in uow.users.memberships_of(user.id)):
            found.append((user.email, user.language or "ja"))
    return found


def send_match_notice(
    uow_factory: UnitOfWorkFactory, mailer: Mailer, base_url: str, payload: Mapping[str, Any]
) -> None:
    """Tell desk members that new leak-site matches wait for review. The mail carries no
    victim or organisation name, only counts and links."""
    ids = [int(i) for i in payload.get("match_ids") or ()]
    with uow_factory() as uow:
        matches = [m for m in (uow.leaks.get_match(i) for i in ids) if m is not None]
        addresses = _desk_addresses(uow)
    if not matches:
        return
    root = base_url.rstrip("/")
    case_ids = sorted({m.case_id for m in matches if m.case_id is not None})
    links = [f"{root}/cases/{cid}#leaks" for cid in case_ids]
    if any(m.case_id is None for m in matches):
        links.append(f"{root}/desk/leaks")
    for address, language in addresses:
        _ = Translator(language)
        body = _(
            "{n} new leak-site matches wait for review. A match is a claim on a leak site, "
            "not a confirmed breach.",
            n=len(matches),
        )
        mailer.send(
            OutgoingMail(
                to=(address,),
                subject=_("New leak-site matches ({n})", n=len(matches)),
                body=body + "\n\n" + "\n".join(links) + "\n",
            )
        )
