"""STIX 2.1 objects for published advisories and for the TAXII collections.

Indicators, sightings, the desk's identity and the TLP 2.0 markings come from
``madoguchi.intel.stix`` (so their ids are the ones every other export uses); this module
adds the advisory's ``report`` and its Japanese ``language-content``, and fixes every
timestamp to a stored one so the same advisory or indicator always serialises the same.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from madoguchi.domain.advisory import Advisory, AdvisoryRevision, PublishedIndicator
from madoguchi.domain.indicator import (
    Indicator,
    IndicatorSource,
    IndicatorType,
    Sighting,
    SourceKind,
)
from madoguchi.domain.tlp import TLP
from madoguchi.intel.stix import export_bundle, marking_for
from madoguchi.intel.stix.markings import TLP2_IDS
from madoguchi.ports import DatedIndicator, DatedSighting

_NAMESPACE = uuid.UUID("0b7c1f52-4a4e-5d2b-9a3c-6d61646f6176")
#: The time the fixed objects (identity, markings) count as added.
EPOCH = datetime(2022, 10, 1, tzinfo=UTC)
_FIXED_TYPES = ("identity", "marking-definition")


def stix_time(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, as STIX writes timestamps."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _objects(indicators: Iterable[Indicator], sightings: Iterable[Any], moment: datetime) -> Any:
    export = export_bundle(indicators, sightings, ceiling=TLP.RED, now=moment)
    return json.loads(export.bundle.serialize())["objects"]


def identity_object() -> dict[str, Any]:
    """The desk's identity, as every object's ``created_by_ref`` names it."""
    found: dict[str, Any] = next(
        obj for obj in _objects([], [], EPOCH) if obj["type"] == "identity"
    )
    return found


def marking_objects(levels: Iterable[TLP]) -> list[dict[str, Any]]:
    ordered = sorted(set(levels), key=lambda level: level.rank)
    return [json.loads(marking_for(level).serialize()) for level in ordered]


def indicator_object(dated: DatedIndicator) -> dict[str, Any]:
    """The STIX object of one stored indicator (indicator, vulnerability or attack-pattern).

    Building one costs about 2 ms (``stix2`` validates the pattern), so objects are cached
    by their content: a TAXII client polling the same pages gets them from memory. Treat
    the returned dict as read-only."""
    return _indicator_object(dated.indicator, dated.added)


@lru_cache(maxsize=20_000)
def _indicator_object(indicator: Indicator, added: datetime) -> dict[str, Any]:
    found: dict[str, Any] = next(
        obj for obj in _objects([indicator], [], added) if obj["type"] not in _FIXED_TYPES
    )
    return found


def sighting_object(dated: DatedSighting) -> dict[str, Any]:
    """A sighting without who saw it (``where_sighted_refs`` is never written); cached
    like indicators."""
    return _sighting_object(dated.sighting, dated.added)


@lru_cache(maxsize=20_000)
def _sighting_object(sighting: Sighting, added: datetime) -> dict[str, Any]:
    found: dict[str, Any] = next(
        obj
        for obj in _objects([sighting.indicator], [sighting], added)
        if obj["type"] == "sighting"
    )
    return found


def _indicator(item: PublishedIndicator) -> Indicator:
    return Indicator(
        type=IndicatorType(item.type),
        value=item.value,
        tlp=TLP.CLEAR,
        source=IndicatorSource(SourceKind.MANUAL, "madoguchi"),
        confidence=item.confidence,
        first_seen=item.first_seen,
        last_seen=item.last_seen,
        description=item.description,
    )


def report_id(slug: str) -> str:
    return f"report--{uuid.uuid5(_NAMESPACE, 'advisory:' + slug)}"


def advisory_objects(
    advisory: Advisory, revision: AdvisoryRevision, url: str
) -> list[dict[str, Any]]:
    """Marking, identity, the CLEAR indicators, the CVEs, the report and its Japanese text."""
    first = advisory.published_at or revision.published_at
    clear = TLP2_IDS[TLP.CLEAR]
    identity = identity_object()
    objects: list[dict[str, Any]] = [*marking_objects([TLP.CLEAR]), identity]
    seen: set[str] = set()
    for item in revision.indicators:
        obj = next(
            o
            for o in _objects([_indicator(item)], [], item.added or first)
            if o["type"] not in _FIXED_TYPES
        )
        if obj["id"] not in seen:
            seen.add(obj["id"])
            objects.append(obj)
    cves = [
        Indicator(type=IndicatorType.CVE, value=cve, tlp=TLP.CLEAR) for cve in revision.content.cves
    ]
    for obj in _objects(cves, [], first):
        if obj["type"] not in _FIXED_TYPES and obj["id"] not in seen:
            seen.add(obj["id"])
            objects.append(obj)
    content = revision.content
    references: list[dict[str, Any]] = [
        {"source_name": "madoguchi", "external_id": advisory.slug, "url": url}
    ]
    references += [{"source_name": "reference", "url": ref} for ref in content.references]
    references += [
        {"source_name": "cve", "external_id": cve} for cve in content.cves if cve.strip()
    ]
    report: dict[str, Any] = {
        "type": "report",
        "spec_version": "2.1",
        "id": report_id(advisory.slug),
        "created_by_ref": identity["id"],
        "created": stix_time(first),
        "modified": stix_time(revision.published_at),
        "name": content.title.get("en"),
        "description": content.summary.get("en"),
        "lang": "en",
        "published": stix_time(revision.published_at),
        "report_types": ["threat-report"],
        "object_refs": sorted(seen) or [identity["id"]],
        "external_references": references,
        "object_marking_refs": [clear],
    }
    if content.tags:
        report["labels"] = list(content.tags)
    objects.append(report)
    if content.title.ja or content.summary.ja:
        objects.append(
            {
                "type": "language-content",
                "spec_version": "2.1",
                "id": "language-content--"
                + str(uuid.uuid5(_NAMESPACE, f"advisory:{advisory.slug}:{revision.number}:ja")),
                "created_by_ref": identity["id"],
                "created": stix_time(revision.published_at),
                "modified": stix_time(revision.published_at),
                "object_ref": report["id"],
                "object_modified": report["modified"],
                "contents": {
                    "ja": {
                        "name": content.title.get("ja"),
                        "description": content.summary.get("ja"),
                    }
                },
                "object_marking_refs": [clear],
            }
        )
    return objects


def advisory_bundle(advisory: Advisory, revision: AdvisoryRevision, url: str) -> dict[str, Any]:
    bundle_id = uuid.uuid5(_NAMESPACE, f"bundle:{advisory.slug}:{revision.number}")
    return {
        "type": "bundle",
        "id": f"bundle--{bundle_id}",
        "objects": advisory_objects(advisory, revision, url),
    }
