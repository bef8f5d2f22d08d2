"""Turning what analyzers yield (domain values) into result-document records."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from madoguchi.analysis.result import (
    EvidenceRecord,
    FindingRecord,
    IndicatorRecord,
    TimelineRecord,
    iso_utc,
    jsonable,
)
from madoguchi.domain.findings import EvidenceRef, Finding, Observable, Severity, TimelineEvent


def evidence_record(ref: EvidenceRef | None, fallback_path: str) -> EvidenceRecord:
    """Where a result comes from; results without a reference point at their input."""
    if ref is None:
        return EvidenceRecord(fallback_path)
    return EvidenceRecord(ref.path or fallback_path, ref.record_id, ref.line)


def finding_record(finding: Finding, path: str) -> FindingRecord:
    return FindingRecord(
        analyzer=finding.analyzer,
        rule_id=finding.rule_id,
        title=finding.title,
        severity=Severity(finding.severity).value,
        attack=tuple(str(t) for t in finding.attack),
        timestamp=iso_utc(finding.timestamp),
        host=finding.host,
        account=finding.account,
        source_ip=finding.source_ip,
        description=finding.description,
        evidence=evidence_record(finding.evidence, path),
        stage=finding.stage.value if finding.stage is not None else None,
        cve=tuple(str(c) for c in finding.cve),
        first_seen=iso_utc(finding.first_seen),
        last_seen=iso_utc(finding.last_seen),
        details=_mapping(finding.details),
    )


def timeline_record(
    event: TimelineEvent, path: str, strings: dict[str, str] | None = None
) -> TimelineRecord:
    """The record of one timeline event.

    ``strings``, kept by the caller across calls, shares equal message, host and account
    strings between records: a flood of identical events (thousands of failed logons)
    then holds each text once.
    """
    message, host, account = event.message, event.host, event.account
    if strings is not None:
        message = strings.setdefault(message, message)
        if host is not None:
            host = strings.setdefault(host, host)
        if account is not None:
            account = strings.setdefault(account, account)
    return TimelineRecord(
        timestamp=iso_utc(event.timestamp) or "",
        source=event.source,
        message=message,
        timestamp_desc=event.timestamp_desc,
        host=host,
        account=account,
        evidence=evidence_record(event.evidence, path),
        attributes=_mapping(event.attributes),
    )


def indicator_record(observable: Observable, path: str) -> IndicatorRecord:
    return IndicatorRecord(
        type=observable.type,
        value=observable.value,
        context=observable.context,
        evidence=evidence_record(observable.evidence, path),
    )


def section_item(data: Mapping[str, Any], path: str) -> dict[str, Any]:
    item = _mapping(data)
    item["path"] = path
    return item


def _mapping(data: Mapping[str, Any]) -> dict[str, Any]:
    """``jsonable(data)``, with a quick copy for the usual case: plain values, lists of
    strings, and dicts of those one level down (a finding's ``matched`` fields)."""
    if type(data) is dict:
        out = _plain_copy(data)
        if out is not None:
            return out
    value = jsonable(dict(data))
    assert isinstance(value, dict)
    return value


_PLAIN = (str, bool, type(None))
_INT_RANGE = range(-(2**63), 2**64)


def _plain_copy(data: dict[Any, Any], *, nested: bool = True) -> dict[str, Any] | None:
    """A copy of ``data`` as :func:`jsonable` would return it, or ``None`` when a key or
    value needs :func:`jsonable` itself."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        if type(k) is not str:
            return None
        kind = type(v)
        if kind in _PLAIN or (kind is int and v in _INT_RANGE):
            out[k] = v
        elif kind is list and all(type(item) is str for item in v):
            out[k] = list(v)
        elif kind is dict and nested:
            inner = _plain_copy(v, nested=False)
            if inner is None:
                return None
            out[k] = inner
        else:
            return None
    return out


def as_utc(when: datetime | None) -> datetime | None:
    if when is None:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def in_window(
    since: datetime | None,
    until: datetime | None,
    when: datetime | None,
    *,
    first: datetime | None = None,
    last: datetime | None = None,
) -> bool:
    """Whether a result belongs in ``--since``/``--until``.

    A result with a timestamp is kept when the timestamp lies inside; one with only a
    first/last-seen range when the range overlaps; one with no time at all is kept.
    """
    if since is None and until is None:
        return True
    point = as_utc(when)
    start, end = (point, point) if point is not None else (as_utc(first), as_utc(last))
    if start is None and end is None:
        return True
    start = start or end
    end = end or start
    assert start is not None and end is not None
    if since is not None and end < since:
        return False
    return not (until is not None and start > until)
