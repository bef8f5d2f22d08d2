"""Advisories (注意喚起): draft from a case or a tag, edit, review, approve, publish.

Desk only, except the public reads at the end. The author of a draft cannot approve it;
publication re-checks everything because indicators can change TLP after approval:
the advisory and every indicator in it must be TLP:CLEAR, and no published text may name
an organisation that is a party to the linked cases (or a hidden victim). A refusal names
the field, never the organisation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from madoguchi.domain.advisory import (
    Advisory,
    AdvisoryContent,
    AdvisoryRevision,
    AdvisoryStatus,
    PublishedIndicator,
    fields_naming,
    slugify,
)
from madoguchi.domain.case import Case
from madoguchi.domain.errors import ConflictError, NotFoundError, ValidationError
from madoguchi.domain.organisation import Actor
from madoguchi.domain.tlp import TLP
from madoguchi.i18n.catalogue import N_
from madoguchi.ports import DatedIndicator, UnitOfWork
from madoguchi.services import access, audit
from madoguchi.services.advisory_text import draft_content
from madoguchi.services.cases import load_case


class AdvisoryRefusedError(ValidationError):
    """Publication (or approval) refused; ``problems`` lists every reason."""

    code = "advisory_refused"

    def __init__(self, problems: Sequence[ValidationError]) -> None:
        self.problems = tuple(problems)
        first = self.problems[0]
        super().__init__(first.message, where=first.where)


@dataclass(frozen=True)
class AdvisoryEdit:
    """What the desk's edit form sends."""

    content: AdvisoryContent
    tlp: TLP = TLP.CLEAR
    indicator_ids: tuple[int, ...] = ()
    slug: str = ""


@dataclass(frozen=True)
class IndicatorChoice:
    dated: DatedIndicator
    included: bool

    @property
    def releasable(self) -> bool:
        indicator = self.dated.indicator
        return indicator.tlp is TLP.CLEAR and not indicator.false_positive


@dataclass(frozen=True)
class Workbench:
    """The desk's page of one advisory: the draft, its candidates, what blocks it."""

    advisory: Advisory
    revisions: Sequence[AdvisoryRevision]
    choices: Sequence[IndicatorChoice]
    problems: Sequence[ValidationError]
    case_references: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class PublicAdvisory:
    advisory: Advisory
    revision: AdvisoryRevision
    revisions: Sequence[AdvisoryRevision]

    @property
    def latest(self) -> bool:
        return self.revision.number == self.advisory.revision


def _now() -> datetime:
    return datetime.now(UTC)


def _load(uow: UnitOfWork, actor: Actor, advisory_id: int) -> Advisory:
    access.require_desk(actor)
    found = uow.advisories.get(advisory_id)
    if found is None:
        raise NotFoundError(N_("advisory not found"))
    return found


def _unique_slug(uow: UnitOfWork, wanted: str, own_id: int | None = None) -> str:
    slug, number = wanted, 2
    while True:
        existing = uow.advisories.by_slug(slug)
        if existing is None or existing.id == own_id:
            return slug
        slug = f"{wanted}-{number}"
        number += 1


def _releasable(uow: UnitOfWork, ids: Iterable[int]) -> tuple[int, ...]:
    return tuple(
        d.indicator.id
        for d in uow.advisories.dated_indicators(ids)
        if d.indicator.id is not None
        and d.indicator.tlp is TLP.CLEAR
        and not d.indicator.false_positive
    )


def _new_draft(
    uow: UnitOfWork,
    actor: Actor,
    cases: Sequence[Case],
    candidate_ids: Sequence[int],
    *,
    tag: str = "",
    source: str,
) -> Advisory:
    included = _releasable(uow, candidate_ids)
    dated = uow.advisories.dated_indicators(included)
    markers = uow.indicators.markers([c.id for c in cases if c.id is not None])
    content = draft_content(cases, [d.indicator for d in dated], markers, tag=tag)
    now = _now()
    wanted = f"{now:%Y}-" + slugify(content.title.en, fallback="advisory")
    advisory = Advisory(
        slug=_unique_slug(uow, wanted),
        content=content,
        created_at=now,
        updated_at=now,
        case_ids=tuple(sorted(c.id for c in cases if c.id is not None)),
        indicator_ids=included,
        source=source,
        created_by=actor.user_id,
        updated_by=actor.user_id,
    )
    return uow.advisories.add(advisory)


