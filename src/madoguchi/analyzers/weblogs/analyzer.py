"""Web server access logs: Apache / nginx combined and common formats (with or without a
virtual-host prefix), and IIS W3C extended logs (``#Fields:`` header).

Rules look for the request shapes of device and application CVEs the desk sees; a
request is an *attempt*, and becomes *exploited* where the rule says a success status
(2xx) on that endpoint means the bug was reached.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote, unquote_plus

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import EvidenceFile

from ..devices.engine import FileState, LineRuleAnalyzer, Record
from ..devices.lines import any_line, parse_header, parse_timestamp

EXAMPLES = (
    Path(__file__).parent / "examples" / "access.log",
    Path(__file__).parent / "examples" / "u_ex240115.log",
)

_COMBINED = re.compile(
    r"^(?:[\w.\-]+(?::\d+)?\s+)?(?P<ip>[0-9a-fA-F.:]+|-)\s+\S+\s+(?P<user>\S+)\s+"
    r'\[(?P<ts>[^\]]+)\]\s+"(?P<method>[A-Z_]+|-)(?:\s+(?P<uri>\S*))?(?:\s+(?P<proto>[^"]*))?"'
    r'\s+(?P<status>\d{3}|-)\s+(?P<size>\S+)(?:\s+"(?P<ref>(?:[^"\\]|\\.)*)"'
    r'\s+"(?P<ua>(?:[^"\\]|\\.)*)")?'
)
_SNIFF = re.compile(
    r'^(?:[\w.\-]+(?::\d+)?\s+)?[0-9a-fA-F.:]+\s+\S+\s+\S+\s+\[\d\d/\w{3}/\d{4}:[^\]]+\]\s+"'
    r"|^#Fields:.*\bcs-uri-stem\b|^#Software: Microsoft Internet Information Services"
)
_IIS_NAMES = {
    "c-ip": "src_ip",
    "cs-method": "method",
    "cs-uri-stem": "stem",
    "cs-uri-query": "query",
    "sc-status": "status",
    "cs(user-agent)": "ua",
    "cs-username": "user",
    "cs(referer)": "ref",
    "sc-bytes": "size",
    "date": "date",
    "time": "time",
    "x-forwarded-for": "xff",
    "cs-host": "vhost",
}


class WebAccessLogAnalyzer(LineRuleAnalyzer):
    name: ClassVar[str] = "weblogs"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset({kinds.TEXT, kinds.GZIP})
    rules_file: ClassVar[Path] = Path(__file__).with_name("rules.yml")
    timeline_source: ClassVar[str] = "web:access"

    def sniff(self, evidence: EvidenceFile) -> bool:
        return evidence.kind in self.accepts and any_line(evidence, _SNIFF)

    def parse(self, line: str, number: int, state: FileState) -> Record | None:
        if line.startswith("#"):
            if line.startswith("#Fields:"):
                state.extra["iis"] = [_IIS_NAMES.get(n.lower(), "") for n in line.split()[1:]]
            return Record({})
        iis = state.extra.get("iis")
        if iis:
            return _iis(line, iis)
        match = _COMBINED.match(line) or _COMBINED.match(parse_header(line).message)
        if match is None:
            return None
        fields = {k: v for k, v in match.groupdict().items() if v and v != "-"}
        if "ip" in fields:
            fields["src_ip"] = fields.pop("ip")
        return _finish(fields, parse_timestamp(match["ts"]))


def _iis(line: str, names: list[str]) -> Record | None:
    values = line.split(" ")
    if len(values) != len(names):
        return None
    fields = {n: v for n, v in zip(names, values, strict=True) if n and v != "-"}
    fields["uri"] = fields.get("stem", "") + ("?" + fields["query"] if "query" in fields else "")
    if "ua" in fields:
        fields["ua"] = fields["ua"].replace("+", " ")
    stamp = parse_timestamp(f"{fields.get('date', '')} {fields.get('time', '')}")
    return _finish(fields, stamp)


def _finish(fields: dict[str, str], stamp: datetime | None) -> Record:
    uri = fields.get("uri", "")
    decoded = unquote_plus(unquote(uri))
    fields["url"] = uri if decoded == uri else f"{uri} {decoded}"
    fields["message"] = (
        f'{fields.get("method", "-")} {uri} {fields.get("status", "-")} "{fields.get("ua", "")}"'
    ).strip()
    return Record(fields, stamp)
