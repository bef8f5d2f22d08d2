"""Turning rule hits into findings: one finding per rule × stage × source, with counts.

A log with ten thousand exploit requests from one address is one finding that says
"10,000 times between A and B", keeps the first line as evidence and a bounded list of
sample line numbers, and one timeline event per sampled line.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from madoguchi.analyzers.base import EvidenceFile
from madoguchi.domain.findings import (
    AnalyzerOutput,
    Finding,
    Observable,
    Severity,
    Stage,
    TimelineEvent,
)

from .rulebook import Hit, Rule

SAMPLE_LINES = 20
TIMELINE_SAMPLES = 20
COLLECT_VALUES = 25
MESSAGE_CHARS = 400


_INTERNAL = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "0.0.0.0/8",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::1/128",
        "::/128",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
)


def ip_type(value: str | None) -> str | None:
    """``ioc:ipv4`` / ``ioc:ipv6`` for an address outside internal ranges, else None.

    Internal means RFC 1918, carrier-grade NAT, loopback, link-local, unique-local,
    multicast and reserved space; everything else (including documentation ranges used
    in examples) is treated as an internet address.
    """
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if any(address.version == net.version and address in net for net in _INTERNAL):
        return None
    return "ioc:ipv4" if address.version == 4 else "ioc:ipv6"


def is_ip(value: str | None) -> bool:
    if not value:
        return False
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return True


@dataclass
class _Group:
    rule: Rule
    stage: Stage
    severity: Severity
    key: str | None
    count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    first_line: int | None = None
    first_record: int | None = None
    lines: list[int] = field(default_factory=list)
    collected: dict[str, list[str]] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)
    samples: list[tuple[datetime, int | None, int | None, str]] = field(default_factory=list)


class HitAggregator:
    """Collects hits of one file and yields findings, observables and timeline events."""

    def __init__(self, analyzer: str, evidence: EvidenceFile, source: str) -> None:
        self.analyzer = analyzer
        self.evidence = evidence
        self.source = source
        self._groups: dict[tuple[str, str, str | None], _Group] = {}

    def add(
        self,
        hit: Hit,
        *,
        line: int | None = None,
        record_id: int | None = None,
        timestamp: datetime | None = None,
        host: str | None = None,
        message: str = "",
        weight: int = 1,
    ) -> None:
        rule = hit.rule
        key_value = hit.fields.get(rule.group_by) or None
        key = (rule.id, hit.stage.value, key_value)
        group = self._groups.get(key)
        if group is None:
            group = _Group(rule, hit.stage, hit.severity, key_value)
            self._groups[key] = group
        if hit.severity.rank > group.severity.rank:
            group.severity = hit.severity
        group.count += weight
        if timestamp is not None:
            if group.first_seen is None or timestamp < group.first_seen:
                group.first_seen = timestamp
            if group.last_seen is None or timestamp > group.last_seen:
                group.last_seen = timestamp
        if group.first_line is None and group.first_record is None:
            group.first_line, group.first_record = line, record_id
        position = line if line is not None else record_id
        if position is not None and len(group.lines) < SAMPLE_LINES:
            group.lines.append(position)
        for name in rule.collect:
            value = hit.fields.get(name)
            if value:
                bucket = group.collected.setdefault(name, [])
                if value not in bucket and len(bucket) < COLLECT_VALUES:
                    bucket.append(value[:MESSAGE_CHARS])
        if host and host not in group.hosts and len(group.hosts) < COLLECT_VALUES:
            group.hosts.append(host)
        if timestamp is not None and len(group.samples) < TIMELINE_SAMPLES:
            group.samples.append((timestamp, line, record_id, message[:MESSAGE_CHARS]))

    def qualifying(self) -> list[_Group]:
        return [g for g in self._groups.values() if g.count >= g.rule.min_count]

    def attacker_addresses(self, *, exclude_prefix: str = "") -> set[str]:
        """Addresses that sent what an ``attacker: true`` rule recognises."""
        found: set[str] = set()
        for group in self.qualifying():
            if not group.rule.attacker:
                continue
            if exclude_prefix and group.rule.id.startswith(exclude_prefix):
                continue
            if group.rule.group_by == "src_ip":
                candidates = [group.key] if group.key else []
            else:
                candidates = group.collected.get("src_ip", [])
            found.update(c for c in candidates if is_ip(c))
        return found

    def outputs(self) -> Iterator[AnalyzerOutput]:
        seen_observables: set[tuple[str, str]] = set()
        for group in sorted(self.qualifying(), key=lambda g: (g.first_line or 0, g.rule.id)):
            yield self._finding(group)
            rule = group.rule
            if rule.observable:
                if rule.group_by == "src_ip":
                    addresses = [group.key] if group.key else []
                else:
                    addresses = group.collected.get("src_ip", [])
                for address in addresses:
                    kind = ip_type(address)
                    marker = (address, rule.observable)
                    if kind is None or marker in seen_observables:
                        continue
                    seen_observables.add(marker)
                    yield Observable(
                        kind,
                        address.strip("[]"),
                        rule.observable,
                        self.evidence.ref(line=group.first_line, record_id=group.first_record),
                        group.first_seen,
                    )
            for stamp, line, record_id, message in group.samples:
                yield TimelineEvent(
                    timestamp=stamp,
                    source=self.source,
                    message=f"{rule.title['en']}: {message}",
                    host=group.hosts[0] if group.hosts else None,
                    evidence=self.evidence.ref(line=line, record_id=record_id),
                    attributes={"rule_id": rule.id, "stage": group.stage.value},
                )

    def _finding(self, group: _Group) -> Finding:
        rule = group.rule
        details: dict[str, Any] = dict(rule.details)
        details.update(
            {
                "count": group.count,
                "sample_lines": list(group.lines),
                "ja": {"title": rule.title["ja"], "description": rule.description["ja"]},
            }
        )
        if rule.group_by not in ("src_ip", "user") and group.key:
            details[rule.group_by] = group.key
        for name, values in group.collected.items():
            details[name] = list(values)
        if len(group.hosts) > 1:
            details["hosts"] = list(group.hosts)
        users = (
            [group.key]
            if rule.group_by == "user" and group.key
            else group.collected.get("user", [])
        )
        source_ip = group.key if rule.group_by == "src_ip" else None
        if source_ip is None:
            addresses = group.collected.get("src_ip", [])
            source_ip = addresses[0] if len(addresses) == 1 else None
        return Finding(
            analyzer=self.analyzer,
            rule_id=rule.id,
            title=rule.title["en"],
            severity=group.severity,
            timestamp=group.first_seen,
            description=rule.description["en"],
            attack=rule.attack,
            host=group.hosts[0] if group.hosts else None,
            account=users[0] if len(users) == 1 else None,
            source_ip=source_ip.strip("[]") if source_ip else None,
            evidence=self.evidence.ref(line=group.first_line, record_id=group.first_record),
            stage=group.stage,
            cve=rule.cve,
            first_seen=group.first_seen,
            last_seen=group.last_seen,
            details=details,
        )