def draft_from_case(
    uow: UnitOfWork, actor: Actor, case_id: int, *, ip: str | None = None
) -> Advisory:
    """A draft from one case: its products and CVEs, aggregated observations, and the
    case's TLP:CLEAR indicators (the others stay candidates on the edit page)."""
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    candidates = uow.advisories.indicator_ids_for_cases([case.id])
    advisory = _new_draft(uow, actor, [case], candidates, source=f"case:{case.reference}")
    audit.record(uow, actor, "advisory:create", "advisory", advisory.id, case_id=case.id, ip=ip)
    return advisory


def draft_from_tag(uow: UnitOfWork, actor: Actor, tag: str, *, ip: str | None = None) -> Advisory:
    """A draft from ``cve:CVE-…``, ``family:…`` or ``campaign:…``: the indicators with that
    tag, and the cases naming the CVE or marked with the family."""
    access.require_desk(actor)
    kind, _, value = tag.strip().partition(":")
    kind = kind.strip().lower()
    value = value.strip()
    if kind not in ("cve", "family", "campaign") or not value:
        raise ValidationError(
            N_("give a tag such as cve:CVE-2024-3400, family:akira or campaign:name"),
            where="tag",
        )
    tag = f"{kind}:{value.upper() if kind == 'cve' else value}"
    candidates = list(uow.advisories.indicator_ids_with_tag(tag))
    case_ids = set(uow.advisories.case_ids_for_tag(tag))
    case_ids |= set(uow.advisories.case_ids_for_indicators(candidates))
    found = [uow.cases.get(case_id) for case_id in sorted(case_ids)]
    cases = [case for case in found if case is not None]
    advisory = _new_draft(uow, actor, cases, candidates, tag=tag, source=tag)
    audit.record(uow, actor, "advisory:create", "advisory", advisory.id, ip=ip, tag=tag)
    return advisory


def list_advisories(uow: UnitOfWork, actor: Actor) -> Sequence[Advisory]:
    access.require_desk(actor)
    return uow.advisories.list()


def _candidate_ids(uow: UnitOfWork, advisory: Advisory) -> list[int]:
    ids = set(advisory.indicator_ids)
    ids |= set(uow.advisories.indicator_ids_for_cases(advisory.case_ids))
    if advisory.source.partition(":")[0] in ("cve", "family", "campaign"):
        ids |= set(uow.advisories.indicator_ids_with_tag(advisory.source))
    return sorted(ids)


def open_advisory(
    uow: UnitOfWork, actor: Actor, advisory_id: int, *, ip: str | None = None
) -> Workbench:
    advisory = _load(uow, actor, advisory_id)
    included = set(advisory.indicator_ids)
    choices = [
        IndicatorChoice(dated, dated.indicator.id in included)
        for dated in uow.advisories.dated_indicators(_candidate_ids(uow, advisory))
    ]
    choices.sort(key=lambda c: (not c.included, c.dated.indicator.type, c.dated.indicator.value))
    references = []
    for case_id in advisory.case_ids:
        case = uow.cases.get(case_id)
        if case is not None:
            references.append(case.reference)
    audit.record(uow, actor, "advisory:read", "advisory", advisory.id, ip=ip)
    return Workbench(
        advisory=advisory,
        revisions=uow.advisories.revisions(advisory_id),
        choices=choices,
        problems=(
            []
            if advisory.status is AdvisoryStatus.PUBLISHED
            else publication_problems(uow, advisory)
        ),
        case_references=references,
    )


