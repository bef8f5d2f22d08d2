"""Ivanti Connect Secure / Pulse Connect Secure: Events, User Access and Admin Access logs
(syslog or exported text), WELF syslog, and Integrity Checker Tool results.

The exploit request paths of CVE-2023-46805 / CVE-2024-21887 / CVE-2024-21893 /
CVE-2025-0282 only appear when the appliance logs unauthenticated requests (an option)
or in an upstream web log; a quiet log is therefore not proof of safety, and the
findings say what each line can and cannot show.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import EvidenceFile

from ..engine import FileState, LineRuleAnalyzer, Record
from ..lines import any_line, parse_header, parse_kv, parse_timestamp

EXAMPLES = (Path(__file__).parent / "examples" / "ics-events.log",)

_CORE = re.compile(
    r"(?P<date>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) - (?P<node>\S+) - \[(?P<ip>[^\]]*)\] "
    r"(?P<user>.*?)\((?P<realm>[^)]*)\)\[(?P<roles>[^\]]*)\] - (?P<msg>.*)$"
)
_MSGID = re.compile(r"^(?P<msgid>[A-Z]{3}\d{5}):\s*")
_CAME_FROM = re.compile(r"came from IP (?P<ip>[0-9a-fA-F.:]+)", re.IGNORECASE)
_SUCCESS = re.compile(r"\b(?:Agent )?login succeeded for\b", re.IGNORECASE)
_FAILURE = re.compile(r"\b(?:Primary|Secondary) authentication failed for\b", re.IGNORECASE)
_SNIFF = re.compile(
    r"PulseSecure:|\bvpn=ive\b|Ivanti Connect Secure|Integrity Checker|"
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - \S+ - \[[0-9a-fA-F.:]*\] .*\([^)]*\)\[[^\]]*\] - ",
    re.IGNORECASE,
)


class IvantiAnalyzer(LineRuleAnalyzer):
    name: ClassVar[str] = "ivanti"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset({kinds.TEXT, kinds.CSV, kinds.GZIP})
    rules_file: ClassVar[Path] = Path(__file__).with_name("rules.yml")
    timeline_source: ClassVar[str] = "ivanti"
    tracks_logins: ClassVar[bool] = True

    def sniff(self, evidence: EvidenceFile) -> bool:
        return evidence.kind in self.accepts and any_line(evidence, _SNIFF)

    def parse(self, line: str, number: int, state: FileState) -> Record | None:
        head = parse_header(line)
        fields: dict[str, str] = {}
        core = _CORE.search(line)
        if core:
            message = core["msg"]
            fields.update(
                {
                    "node": core["node"],
                    "src_ip": core["ip"],
                    "user": core["user"].strip(),
                    "realm": core["realm"],
                    "roles": core["roles"],
                }
            )
            stamp = parse_timestamp(core["date"]) if head.timestamp is None else head.timestamp
        elif "vpn=ive" in line or ("fw=" in line and "msg=" in line and "realm=" in line):
            kv = parse_kv(head.message)
            message = kv.get("msg", head.message)
            fields.update(
                {
                    "src_ip": kv.get("src", ""),
                    "user": kv.get("user", ""),
                    "realm": kv.get("realm", ""),
                }
            )
            stamp = parse_timestamp(kv.get("time", "")) or head.timestamp
        else:
            message, stamp = head.message, head.timestamp
        msgid = _MSGID.match(message)
        if msgid:
            fields["msgid"] = msgid["msgid"]
            message = message[msgid.end() :]
        came = _CAME_FROM.search(message)
        if came:
            fields["src_ip"] = came["ip"].rstrip(".")
        fields["message"] = message
        login = None
        if _SUCCESS.search(message):
            login = "success"
        elif _FAILURE.search(message):
            login = "failure"
        return Record({k: v for k, v in fields.items() if v}, stamp, head.host, login)
