"""What analyzers produce: findings, observables, timeline events, result sections.

These are plain values with namespaced type strings (``ioc:ipv4``,
``windows:evtx:logon``) so every renderer and exporter can read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from madoguchi.domain.quick_init import quick_frozen_init


class Severity(StrEnum):
    INFORMATIONAL = "informational"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)

    @classmethod
    def from_sigma_level(cls, level: str | None) -> Severity:
        try:
            return cls((level or "informational").lower())
        except ValueError:
            return cls.INFORMATIONAL


class Stage(StrEnum):
    """How far an attack got, as device and cloud analyzers report it."""

    SCAN = "scan"
    ATTEMPT = "attempt"
    EXPLOITED = "exploited"
    POST_EXPLOITATION = "post-exploitation"
    IMPACT = "impact"


@quick_frozen_init
@dataclass(frozen=True, slots=True)
class EvidenceRef:
    """Where in the evidence a result comes from.

    ``path`` is the path as walked; inside an archive it is the archive path, then
    ``!``, then the member path (``logs.zip!Security.evtx``).
    """

    path: str
    record_id: int | None = None
    line: int | None = None


@quick_frozen_init
@dataclass(frozen=True, slots=True)
class Finding:
    analyzer: str
    rule_id: str
    title: str
    severity: Severity
    timestamp: datetime | None = None
    description: str = ""
    attack: tuple[str, ...] = ()
    host: str | None = None
    account: str | None = None
    source_ip: str | None = None
    evidence: EvidenceRef | None = None
    stage: Stage | None = None
    cve: tuple[str, ...] = ()
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@quick_frozen_init
@dataclass(frozen=True, slots=True)
class Observable:
    """A value worth matching against the indicator store (``ioc:ipv4``, ``ioc:sha256`` …)."""

    type: str
    value: str
    context: str = ""
    evidence: EvidenceRef | None = None
    timestamp: datetime | None = None


@quick_frozen_init
@dataclass(frozen=True, slots=True)
class TimelineEvent:
    timestamp: datetime
    source: str
    message: str
    timestamp_desc: str = "Event Recorded"
    host: str | None = None
    account: str | None = None
    evidence: EvidenceRef | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Section:
    """A named block of structured results beyond findings (``logons``, ``ransomware``).

    The runner collects sections by name into the result document; their ``data``
    must be JSON-serialisable.
    """

    name: str
    data: Mapping[str, Any]


AnalyzerOutput = Finding | Observable | TimelineEvent | Section
