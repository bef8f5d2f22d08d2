"""Large outbound transfers in firewall, proxy and flow logs exported as CSV.

Any CSV whose header names a source address, a destination and the bytes sent is read:
FortiGate (``srcip``, ``dstip``, ``sentbyte``), Palo Alto traffic exports (``Source
address``, ``Destination address``, ``Bytes Sent``), W3C proxy logs as CSV (``c-ip``,
``cs-host``, ``cs-bytes``), NetFlow/IPFIX exports (``sa``, ``da``, ``ibyt``) and Japanese
column names (``送信元アドレス``, ``宛先アドレス``, ``送信バイト数``). The columns can
be named in the run settings: ``netflow_columns = {"src": ..., "dst": ..., "bytes_out":
..., "time": ..., "dst_host": ..., "user": ...}``.

Bytes sent are added up per (source, destination) over the whole file; pairs from an
internal source to an internet destination that reach ``netflow_large_bytes`` (default
100 MiB) become a ``netflow.large-outbound`` finding with the total, the time range and
the lines of the largest records.
"""

from __future__ import annotations

import csv
import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import AnalysisContext, BaseAnalyzer, EvidenceFile
from madoguchi.analyzers.textio import iter_lines
from madoguchi.domain.findings import AnalyzerOutput, Finding, Observable, Severity, Stage

#: Files the conformance test runs this analyzer on.
EXAMPLES = (Path(__file__).parent / "examples" / "firewall-traffic.csv",)

DEFAULT_LARGE_BYTES = 100 * 1024**2
RULE_ID = "netflow.large-outbound"

COLUMNS: Mapping[str, tuple[str, ...]] = {
    "src": (
        "srcip", "src", "src_ip", "source", "source_ip", "source address", "sourceip", "sa",
        "c-ip", "client_ip", "src_addr", "送信元アドレス", "送信元ip", "送信元ipアドレス",
    ),
    "dst": (
        "dstip", "dst", "dst_ip", "destination", "destination_ip", "destination address",
        "dest_ip", "da", "s-ip", "server_ip", "dst_addr", "宛先アドレス", "宛先ip",
        "宛先ipアドレス",
    ),
    "bytes_out": (
        "sentbyte", "bytes_sent", "bytes sent", "bytes_out", "sent_bytes", "bytessent",
        "out_bytes", "cs-bytes", "ibyt", "client_bytes", "送信バイト", "送信バイト数",
    ),
    "time": (
        "time", "timestamp", "datetime", "date_time", "receive time", "generated time",
        "start time", "start", "ts", "eventtime", "date", "日時", "受信日時", "開始日時",
    ),
    "dst_host": (
        "dsthost", "hostname", "cs-host", "url", "destination host", "dstname", "app",
        "application", "宛先ホスト", "アプリケーション",
    ),
    "user": ("user", "srcuser", "source user", "username", "cs-username", "ユーザー", "ユーザ"),
}  # fmt: skip


def _key(name: str) -> str:
    return name.strip().strip('"').lower()


def find_columns(
    header: list[str], configured: Mapping[str, Any] | None = None
) -> dict[str, int] | None:
    """Column positions by role; ``None`` unless source, destination and bytes are found."""
    names = [_key(h) for h in header]
    found: dict[str, int] = {}
    for role, aliases in COLUMNS.items():
        wanted = configured.get(role) if configured else None
        candidates = (_key(str(wanted)),) if wanted else aliases
        for alias in candidates:
            if alias in names:
                found[role] = names.index(alias)
                break
    if not {"src", "dst", "bytes_out"} <= set(found):
        return None
    return found


#: Addresses inside an organisation (RFC 1918, CGNAT, loopback, link-local, ULA). Anything
#: else, documentation ranges included, counts as the internet.
_INTERNAL = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _internal(text: str) -> bool:
    address = _address(text)
    return address is not None and any(address in net for net in _INTERNAL)


def _external(text: str) -> bool:
    """An internet address, or a host name (a proxy's destination)."""
    return bool(text.strip()) and not _internal(text)


def _time(text: str) -> datetime | None:
    value = text.strip().replace("Z", "+00:00").replace("/", "-")
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@dataclass
class _Pair:
    total: int = 0
    records: int = 0
    first: datetime | None = None
    last: datetime | None = None
    largest: list[tuple[int, int]] = field(default_factory=list)  # (bytes, line)
    hosts: set[str] = field(default_factory=set)
    users: set[str] = field(default_factory=set)

    def add(self, size: int, line: int, when: datetime | None) -> None:
        self.total += size
        self.records += 1
        if when is not None:
            self.first = min(self.first, when) if self.first else when
            self.last = max(self.last, when) if self.last else when
        self.largest.append((size, line))
        if len(self.largest) > 20:
            self.largest = sorted(self.largest, reverse=True)[:5]


