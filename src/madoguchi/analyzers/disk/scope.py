"""What every artefact family gets: the open target, where it came from, and helpers.

A family is a small generator function ``(scope) -> outputs``; the :class:`Scope`
builds the values it yields so every output of a disk run names the image, the path
inside it and the host the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from madoguchi.analyzers.base import AnalysisContext, EvidenceFile
from madoguchi.domain.findings import (
    AnalyzerOutput,
    EvidenceRef,
    Finding,
    Observable,
    Severity,
    TimelineEvent,
)

DEFAULT_TIMELINE_LIMIT = 200_000
"""Timeline events one family may yield before it stops and warns (memory bound)."""


@dataclass
class Scope:
    analyzer: str
    evidence: EvidenceFile
    ctx: AnalysisContext
    target: Any
    os: str
    host: str | None = None
    mode: str = "image"  # "image" or "triage"
    family: str = ""
    _timeline_count: int = field(default=0, repr=False)

    @property
    def settings(self) -> Mapping[str, Any]:
        return self.ctx.options.settings

    @property
    def timeline_limit(self) -> int:
        value = self.settings.get("disk_timeline_limit", DEFAULT_TIMELINE_LIMIT)
        return value if isinstance(value, int) and value > 0 else DEFAULT_TIMELINE_LIMIT

    def ref(self, inner: str | None = None, *, line: int | None = None) -> EvidenceRef:
        """``image.E01!C:/Windows/…`` for a path inside the image, else the input path."""
        if not inner:
            return self.evidence.ref(line=line)
        return EvidenceRef(path=f"{self.evidence.path}!{display_inner(inner)}", line=line)

    def warn(self, message: str, inner: str | None = None) -> None:
        prefix = f"[{self.family}] " if self.family else ""
        self.ctx.warn(prefix + message, path=self.ref(inner).path)

    def finding(
        self,
        rule_id: str,
        title: str,
        severity: Severity,
        *,
        description: str,
        attack: tuple[str, ...],
        inner: str | None = None,
        timestamp: datetime | None = None,
        account: str | None = None,
        ja: tuple[str, str] | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> Finding:
        extra: dict[str, Any] = {"artifact": self.family, "os": self.os}
        if inner:
            extra["path_in_image"] = display_inner(inner)
        extra.update(details or {})
        if ja is not None:
            extra["ja"] = {"title": ja[0], "description": ja[1]}
        return Finding(
            analyzer=self.analyzer,
            rule_id=rule_id,
            title=title,
            severity=severity,
            timestamp=timestamp,
            description=description,
            attack=attack,
            host=self.host,
            account=account,
            evidence=self.ref(inner),
            details=extra,
        )

    def event(
        self,
        timestamp: datetime | None,
        source: str,
        message: str,
        *,
        desc: str = "Event Recorded",
        inner: str | None = None,
        account: str | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> Iterator[TimelineEvent]:
        """Zero or one timeline event (none without a time or past the family's limit)."""
        if timestamp is None:
            return
        self._timeline_count += 1
        if self._timeline_count > self.timeline_limit:
            if self._timeline_count == self.timeline_limit + 1:
                self.warn(
                    f"more than {self.timeline_limit} timeline events: the rest are not "
                    "listed (raise the setting disk_timeline_limit)"
                )
            return
        yield TimelineEvent(
            timestamp=timestamp,
            source=source,
            message=message,
            timestamp_desc=desc,
            host=self.host,
            account=account,
            evidence=self.ref(inner),
            attributes=dict(attributes or {}),
        )

    def observable(
        self, kind: str, value: str, context: str, inner: str | None = None
    ) -> Observable:
        return Observable(kind, value, context, self.ref(inner))

    def start_family(self, name: str) -> None:
        self.family = name
        self._timeline_count = 0


Family = Callable[[Scope], Iterator[AnalyzerOutput]]


def display_inner(path: str) -> str:
    """A path inside the image as a handler reads it: ``C:/Windows/…`` or ``/etc/…``."""
    text = str(path).replace("\\", "/")
    lower = text.lower()
    if lower.startswith("sysvol/"):
        return "C:/" + text[len("sysvol/") :]
    if len(text) >= 2 and text[1] == ":":
        return text[0].upper() + text[1:]
    return text


def as_utc(value: Any) -> datetime | None:
    """A record time as an aware UTC datetime; ``None`` for missing or epoch-zero times."""
    if not isinstance(value, datetime):
        return None
    when = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if when.year < 1980:
        return None
    return when.astimezone(UTC)
