"""The desk's correlation workspace and the feedback each organisation gets.

Pick a tag (``cve:CVE-2024-3400``, ``family:akira``, ``campaign:…``): the desk sees the
attacker address × organisation matrix with counts, first/last seen and the stage each
organisation's logs show, clusters of addresses that hit the same organisations, and a
timeline across organisations. For each organisation it can generate feedback: only that
organisation's own sightings, plus anonymous counts ("also seen at 4 other
organisations, first on …"), the stage its logs show and recommended actions — then send
it as a shared message on the organisation's case, with CSV and STIX attachments.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from madoguchi.domain.errors import NotFoundError, ValidationError
from madoguchi.domain.findings import Stage
from madoguchi.domain.indicator import Indicator, Sighting
from madoguchi.domain.organisation import Actor
from madoguchi.domain.tlp import TLP
from madoguchi.i18n.catalogue import N_, Translator
from madoguchi.intel.correlation import (
    AddressCluster,
    MatrixCell,
    OrganisationFeedback,
    address_clusters,
    attack_matrix,
    feedback_for,
)
from madoguchi.intel.ioc_csv import export_csv
from madoguchi.intel.stix.bundle import export_bundle
from madoguchi.ports import EvidenceStore, UnitOfWork
from madoguchi.services import access, audit, evidence, messages

ADDRESS_TYPES = {"ipv4", "ipv6", "cidr"}


@dataclass(frozen=True)
class Workspace:
    tag: str
    tags: list[tuple[str, int]]
    cells: list[MatrixCell]
    clusters: list[AddressCluster]
    organisations: dict[int, str]
    timeline: list[tuple[datetime | None, str, str, str, Stage | None]]
    cases_by_org: dict[int, list[int]]


def _tagged_sightings(uow: UnitOfWork, tag: str) -> list[Sighting]:
    indicators = uow.indicators.all(tag=tag) if tag else uow.indicators.all()
    ids = [i.id for i in indicators if i.id is not None and not i.false_positive]
    return uow.indicators.sightings(indicator_ids=ids) if ids else []


def available_tags(uow: UnitOfWork) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for indicator in uow.indicators.all():
        for tag in indicator.tags:
            counts[tag] += 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def workspace(uow: UnitOfWork, actor: Actor, tag: str) -> Workspace:
    access.require_desk(actor)
    sightings = [s for s in _tagged_sightings(uow, tag) if s.indicator.type.value in ADDRESS_TYPES]
    cells = attack_matrix(sightings, tag or None)
    names: dict[int, str] = {}
    cases_by_org: dict[int, list[int]] = {}
    for sighting in sightings:
        org_id = sighting.organisation_id
        if org_id is None:
            continue
        if org_id not in names:
            org = uow.organisations.get(org_id)
            names[org_id] = org.name if org else str(org_id)
        if sighting.case_id is not None and sighting.case_id not in cases_by_org.get(org_id, []):
            cases_by_org.setdefault(org_id, []).append(sighting.case_id)
    timeline = sorted(
        (
            (
                s.seen_at,
                s.indicator.value,
                names.get(s.organisation_id or 0, "?"),
                f"case {s.case_id}",
                s.stage,
            )
            for s in sightings
        ),
        key=lambda row: (row[0] or datetime.min.replace(tzinfo=UTC), row[1], row[2]),
    )
    audit.record(uow, actor, "workspace:read", "tag", tag or "*", cells=len(cells))
    return Workspace(
        tag, available_tags(uow), cells, address_clusters(cells), names, timeline, cases_by_org
    )


@dataclass(frozen=True)
class FeedbackPackage:
    organisation_id: int
    case_id: int
    tag: str
    feedback: OrganisationFeedback
    indicators: list[Indicator]
    highest_stage: Stage | None
    text: dict[str, str]
    csv: str
    stix: str


_ACTIONS = {
    None: N_("Keep the logs of the affected devices and watch for these addresses."),
    Stage.SCAN: N_("Block these addresses and check that the device is up to date."),
    Stage.ATTEMPT: N_(
        "Exploitation was attempted: apply the vendor's fix or mitigation now, block these "
        "addresses and run the vendor's integrity check."
    ),
    Stage.EXPLOITED: N_(
        "Your logs show successful exploitation: treat the device as compromised, preserve "
        "its logs and a support bundle before any reboot or upgrade, rotate credentials and "
        "contact the desk for an investigation."
    ),
    Stage.POST_EXPLOITATION: N_(
        "Your logs show activity after the compromise: isolate the device, preserve evidence, "
        "reset every credential it held and look for lateral movement from it."
    ),
    Stage.IMPACT: N_(
        "Your logs show impact: follow the initial-response playbook and contact the desk."
    ),
}


def feedback_package(
    uow: UnitOfWork, actor: Actor, tag: str, organisation_id: int
) -> FeedbackPackage:
    """What one organisation may receive: its own sightings and anonymous counts."""
    access.require_desk(actor)
    sightings = _tagged_sightings(uow, tag)
    addresses = [s for s in sightings if s.indicator.type.value in ADDRESS_TYPES]
    feedback = feedback_for(organisation_id, addresses, tag or None)
    if not feedback.addresses:
        raise NotFoundError(N_("this organisation has no sightings for this tag"))
    own = [s for s in sightings if s.organisation_id == organisation_id]
    case_id = max(s.case_id for s in own if s.case_id is not None)
    indicators = {s.indicator.key: s.indicator for s in own}
    # TLP: an organisation may always receive its own observations; nothing RED leaves.
    shareable = [i for i in indicators.values() if i.tlp.rank < TLP.RED.rank]
    stage = max(
        (a.max_stage for a in feedback.addresses if a.max_stage),
        key=list(Stage).index,
        default=None,
    )
    text = {lang: _feedback_text(feedback, tag, stage, lang) for lang in ("ja", "en")}
    csv_export = export_csv(shareable, ceiling=TLP.AMBER_STRICT)
    stix_export = export_bundle(
        shareable, ceiling=TLP.AMBER_STRICT, report_name=f"madoguchi feedback {tag}"
    )
    return FeedbackPackage(
        organisation_id,
        case_id,
        tag,
        feedback,
        shareable,
        stage,
        text,
        csv_export.text,
        stix_export.serialize(),
    )


def _feedback_text(feedback: OrganisationFeedback, tag: str, stage: Stage | None, lang: str) -> str:
    _ = Translator(lang)
    lines = [_("Feedback from the desk about {tag}.", tag=tag or "—"), ""]
    lines.append(_("Addresses seen in your logs:"))
    for item in feedback.addresses:
        line = f"- {item.address}: " + _(
            "{count} times, {first} – {last}",
            count=item.count,
            first=_day(item.first_seen),
            last=_day(item.last_seen),
        )
        if item.max_stage:
            line += " · " + _("stage: {stage}", stage=item.max_stage.value)
        if item.other_organisations:
            line += " · " + _(
                "also seen at {n} other organisations, first on {first}",
                n=item.other_organisations,
                first=_day(item.earliest_elsewhere),
            )
        lines.append(line)
    lines += [
        "",
        _("What your logs show: {stage}", stage=stage.value if stage else "—"),
        "",
        _("Recommended actions:"),
        "- " + _(_ACTIONS.get(stage, _ACTIONS[None])),
    ]
    lines += [
        "",
        _(
            "Other organisations are never named. The attached CSV and STIX files hold "
            "only your own observations."
        ),
    ]
    return "\n".join(lines)


def _day(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d") if when else "?"


def send_feedback(
    uow: UnitOfWork,
    store: EvidenceStore,
    actor: Actor,
    tag: str,
    organisation_id: int,
    *,
    language: str = "ja",
    ip: str | None = None,
) -> int:
    """Post the package as a message shared with the organisation, with CSV and STIX."""
    package = feedback_package(uow, actor, tag, organisation_id)
    case = uow.cases.get(package.case_id)
    if case is None or organisation_id not in case.party_org_ids():
        raise ValidationError(N_("the organisation is not a party of its case any more"))
    body = package.text.get(language, package.text["en"])
    message = messages.post_message(
        uow, actor, package.case_id, body, shared_with=[organisation_id], tlp=TLP.AMBER, ip=ip
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    for name, content in (
        (f"feedback-{stamp}.csv", package.csv),
        (f"feedback-{stamp}.stix.json", package.stix),
    ):
        writer = store.writer()
        writer.write(content.encode("utf-8"))
        blob = writer.commit()
        attached = evidence.attach_evidence(
            uow,
            store,
            actor,
            package.case_id,
            blob,
            name,
            shared_with=[organisation_id],
            tlp=TLP.AMBER,
        )
        assert message.id is not None and attached.evidence.id is not None
        uow.messages.attach(message.id, attached.evidence.id)
    audit.record(
        uow,
        actor,
        "feedback:sent",
        "case",
        package.case_id,
        case_id=package.case_id,
        ip=ip,
        tag=tag,
        organisation=organisation_id,
        addresses=len(package.feedback.addresses),
    )
    assert message.id is not None
    return message.id


def case_export(uow: UnitOfWork, actor: Actor, case_id: int, ceiling: TLP) -> list[Indicator]:
    """Indicators a party may export from its case: those sighted in evidence it can see,
    at or below the TLP ceiling (and the case's own TLP for reporters)."""
    from madoguchi.services.cases import load_case

    case = load_case(uow, actor, case_id)
    assert case.id is not None
    visible = {e.id for e in uow.evidence.for_case(case.id) if evidence.can_see_evidence(actor, e)}
    found: dict[tuple[object, str], Indicator] = {}
    for sighting in uow.indicators.sightings(case_ids=[case.id]):
        if not actor.is_desk and sighting.evidence_id not in visible:
            continue
        if sighting.indicator.false_positive:
            continue
        found[sighting.indicator.key] = sighting.indicator
    limit = ceiling if actor.is_desk else min(ceiling, case.tlp, key=lambda t: t.rank)
    audit.record(
        uow, actor, "indicators:export", "case", case.id, case_id=case.id, ceiling=limit.value
    )
    return [
        i
        for i in sorted(found.values(), key=lambda i: (i.type.value, i.value))
        if i.tlp.rank <= limit.rank
    ]
