"""The indicator store: analyzer observables become indicators and sightings.

Values are normalised (refanged, lower-case domains, canonical IPs) before they are
stored. Addresses carry the stage the analyzer saw (scan … impact) and the CVEs of the
findings they appear in, as tags (``cve:CVE-2024-3400``), so cases can be correlated by
CVE; ransom-note contacts carry the identified family (``family:akira``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from madoguchi.analysis.result import parse_time
from madoguchi.domain.case import Case
from madoguchi.domain.errors import NotFoundError, ValidationError
from madoguchi.domain.evidence import Evidence
from madoguchi.domain.findings import Stage
from madoguchi.domain.indicator import Indicator, IndicatorSource, IndicatorType, SourceKind
from madoguchi.domain.organisation import Actor
from madoguchi.domain.tlp import TLP
from madoguchi.i18n.catalogue import N_
from madoguchi.intel.classifier import detect_type, normalise_value
from madoguchi.intel.correlation import stage_rank
from madoguchi.intel.normalise import normalise
from madoguchi.ports import StoredSighting, UnitOfWork
from madoguchi.services import access, audit
from madoguchi.services.cases import load_case

CONTACT_TYPES = {"ioc:onion", "ioc:tox", "ioc:session", "ioc:email", "ioc:btc", "ioc:xmr"}


@dataclass
class _AddressFacts:
    stage: Stage | None = None
    cves: set[str] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None


def _address_facts(findings: Iterable[Mapping[str, Any]]) -> dict[str, _AddressFacts]:
    facts: dict[str, _AddressFacts] = {}
    for finding in findings:
        address = finding.get("source_ip")
        if not address:
            continue
        item = facts.setdefault(str(address), _AddressFacts())
        stage = Stage(finding["stage"]) if finding.get("stage") in set(Stage) else None
        if stage_rank(stage) > stage_rank(item.stage):
            item.stage = stage
        item.cves.update(str(c).upper() for c in finding.get("cve") or ())
        for key in ("first_seen", "timestamp", "last_seen"):
            when = parse_time(finding.get(key))
            if when is not None:
                item.first = min(item.first, when) if item.first else when
                item.last = max(item.last, when) if item.last else when
    return facts


def reporting_org(case: Case) -> int | None:
    for party in case.parties:
        if party.role.value == "reporter":
            return party.organisation_id
    return None


def record_document(
    uow: UnitOfWork, case: Case, evidence: Evidence, document: Mapping[str, Any], analyzer: str
) -> int:
    """Store the observables of one analyzer's result as indicators and sightings."""
    assert case.id is not None and evidence.id is not None
    uow.indicators.remove_sightings_of_evidence(evidence.id, analyzer)
    addresses = _address_facts(document.get("findings") or ())
    families = [
        str(item.get("verdict"))
        for item in document.get("ransomware") or ()
        if item.get("verdict") and item.get("verdict") != "unknown"
    ]
    for family in families:
        uow.indicators.add_marker(case.id, "family", family, analyzer)
    for finding in document.get("findings") or ():
        for technique in finding.get("attack") or ():
            uow.indicators.add_marker(case.id, "technique", str(technique).upper(), analyzer)
    organisation = reporting_org(case)
    stored = 0
    for item in document.get("indicators") or ():
        kind = IndicatorType.from_observable_type(str(item.get("type", "")))
        if kind is None:
            continue
        try:
            value = normalise(str(item["type"]), str(item["value"]))
        except (ValueError, KeyError):
            continue
        if not value:
            continue
        facts = addresses.get(value, _AddressFacts())
        tags = {f"cve:{c}" for c in facts.cves}
        if item.get("type") in CONTACT_TYPES:
            tags |= {f"family:{f}" for f in families}
            uow.indicators.add_marker(case.id, "contact", f"{kind.value}:{value}", analyzer)
        indicator = uow.indicators.upsert(
            Indicator(
                type=kind,
                value=value,
                tlp=evidence.tlp,
                source=IndicatorSource(SourceKind.ANALYZER, analyzer, case.id),
                confidence=60 if facts.stage else 40,
                tags=tuple(sorted(tags)),
                first_seen=facts.first,
                last_seen=facts.last,
            )
        )
        assert indicator.id is not None
        uow.indicators.add_sighting(
            StoredSighting(
                indicator_id=indicator.id,
                case_id=case.id,
                evidence_id=evidence.id,
                organisation_id=organisation,
                first_seen=facts.first,
                last_seen=facts.last,
                count=int(item.get("count") or 1),
                stage=facts.stage,
                context=str(item.get("context") or ""),
                analyzer=analyzer,
            )
        )
        stored += 1
    return stored


def case_indicators(uow: UnitOfWork, actor: Actor, case_id: int) -> list[Indicator]:
    """Indicators sighted in a case (the desk's view; reporters get them through exports)."""
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    seen: dict[int, Indicator] = {}
    for sighting in uow.indicators.sightings(case_ids=[case.id]):
        if sighting.indicator.id is not None:
            seen[sighting.indicator.id] = sighting.indicator
    return sorted(seen.values(), key=lambda i: (i.type.value, i.value))


def add_manual(
    uow: UnitOfWork,
    actor: Actor,
    value: str,
    *,
    tlp: TLP = TLP.AMBER,
    tags: Iterable[str] = (),
    description: str = "",
    case_id: int | None = None,
) -> Indicator:
    access.require_desk(actor)
    kind = detect_type(value)
    if kind is None:
        raise ValidationError(N_("this does not look like an indicator"), where="value")
    try:
        normalised = normalise_value(kind, value)
    except ValueError as error:
        raise ValidationError(N_("this does not look like an indicator"), where="value") from error
    if case_id is not None:
        load_case(uow, actor, case_id)
    indicator = uow.indicators.upsert(
        Indicator(
            type=kind,
            value=normalised,
            tlp=tlp,
            source=IndicatorSource(SourceKind.MANUAL, actor.display_name, case_id),
            tags=tuple(tags),
            description=description,
            first_seen=datetime.now(UTC),
        )
    )
    audit.record(
        uow, actor, "indicator:create", "indicator", indicator.id, case_id=case_id, type=kind.value
    )
    return indicator


def flag(
    uow: UnitOfWork,
    actor: Actor,
    indicator_id: int,
    *,
    false_positive: bool | None = None,
    tlp: TLP | None = None,
) -> Indicator:
    access.require_desk(actor)
    if uow.indicators.get(indicator_id) is None:
        raise NotFoundError(N_("indicator not found"))
    uow.indicators.set_flags(indicator_id, false_positive=false_positive, tlp=tlp)
    audit.record(
        uow,
        actor,
        "indicator:update",
        "indicator",
        indicator_id,
        false_positive=false_positive,
        tlp=tlp.value if tlp else None,
    )
    found = uow.indicators.get(indicator_id)
    assert found is not None
    return found