def edit_advisory(
    uow: UnitOfWork, actor: Actor, advisory_id: int, edit: AdvisoryEdit, *, ip: str | None = None
) -> Advisory:
    """Save the draft; an approved or published advisory goes back to draft."""
    advisory = _load(uow, actor, advisory_id)
    allowed = set(_candidate_ids(uow, advisory))
    unknown = [i for i in edit.indicator_ids if i not in allowed]
    if unknown:
        raise ValidationError(N_("choose indicators from the list"), where="indicators")
    changed = advisory.edited(edit.content, actor.user_id, _now())
    changed = replace(changed, tlp=edit.tlp, indicator_ids=tuple(sorted(set(edit.indicator_ids))))
    slug = edit.slug.strip().lower()
    if slug and slug != advisory.slug:
        if advisory.is_public:
            raise ValidationError(
                N_("the address of a published advisory cannot change"), where="slug"
            )
        if slugify(slug, fallback="") != slug:
            raise ValidationError(
                N_("use lower-case letters, digits and hyphens only"), where="slug"
            )
        if uow.advisories.by_slug(slug) is not None:
            raise ConflictError(N_("another advisory already uses this address"), where="slug")
        changed = replace(changed, slug=slug)
    uow.advisories.save(changed)
    audit.record(uow, actor, "advisory:edit", "advisory", advisory.id, ip=ip)
    return changed


def request_review(
    uow: UnitOfWork, actor: Actor, advisory_id: int, *, ip: str | None = None
) -> Advisory:
    advisory = _load(uow, actor, advisory_id)
    if advisory.status is not AdvisoryStatus.DRAFT:
        raise ConflictError(N_("only a draft can be sent for review"), where="status")
    changed = replace(advisory, status=AdvisoryStatus.IN_REVIEW, review_requested_by=actor.user_id)
    uow.advisories.save(changed)
    audit.record(uow, actor, "advisory:review", "advisory", advisory.id, ip=ip)
    return changed


def approve(uow: UnitOfWork, actor: Actor, advisory_id: int, *, ip: str | None = None) -> Advisory:
    """Approval by a second desk member: never the author or the last editor."""
    advisory = _load(uow, actor, advisory_id)
    if advisory.status is not AdvisoryStatus.IN_REVIEW:
        raise ConflictError(N_("send the advisory for review before approving it"), where="status")
    if actor.user_id in (advisory.created_by, advisory.updated_by):
        raise ConflictError(
            N_("the approver must be a different desk member from the author"),
            where="approved_by",
        )
    problems = publication_problems(uow, advisory)
    if problems:
        raise AdvisoryRefusedError(problems)
    changed = replace(
        advisory, status=AdvisoryStatus.APPROVED, approved_by=actor.user_id, approved_at=_now()
    )
    uow.advisories.save(changed)
    audit.record(uow, actor, "advisory:approve", "advisory", advisory.id, ip=ip)
    return changed


def publish(
    uow: UnitOfWork, actor: Actor, advisory_id: int, *, ip: str | None = None
) -> AdvisoryRevision:
    """Freeze the approved text and CLEAR indicators as the next public revision."""
    advisory = _load(uow, actor, advisory_id)
    if advisory.status is not AdvisoryStatus.APPROVED or advisory.approved_by is None:
        raise ConflictError(N_("only an approved advisory can be published"), where="status")
    problems = publication_problems(uow, advisory)
    if problems:
        audit.record(
            uow,
            actor,
            "advisory:publish-refused",
            "advisory",
            advisory.id,
            ip=ip,
            fields=[p.where for p in problems],
        )
        raise AdvisoryRefusedError(problems)
    now = _now()
    snapshot = tuple(
        PublishedIndicator(
            type=d.indicator.type.value,
            value=d.indicator.value,
            description=d.indicator.description,
            confidence=d.indicator.confidence,
            first_seen=d.indicator.first_seen,
            last_seen=d.indicator.last_seen,
            added=d.added,
        )
        for d in uow.advisories.dated_indicators(advisory.indicator_ids)
    )
    number = advisory.revision + 1
    assert advisory.id is not None
    revision = uow.advisories.add_revision(
        AdvisoryRevision(
            advisory_id=advisory.id,
            number=number,
            content=advisory.content,
            indicators=snapshot,
            published_at=now,
            published_by=actor.user_id,
            approved_by=advisory.approved_by,
        )
    )
    uow.advisories.save(
        replace(
            advisory,
            status=AdvisoryStatus.PUBLISHED,
            revision=number,
            published_at=advisory.published_at or now,
        )
    )
    audit.record(uow, actor, "advisory:publish", "advisory", advisory.id, ip=ip, revision=number)
    return revision


