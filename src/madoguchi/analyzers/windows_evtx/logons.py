"""Who logged on where, from where, how, and how often — LogonTracer's question, no graph DB.

Read from Security events 4624 (logon), 4625 (failed logon) and 4648 (logon with
explicit credentials), per Microsoft's auditing documentation
(https://learn.microsoft.com/windows/security/threat-protection/auditing/event-4624).
The result is one JSON-serialisable ``logons`` section per file: per account and host,
the logon types, source addresses, first and last seen, success and failure counts,
with a flag on logons from external (internet-routable) addresses and, when the run
names them (setting ``evtx_vpn_pools``: a list of CIDRs), from VPN address pools.
Windows' own service accounts (SYSTEM, LOCAL SERVICE, DWM-n …) and machine accounts
(``NAME$``) are counted but not listed.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from madoguchi.analyzers.base import EvidenceFile
from madoguchi.analyzers.windows_evtx.accounts import (
    is_builtin_account,
    is_external,
    parse_ip,
    present,
    qualified,
    source_ip_of,
)
from madoguchi.domain.findings import Finding, Severity

SUCCESS, FAILURE, EXPLICIT = 4624, 4625, 4648
LOGON_EVENTS = frozenset({SUCCESS, FAILURE, EXPLICIT})

#: Logon type numbers → names, as Microsoft documents them for 4624.
LOGON_TYPES: Mapping[str, str] = {
    "2": "Interactive",
    "3": "Network",
    "4": "Batch",
    "5": "Service",
    "7": "Unlock",
    "8": "NetworkCleartext",
    "9": "NewCredentials",
    "10": "RemoteInteractive",
    "11": "CachedInteractive",
    "12": "CachedRemoteInteractive",
    "13": "CachedUnlock",
}
MAX_SOURCES = 50


@dataclass
class _Source:
    address: str | None
    workstation: str | None
    count: int = 0
    failures: int = 0


@dataclass
class _Pair:
    account: str
    host: str
    types: Counter[str] = field(default_factory=Counter)
    sources: dict[tuple[str | None, str | None], _Source] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None
    success: int = 0
    failure: int = 0
    explicit: int = 0


def vpn_networks(
    values: Iterable[Any],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    nets = []
    for value in values:
        try:
            nets.append(ipaddress.ip_network(str(value), strict=False))
        except ValueError:
            continue
    return tuple(nets)


class LogonTracker:
    """Aggregates logon events of one file into the ``logons`` section."""

    def __init__(self, vpn_pools: Iterable[Any] = (), *, max_sources: int = MAX_SOURCES) -> None:
        self.pairs: dict[tuple[str, str], _Pair] = {}
        self.omitted = 0
        self.vpn = vpn_networks(vpn_pools)
        self.max_sources = max_sources

    def merge(self, other: LogonTracker) -> None:
        """Add what another tracker saw in a later part of the same file.

        ``other`` should keep every source (``max_sources`` unbounded): then the merged
        counts are exactly those of one tracker that saw both parts in order.
        """
        self.omitted += other.omitted
        for key, theirs in other.pairs.items():
            pair = self.pairs.get(key)
            if pair is None:
                pair = self.pairs[key] = _Pair(theirs.account, theirs.host)
            pair.types.update(theirs.types)
            pair.success += theirs.success
            pair.failure += theirs.failure
            pair.explicit += theirs.explicit
            for when in (theirs.first, theirs.last):
                if when is not None:
                    if pair.first is None or when < pair.first:
                        pair.first = when
                    if pair.last is None or when > pair.last:
                        pair.last = when
            for source_key, src in theirs.sources.items():
                source = pair.sources.get(source_key)
                if source is None:
                    if len(pair.sources) >= self.max_sources:
                        continue
                    source = pair.sources[source_key] = _Source(src.address, src.workstation)
                source.count += src.count
                source.failures += src.failures

    def observe(self, event: Mapping[str, Any], when: datetime | None) -> None:
        eid = event.get("EventID")
        account = qualified(present(event.get("TargetUserName")), event.get("TargetDomainName"))
        host = present(event.get("Computer"))
        address = source_ip_of(event)
        workstation = present(event.get("WorkstationName"))
        if eid == EXPLICIT:
            # 4648 is written on the machine the credentials are used *from*; its
            # network address is the target's, so the edge runs Computer → target server.
            target = present(event.get("TargetServerName"))
            if target is not None and target.lower() not in ("localhost", "127.0.0.1"):
                workstation, host, address = host, target, None
        if account is None or host is None:
            return
        if is_builtin_account(account):
            self.omitted += 1
            return
        key = (account, host)
        pair = self.pairs.get(key)
        if pair is None:
            pair = self.pairs[key] = _Pair(account, host)
        logon_type = present(event.get("LogonType"))
        if eid == SUCCESS:
            pair.success += 1
        elif eid == FAILURE:
            pair.failure += 1
        else:
            pair.explicit += 1
            logon_type = logon_type or "explicit"
        if logon_type is not None:
            pair.types[logon_type] += 1
        source_key = (address, workstation)
        source = pair.sources.get(source_key)
        if source is None and len(pair.sources) < self.max_sources:
            source = pair.sources[source_key] = _Source(address, workstation)
        if source is not None:
            source.count += 1
            if eid == FAILURE:
                source.failures += 1
        if when is not None:
            if pair.first is None or when < pair.first:
                pair.first = when
            if pair.last is None or when > pair.last:
                pair.last = when

    def in_vpn_pool(self, address: str | None) -> bool:
        if address is None or not self.vpn:
            return False
        parsed = parse_ip(address)
        return parsed is not None and any(parsed in net for net in self.vpn)

    def section(self, path: str) -> dict[str, Any]:
        """The JSON-serialisable ``logons`` section data."""
        rows: list[dict[str, Any]] = []
        external_sources: set[str] = set()
        for pair in sorted(self.pairs.values(), key=lambda p: (p.account.lower(), p.host.lower())):
            sources = []
            for src in sorted(pair.sources.values(), key=lambda s: (-s.count, s.address or "")):
                external = src.address is not None and is_external(src.address)
                if external and src.address is not None:
                    external_sources.add(src.address)
                sources.append(
                    {
                        "address": src.address,
                        "workstation": src.workstation,
                        "count": src.count,
                        "failures": src.failures,
                        "external": external,
                        "vpn_pool": self.in_vpn_pool(src.address),
                    }
                )
            rows.append(
                {
                    "account": pair.account,
                    "host": pair.host,
                    "logon_types": {
                        LOGON_TYPES.get(t, t): n for t, n in sorted(pair.types.items())
                    },
                    "sources": sources,
                    "first_seen": pair.first.isoformat() if pair.first else None,
                    "last_seen": pair.last.isoformat() if pair.last else None,
                    "success": pair.success,
                    "failure": pair.failure,
                    "explicit": pair.explicit,
                    "external": any(s["external"] for s in sources),
                    "vpn_pool": any(s["vpn_pool"] for s in sources),
                }
            )
        return {
            "file": path,
            "logons": rows,
            "accounts": sorted({r["account"] for r in rows}, key=str.lower),
            "hosts": sorted({r["host"] for r in rows}, key=str.lower),
            "external_sources": sorted(external_sources),
            "omitted_builtin": self.omitted,
        }


VPN_POOL_LOGON = "madoguchi-evtx-vpn-pool-logon"


def vpn_pool_findings(
    section: Mapping[str, Any], analyzer: str, evidence: EvidenceFile
) -> Iterator[Finding]:
    """One low-severity finding per account and host reached from a VPN address pool.

    Intrusions through VPN appliances (stolen credentials, appliance exploits) show up
    on Windows as logons from the VPN's client address pool; listing who came in that
    way lets the desk compare against the VPN's own logs.
    """
    for row in section.get("logons", ()):
        if not row.get("vpn_pool"):
            continue
        addresses = [s["address"] for s in row["sources"] if s.get("vpn_pool")]
        account, host = row["account"], row["host"]
        yield Finding(
            analyzer=analyzer,
            rule_id=VPN_POOL_LOGON,
            title="Logon from the VPN address pool",
            severity=Severity.LOW,
            description=(
                f"{account} logged on to {host} from VPN pool address(es) "
                f"{', '.join(addresses)}; compare with the VPN appliance's session log."
            ),
            attack=("T1133", "T1078"),
            host=host,
            account=account,
            source_ip=addresses[0] if addresses else None,
            evidence=evidence.ref(),
            first_seen=_parse(row.get("first_seen")),
            last_seen=_parse(row.get("last_seen")),
            timestamp=_parse(row.get("first_seen")),
            details={
                "addresses": addresses,
                "logon_types": row.get("logon_types", {}),
                "success": row.get("success", 0),
                "failure": row.get("failure", 0),
                "ja": {
                    "title": "VPN アドレス プールからのログオン",
                    "description": (
                        f"{account} が VPN プールのアドレス ({', '.join(addresses)}) から "
                        f"{host} にログオンしています。"
                        "VPN 装置のセッション ログと照合してください。"
                    ),
                },
            },
        )


def _parse(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None
