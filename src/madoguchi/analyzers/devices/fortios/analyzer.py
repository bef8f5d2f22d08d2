"""Fortinet FortiOS (FortiGate, FortiProxy): event logs as key=value syslog or CSV export.

Reads the system events (``sslvpnd`` crashes, admin logins, configuration changes) and
the VPN events (SSL-VPN login failures, tunnels with ``remip`` / ``tunnelip``). Message
IDs differ between releases, so rules match the descriptive fields ``logdesc``,
``action``, ``msg``, ``cfgpath`` and ``ui``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import EvidenceFile

from ..engine import FileState, LineRuleAnalyzer, Record
from ..lines import any_line, parse_header, parse_kv, parse_timestamp, split_csv

EXAMPLES = (Path(__file__).parent / "examples" / "fortigate-event.log",)

_SNIFF = re.compile(
    r'\blogid="?\d{10}"?.*\b(?:type|subtype)="?\w|^"?date"?,"?time"?,.*logid', re.IGNORECASE
)
_LOGIN_FAIL = re.compile(r"login fail|ssl-login-fail", re.IGNORECASE)
_TZ = re.compile(r"^([+-])(\d\d):?(\d\d)$")


class FortiosAnalyzer(LineRuleAnalyzer):
    name: ClassVar[str] = "fortios"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset({kinds.TEXT, kinds.CSV, kinds.GZIP})
    rules_file: ClassVar[Path] = Path(__file__).with_name("rules.yml")
    timeline_source: ClassVar[str] = "fortios"
    tracks_logins: ClassVar[bool] = True

    def sniff(self, evidence: EvidenceFile) -> bool:
        return evidence.kind in self.accepts and any_line(evidence, _SNIFF)

    def parse(self, line: str, number: int, state: FileState) -> Record | None:
        columns = state.extra.get("columns")
        if number == 1 and "logid" in line and "=" not in line:
            header = split_csv(line)
            if header:
                state.extra["columns"] = [h.strip().strip('"').lower() for h in header]
                return Record({"message": "CSV header"})
        if isinstance(columns, list):
            values = split_csv(line)
            if values is None:
                return None
            fields = {c: v for c, v in zip(columns, values, strict=False) if v}
            host = None
        else:
            head = parse_header(line)
            fields = parse_kv(head.message)
            host = head.host
            if "logid" not in fields and "type" not in fields:
                return None
        return _record(fields, host)


def _record(fields: dict[str, str], host: str | None) -> Record:
    fields["src_ip"] = fields.get("remip") or fields.get("srcip") or ""
    fields["message"] = fields.get("msg") or fields.get("logdesc") or ""
    stamp = _timestamp(fields)
    login = None
    logdesc = fields.get("logdesc", "")
    action = fields.get("action", "")
    subtype = fields.get("subtype", "")
    if subtype == "vpn" and (_LOGIN_FAIL.search(action) or _LOGIN_FAIL.search(logdesc)):
        login = "failure"
    elif subtype == "vpn" and action in {"tunnel-up", "ssl-login-success", "ssl-web-pass"}:
        login = "success"
    elif "admin login" in logdesc.lower():
        status = fields.get("status", "").lower()
        login = (
            "success"
            if status == "success" or "successful" in logdesc.lower()
            else ("failure" if status.startswith("fail") or "fail" in logdesc.lower() else None)
        )
    return Record(
        {k: v for k, v in fields.items() if v}, stamp, fields.get("devname") or host, login
    )


def _timestamp(fields: dict[str, str]) -> datetime | None:
    date, clock = fields.get("date"), fields.get("time")
    if date and clock:
        stamp = parse_timestamp(f"{date} {clock}")
        zone = _TZ.match(fields.get("tz", "").strip('"'))
        if stamp is not None and zone:
            sign = 1 if zone[1] == "+" else -1
            stamp -= sign * timedelta(hours=int(zone[2]), minutes=int(zone[3]))
        if stamp is not None:
            return stamp
    event_time = fields.get("eventtime", "")
    if event_time.isdigit():
        value = int(event_time)
        while value > 10**11:  # nanoseconds or microseconds since the epoch
            value //= 1000
        return datetime.fromtimestamp(value, UTC)
    return None
