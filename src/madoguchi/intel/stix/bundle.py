"""Indicators and sightings as a STIX 2.1 bundle, and indicators out of a bundle.

Export: one ``indicator`` per value (``attack-pattern`` for ATT&CK techniques,
``vulnerability`` for CVE ids), one ``sighting`` per sighting without the
sighting organisation (``where_sighted_refs`` is never written: sightings must not
name who saw them), the TLP 2.0 marking-definitions used, the desk's ``identity``,
and optionally a ``report`` grouping everything. Ids are derived from the values
(UUIDv5), so exporting the same indicator twice gives the same id.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stix2

from madoguchi.domain.errors import ValidationError
from madoguchi.domain.indicator import (
    Indicator,
    IndicatorSource,
    IndicatorType,
    Sighting,
    SourceKind,
)
from madoguchi.domain.tlp import TLP, most_restrictive
from madoguchi.intel.classifier import make_indicator
from madoguchi.intel.exchange import ImportProblem, ImportResult, within_ceiling
from madoguchi.intel.stix.markings import TLP2_IDS, marking_for, tlp_of_marking
from madoguchi.intel.stix.patterns import PatternError, parse_pattern, pattern_for

_NAMESPACE = uuid.UUID("6f1f6d55-8d0b-4b8e-9a57-6d61646f6775")


@dataclass(frozen=True)
class StixExport:
    bundle: stix2.Bundle
    exported: int
    dropped: int

    def serialize(self) -> str:
        return str(self.bundle.serialize(pretty=True))


def _id(kind: str, *parts: object) -> str:
    return f"{kind}--{uuid.uuid5(_NAMESPACE, '|'.join(str(p) for p in parts))}"


def _sdo(indicator: Indicator, identity: stix2.Identity, now: datetime) -> Any:
    common: dict[str, Any] = {
        "created_by_ref": identity.id,
        "object_marking_refs": [TLP2_IDS[indicator.tlp]],
        "confidence": indicator.confidence,
        "created": now,
        "modified": now,
    }
    if indicator.tags:
        common["labels"] = list(indicator.tags)
    if indicator.description:
        common["description"] = indicator.description
    if indicator.type is IndicatorType.CVE:
        return stix2.Vulnerability(
            id=_id("vulnerability", indicator.value),
            name=indicator.value,
            external_references=[{"source_name": "cve", "external_id": indicator.value}],
            **common,
        )
    if indicator.type is IndicatorType.ATTACK_TECHNIQUE:
        return stix2.AttackPattern(
            id=_id("attack-pattern", indicator.value),
            name=indicator.value,
            external_references=[{"source_name": "mitre-attack", "external_id": indicator.value}],
            **common,
        )
    valid_from = indicator.first_seen or now
    extra: dict[str, Any] = {}
    if indicator.expires_at is not None and indicator.expires_at > valid_from:
        extra["valid_until"] = indicator.expires_at
    return stix2.Indicator(
        id=_id("indicator", indicator.type.value, indicator.value),
        name=f"{indicator.type.value}: {indicator.value}"[:256],
        pattern=pattern_for(indicator.type, indicator.value),
        pattern_type="stix",
        valid_from=valid_from,
        indicator_types=["malicious-activity"],
        **extra,
        **common,
    )


def export_bundle(
    indicators: Iterable[Indicator],
    sightings: Iterable[Sighting] = (),
    *,
    ceiling: TLP,
    report_name: str | None = None,
    producer: str = "madoguchi",
    now: datetime | None = None,
) -> StixExport:
    """A bundle of the indicators (and their sightings) at or below ``ceiling``."""
    moment = now or datetime.now(UTC)
    kept, dropped = within_ceiling(dict.fromkeys(indicators), ceiling)
    identity = stix2.Identity(
        id=_id("identity", producer),
        name=producer,
        identity_class="organization",
        created=moment,
        modified=moment,
    )
    objects: list[Any] = [identity]
    by_key: dict[tuple[IndicatorType, str], Any] = {}
    for indicator in kept:
        sdo = _sdo(indicator, identity, moment)
        by_key[indicator.key] = sdo
        objects.append(sdo)
    for sighting in sightings:
        target = by_key.get(sighting.indicator.key)
        if target is None or not sighting.indicator.tlp.at_most(ceiling):
            continue
        seen: dict[str, Any] = {}
        if sighting.seen_at is not None:
            seen = {"first_seen": sighting.seen_at, "last_seen": sighting.seen_at}
        objects.append(
            stix2.Sighting(
                id=_id(
                    "sighting",
                    target.id,
                    sighting.case_id,
                    sighting.evidence_id,
                    sighting.seen_at,
                    sighting.context,
                ),
                sighting_of_ref=target.id,
                count=sighting.count,
                created_by_ref=identity.id,
                object_marking_refs=[TLP2_IDS[sighting.indicator.tlp]],
                created=moment,
                modified=moment,
                **seen,
            )
        )
    levels = sorted({indicator.tlp for indicator in kept}, key=lambda level: level.rank)
    if report_name is not None and len(objects) > 1:
        objects.append(
            stix2.Report(
                name=report_name,
                published=moment,
                report_types=["threat-report"],
                object_refs=[obj.id for obj in objects[1:]],
                created_by_ref=identity.id,
                object_marking_refs=[TLP2_IDS[most_restrictive(levels)]],
                created=moment,
                modified=moment,
            )
        )
        if most_restrictive(levels) not in levels:
            levels.append(most_restrictive(levels))
    markings = [marking_for(level) for level in levels]
    return StixExport(stix2.Bundle(*markings, *objects, allow_custom=True), len(kept), dropped)


def import_bundle(
    bundle: str | bytes | Mapping[str, Any],
    *,
    source: IndicatorSource | None = None,
    default_tlp: TLP = TLP.AMBER,
) -> ImportResult:
    """Indicators from a STIX 2.x bundle; unreadable patterns are reported as problems."""
    result = ImportResult()
    try:
        data = json.loads(bundle) if isinstance(bundle, str | bytes) else bundle
    except (ValueError, RecursionError) as error:
        result.problems.append(ImportProblem("bundle", f"not JSON: {error}"))
        return result
    if not isinstance(data, Mapping) or not isinstance(data.get("objects"), list):
        result.problems.append(ImportProblem("bundle", "no 'objects' list"))
        return result
    objects = [obj for obj in data["objects"] if isinstance(obj, Mapping)]
    definitions = {
        str(obj.get("id")): obj for obj in objects if obj.get("type") == "marking-definition"
    }
    origin = source or IndicatorSource(SourceKind.FEED, "stix")
    for obj in objects:
        kind = obj.get("type")
        if kind not in ("indicator", "vulnerability", "attack-pattern"):
            continue
        where = str(obj.get("id", kind))
        try:
            _import_object(obj, where, definitions, origin, default_tlp, result)
        except (TypeError, AttributeError, ValueError, OverflowError, RecursionError) as error:
            # a field of the wrong JSON type (a number where a list belongs, ...)
            result.problems.append(ImportProblem(where, f"malformed {kind}: {error}"))
    return result


def _import_object(
    obj: Mapping[str, Any],
    where: str,
    definitions: Mapping[str, Any],
    origin: IndicatorSource,
    default_tlp: TLP,
    result: ImportResult,
) -> None:
    if obj.get("revoked"):
        result.problems.append(ImportProblem(where, "revoked; not imported"))
        return
    levels = [tlp_of_marking(str(ref), definitions) for ref in obj.get("object_marking_refs", ())]
    known = [level for level in levels if level is not None]
    options: dict[str, Any] = {
        "tlp": most_restrictive(known) if known else default_tlp,
        "source": origin,
        "confidence": int(obj.get("confidence", 50)),
        "tags": [str(label) for label in obj.get("labels", ())],
        "description": str(obj.get("description", "")),
    }
    for pair in _values(obj, result, where):
        try:
            result.indicators.append(
                make_indicator(
                    pair[0],
                    pair[1],
                    first_seen=_time(obj.get("valid_from")),
                    expires_at=_time(obj.get("valid_until")),
                    **options,
                )
            )
        except ValidationError as error:
            result.problems.append(ImportProblem(where, error.message))


def _values(
    obj: Mapping[str, Any], result: ImportResult, where: str
) -> list[tuple[IndicatorType, str]]:
    kind = obj.get("type")
    if kind == "indicator":
        if obj.get("pattern_type", "stix") != "stix":
            result.problems.append(
                ImportProblem(where, f"pattern type {obj.get('pattern_type')} is not read")
            )
            return []
        try:
            return parse_pattern(str(obj.get("pattern", "")))
        except PatternError as error:
            result.problems.append(
                ImportProblem(where, f"pattern not read: {error}: {obj.get('pattern')}")
            )
            return []
    wanted = ("cve",) if kind == "vulnerability" else ("mitre-attack",)
    target = IndicatorType.CVE if kind == "vulnerability" else IndicatorType.ATTACK_TECHNIQUE
    for reference in obj.get("external_references", ()):
        if reference.get("source_name") in wanted and reference.get("external_id"):
            return [(target, str(reference["external_id"]))]
    return []


def _time(value: object) -> datetime | None:
    if not value:
        return None
    text = str(value).replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