def _size(text: str) -> int | None:
    try:
        return int(float(text.strip().replace(",", "") or "0"))
    except ValueError:
        return None


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{size} B"
        value /= 1024
    return f"{size} B"  # pragma: no cover


class FlowLogAnalyzer(BaseAnalyzer):
    name: ClassVar[str] = "netflow"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset({kinds.CSV})

    def sniff(self, evidence: EvidenceFile) -> bool:
        if evidence.kind not in self.accepts:
            return False
        first = evidence.head.split(b"\n", 1)[0]
        for encoding in ("utf-8-sig", "cp932", "utf-16"):
            try:
                text = first.decode(encoding)
            except UnicodeDecodeError:
                continue
            header = next(csv.reader([text.strip("\r")]), [])
            if find_columns(header) is not None:
                return True
        return False

    def analyze(self, evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[AnalyzerOutput]:
        settings = ctx.options.settings
        configured = settings.get("netflow_columns")
        threshold = int(settings.get("netflow_large_bytes") or DEFAULT_LARGE_BYTES)
        lines = iter_lines(
            evidence.local_path,
            on_long_line=lambda n: ctx.warn("line too long, cut", path=evidence.path, line=n),
        )
        columns: dict[str, int] | None = None
        pairs: dict[tuple[str, str], _Pair] = {}
        for number, text in lines:
            row = next(csv.reader([text]), [])
            if columns is None:
                columns = find_columns(row, configured if isinstance(configured, Mapping) else None)
                if columns is None:
                    ctx.warn(
                        "no source, destination and bytes-sent columns in the header",
                        path=evidence.path,
                        line=number,
                    )
                    return
                continue
            if not row:
                continue
            if len(row) <= max(columns.values()):
                ctx.skipped("fewer columns than the header", path=evidence.path, line=number)
                continue
            ctx.count_events()
            size = _size(row[columns["bytes_out"]])
            if size is None:
                ctx.skipped("bytes sent is not a number", path=evidence.path, line=number)
                continue
            src, dst = row[columns["src"]].strip(), row[columns["dst"]].strip()
            if not _internal(src) or not _external(dst):
                continue
            pair = pairs.setdefault((src, dst), _Pair())
            pair.add(size, number, _time(row[columns["time"]]) if "time" in columns else None)
            if "dst_host" in columns and row[columns["dst_host"]].strip():
                pair.hosts.add(row[columns["dst_host"]].strip()[:200])
            if "user" in columns and row[columns["user"]].strip():
                pair.users.add(row[columns["user"]].strip()[:200])
        for (src, dst), pair in sorted(pairs.items()):
            if pair.total >= threshold:
                yield from self._finding(evidence, src, dst, pair)

    def _finding(
        self, evidence: EvidenceFile, src: str, dst: str, pair: _Pair
    ) -> Iterator[AnalyzerOutput]:
        largest = sorted(pair.largest, reverse=True)[:5]
        size = _human(pair.total)
        yield Finding(
            analyzer=self.name,
            rule_id=RULE_ID,
            title="Large outbound transfer to an internet address",
            severity=Severity.HIGH if pair.total >= 1024**3 else Severity.MEDIUM,
            timestamp=pair.first,
            first_seen=pair.first,
            last_seen=pair.last,
            description=(
                f"{src} sent {size} to {dst} in {pair.records} records. Compare with the "
                "organisation's normal uploads and backups; data theft before extortion "
                "looks like this."
            ),
            attack=("T1048", "T1567"),
            stage=Stage.POST_EXPLOITATION,
            source_ip=src,
            account=", ".join(sorted(pair.users)) or None,
            evidence=evidence.ref(line=largest[0][1]),
            details={
                "bytes_out": pair.total,
                "destination": dst,
                "records": pair.records,
                "application": sorted(pair.hosts),
                "largest_lines": [line for _, line in largest],
                "ja": {
                    "title": "インターネット上のアドレスへの大量送信",
                    "description": (
                        f"{src} から {dst} へ {pair.records} 件の記録で合計 {size} が送信"
                        "されています。通常のアップロードやバックアップと比較してください。"
                        "恐喝の前のデータ窃取はこのように見えます。"
                    ),
                },
            },
        )
        kind = "ioc:ipv6" if ":" in dst else "ioc:ipv4"
        try:
            ipaddress.ip_address(dst)
        except ValueError:
            kind = "ioc:domain"
        yield Observable(
            kind, dst, "destination of a large outbound transfer", evidence.ref(line=largest[0][1])
        )
