"""SonicWall SonicOS: event logs as key=value syslog (``id=firewall sn=… m=… msg=…``) or
the CSV export of the log view.

Message IDs were not confirmed in public sources for every release, so logins are
recognised from the message text. Akira and Fog affiliates entered through SSL-VPN
logins (CVE-2024-40766, reused Gen6 passwords); the findings are brute force, success
after failures, logins from attack sources and accounts used from many networks, plus
a section listing every SSL-VPN login for review.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import EvidenceFile

from ..engine import FileState, LineRuleAnalyzer, Record
from ..lines import any_line, parse_header, parse_kv, parse_timestamp, split_csv

EXAMPLES = (Path(__file__).parent / "examples" / "sonicwall-syslog.log",)

_SNIFF = re.compile(
    r"\bid=firewall\b(?!.*\bvpn=ive\b).*\b(?:sn|fw)=|"
    r'"?Src\. IP"?.*"?Message"?|"?Message"?.*"?Src\. IP"?',
    re.IGNORECASE,
)
_SUCCESS = re.compile(
    r"login allowed|user login successful|logged in successfully|"
    r"login succeeded",
    re.IGNORECASE,
)
_FAILURE = re.compile(
    r"login denied|login fail|bad credential|password (?:failed|incorrect)|"
    r"invalid (?:user ?name|password)|authentication fail",
    re.IGNORECASE,
)
_EXPORT = {
    "time": "time",
    "src. ip": "src_ip",
    "source ip": "src_ip",
    "message": "msg",
    "user name": "user",
    "user": "user",
    "event": "event",
    "category": "category",
    "id": "m",
    "priority": "pri",
    "dst. ip": "dst_ip",
    "destination ip": "dst_ip",
    "notes": "note",
    "src. port": "src_port",
    "dst. port": "dst_port",
}


class SonicwallAnalyzer(LineRuleAnalyzer):
    name: ClassVar[str] = "sonicwall"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset({kinds.TEXT, kinds.CSV, kinds.GZIP})
    rules_file: ClassVar[Path] = Path(__file__).with_name("rules.yml")
    timeline_source: ClassVar[str] = "sonicwall"
    tracks_logins: ClassVar[bool] = True

    def sniff(self, evidence: EvidenceFile) -> bool:
        return evidence.kind in self.accepts and any_line(evidence, _SNIFF)

    def parse(self, line: str, number: int, state: FileState) -> Record | None:
        columns = state.extra.get("columns")
        if number == 1 and "=" not in line and "src. ip" in line.lower():
            header = split_csv(line)
            if header:
                state.extra["columns"] = [_EXPORT.get(h.strip().lower(), "") for h in header]
                return Record({"message": "CSV header"})
        if isinstance(columns, list):
            values = split_csv(line)
            if values is None:
                return None
            fields = {c: v.strip() for c, v in zip(columns, values, strict=False) if c and v}
            host = None
        else:
            head = parse_header(line)
            fields = parse_kv(head.message)
            host = head.host
            if "msg" not in fields:
                return None
        return _record(fields, host)


def _record(fields: dict[str, str], host: str | None) -> Record:
    source = fields.get("src", fields.get("src_ip", ""))
    # SonicOS writes "ip:port:interface"; IPv6 addresses keep their colons.
    if source.count(":") in (1, 2) and "." in source:
        source = source.split(":", 1)[0]
    fields["src_ip"] = source
    fields["user"] = fields.get("user") or fields.get("usr") or ""
    fields["message"] = fields.get("msg", "")
    stamp = parse_timestamp(fields.get("time", "").replace(" UTC", ""))
    login = None
    message = fields["message"]
    if _FAILURE.search(message):
        login = "failure"
    elif _SUCCESS.search(message):
        login = "success"
    return Record({k: v for k, v in fields.items() if v}, stamp, fields.get("fw") or host, login)
