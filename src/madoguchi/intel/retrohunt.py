"""Retro-hunt: look for newly learned indicators in what the desk already holds.

Pure: the caller (a job the desk runs when indicators arrive) passes the new
indicators, the stored observations and optionally raw text files, and gets the
sightings back to store. Nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from madoguchi.domain.findings import Observable, Stage
from madoguchi.domain.indicator import Indicator, Sighting
from madoguchi.intel.matcher import Matcher


@dataclass(frozen=True, slots=True)
class Observation:
    """A stored observable of one case's evidence (``type`` is ``ioc:ipv4`` …)."""

    type: str
    value: str
    case_id: int | None = None
    evidence_id: int | None = None
    timestamp: datetime | None = None
    organisation_id: int | None = None
    stage: Stage | None = None
    context: str = ""


@dataclass(frozen=True, slots=True)
class TextSource:
    """A raw text file of a case's evidence to search (logs kept as files)."""

    path: Path
    case_id: int | None = None
    evidence_id: int | None = None
    organisation_id: int | None = None


def retrohunt(
    indicators: Iterable[Indicator],
    observations: Iterable[Observation],
    *,
    texts: Iterable[TextSource] = (),
    as_of: datetime | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> list[Sighting]:
    """Sightings of ``indicators`` among ``observations`` and in ``texts``.

    One sighting per (indicator, case, evidence, observation); in a text file one
    per (indicator, file) with the number of occurrences in ``count`` and the first
    line as context. False-positive and expired indicators are not hunted.
    """
    matcher = Matcher.build(indicators, as_of=as_of)
    if not len(matcher):
        return []
    sightings: list[Sighting] = []
    seen: set[tuple[object, ...]] = set()
    for observation in observations:
        observable = Observable(
            observation.type,
            observation.value,
            observation.context,
            timestamp=observation.timestamp,
        )
        for match in matcher.match_observables([observable]):
            key = (
                match.indicator.key,
                observation.case_id,
                observation.evidence_id,
                observation.type,
                observation.value,
            )
            if key in seen:
                continue
            seen.add(key)
            sightings.append(
                Sighting(
                    indicator=match.indicator,
                    case_id=observation.case_id,
                    evidence_id=observation.evidence_id,
                    seen_at=observation.timestamp,
                    context=observation.context or f"{observation.type} {observation.value}",
                    organisation_id=observation.organisation_id,
                    stage=observation.stage,
                )
            )
    for source in texts:
        sightings.extend(_hunt_file(matcher, source, on_warning))
    return sightings


def _hunt_file(
    matcher: Matcher, source: TextSource, on_warning: Callable[[str], None] | None
) -> list[Sighting]:
    first: dict[tuple[object, ...], tuple[Indicator, str]] = {}
    counts: dict[tuple[object, ...], int] = {}
    for match in matcher.scan_file(source.path, on_warning=on_warning):
        key = match.indicator.key
        if key not in first:
            first[key] = (match.indicator, f"{source.path.name}:{match.line}: {match.context}")
        counts[key] = counts.get(key, 0) + 1
    return [
        Sighting(
            indicator=indicator,
            case_id=source.case_id,
            evidence_id=source.evidence_id,
            context=context,
            organisation_id=source.organisation_id,
            count=counts[key],
        )
        for key, (indicator, context) in first.items()
    ]