# --- the checks ------------------------------------------------------------------------


def publication_problems(uow: UnitOfWork, advisory: Advisory) -> list[ValidationError]:
    """Every reason the advisory cannot be published now (empty when it can)."""
    problems: list[ValidationError] = []
    content = advisory.content
    if advisory.tlp is not TLP.CLEAR:
        problems.append(
            ValidationError(N_("only a TLP:CLEAR advisory can be published"), where="tlp")
        )
    for name in ("title", "summary"):
        text = content.text(name)
        for lang in ("ja", "en"):
            if not getattr(text, lang).strip():
                problems.append(
                    ValidationError(N_("write this field in Japanese and English"), where=name)
                )
                break
    if advisory.revision > 0:
        previous = uow.advisories.revisions(advisory.id or 0)
        last_note = previous[-1].content.change_note if previous else None
        if content.change_note.is_empty() or content.change_note == last_note:
            problems.append(
                ValidationError(N_("describe what this revision changes"), where="change_note")
            )
    dated = {d.indicator.id: d for d in uow.advisories.dated_indicators(advisory.indicator_ids)}
    fields = content.searchable_fields()
    for indicator_id in advisory.indicator_ids:
        found = dated.get(indicator_id)
        if found is None:
            problems.append(
                ValidationError(
                    N_("an indicator of this advisory no longer exists"),
                    where=f"indicators: #{indicator_id}",
                )
            )
            continue
        indicator = found.indicator
        where = f"indicators: {indicator.value}"
        if indicator.tlp is not TLP.CLEAR:
            problems.append(
                ValidationError(
                    N_("an indicator above TLP:CLEAR cannot be published"),
                    where=f"{where} ({indicator.tlp.label})",
                )
            )
        if indicator.false_positive:
            problems.append(
                ValidationError(N_("this indicator is marked as a false positive"), where=where)
            )
        fields[where] = f"{indicator.value} {indicator.description}"
    names, domains = uow.advisories.party_names(_checked_cases(uow, advisory))
    for name in fields_naming(fields, names, domains):
        problems.append(
            ValidationError(
                N_("this field names an organisation from the linked cases; reword it"),
                where=name,
            )
        )
    return problems


def _checked_cases(uow: UnitOfWork, advisory: Advisory) -> list[int]:
    """The linked cases and every case an included indicator was seen in."""
    cases = set(advisory.case_ids)
    cases |= set(uow.advisories.case_ids_for_indicators(advisory.indicator_ids))
    return sorted(cases)


# --- public reads (no sign-in) -----------------------------------------------------------


def published_advisories(uow: UnitOfWork) -> Sequence[tuple[Advisory, AdvisoryRevision]]:
    return uow.advisories.published()


def public_advisory(uow: UnitOfWork, slug: str, number: int | None = None) -> PublicAdvisory:
    """A published advisory by its address, at its latest or a given revision."""
    advisory = uow.advisories.by_slug(slug)
    if advisory is None or not advisory.is_public or advisory.id is None:
        raise NotFoundError(N_("advisory not found"))
    revisions = uow.advisories.revisions(advisory.id)
    wanted = number if number is not None else advisory.revision
    revision = next((r for r in revisions if r.number == wanted), None)
    if revision is None:
        raise NotFoundError(N_("advisory not found"))
    return PublicAdvisory(advisory, revision, revisions)
