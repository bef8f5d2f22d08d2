"""Palo Alto Networks PAN-OS: GlobalProtect ``gpsvc.log``, management-plane and telemetry
logs, and the system / threat / traffic / GlobalProtect logs (syslog or CSV export).

CVE-2024-3400 is reported with the vendor's levels in mind: a path in a "failed to
unmarshal session" message is an *attempt* (level 0–1: it cannot show whether a file
was created), shell syntax in device-telemetry lines is *command execution* (level 3),
the running configuration copied into a web-served folder is level 2.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import orjson

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import EvidenceFile

from ..engine import FileState, LineRuleAnalyzer, Record
from ..lines import any_line, parse_header, parse_timestamp, split_csv

EXAMPLES = (
    Path(__file__).parent / "examples" / "gpsvc.log",
    Path(__file__).parent / "examples" / "threat-syslog.log",
)

LOG_TYPES = (
    "TRAFFIC|THREAT|SYSTEM|CONFIG|GLOBALPROTECT|HIPMATCH|USERID|AUTHENTICATION|DECRYPTION|"
    "TUNNEL|GTP|SCTP|IPTAG|CORRELATION"
)
_CSV_ROW = re.compile(rf"(?:^|[\s>,])(\d+,\d{{4}}/\d\d/\d\d \d\d:\d\d:\d\d,[^,]*,(?:{LOG_TYPES}),)")
_SNIFF = re.compile(
    rf"failed to unmarshal session|dt_curl|dt_send|device_telemetry|"
    rf"\d,\d{{4}}/\d\d/\d\d \d\d:\d\d:\d\d,[^,]*,(?:{LOG_TYPES}),|"
    r"Receive Time.*(Serial #|Threat/Content Type)|"
    r'^\{"level":"[a-z]+","task":"[^"]*","time":"',
    re.IGNORECASE,
)
_THREAT_ID = re.compile(r"\((\d{4,})\)\s*$|^(\d{4,})$")
_LOGIN_FROM = re.compile(r"(?:Login from|From):?\s*(?P<ip>[0-9a-fA-F.:]+)", re.IGNORECASE)
_USER_NAME = re.compile(r"User name:\s*(?P<user>[^,]+)|for user '(?P<user2>[^']+)'", re.IGNORECASE)

# Column positions of the PAN-OS 10.x/11.x syslog CSV formats.
_COMMON = {"receive_time": 1, "serial": 2, "type": 3, "subtype": 4, "generated_time": 6}
_BY_TYPE: dict[str, dict[str, int]] = {
    "TRAFFIC": {
        "src_ip": 7,
        "dst_ip": 8,
        "rule": 11,
        "user": 12,
        "app": 14,
        "dst_port": 25,
        "action": 30,
    },
    "THREAT": {
        "src_ip": 7,
        "dst_ip": 8,
        "rule": 11,
        "user": 12,
        "app": 14,
        "dst_port": 25,
        "action": 30,
        "url": 31,
        "threat": 32,
        "category": 33,
        "threat_severity": 34,
    },
    "SYSTEM": {
        "vsys": 7,
        "event_id": 8,
        "object": 9,
        "module": 12,
        "event_severity": 13,
        "message": 14,
    },
    "CONFIG": {
        "host_ip": 7,
        "vsys": 8,
        "command": 9,
        "user": 10,
        "client": 11,
        "result": 12,
        "config_path": 13,
    },
    "GLOBALPROTECT": {
        "vsys": 7,
        "event_id": 8,
        "gp_stage": 9,
        "auth_method": 10,
        "user": 12,
        "region": 13,
        "machine": 14,
        "src_ip": 15,
        "private_ip": 17,
        "client_version": 21,
        "reason": 25,
        "error": 26,
        "message": 27,
        "status": 28,
    },
}
# Column names of the CSV export of the web UI (Monitor > Logs > Export to CSV).
_EXPORT_NAMES = {
    "receive time": "receive_time",
    "type": "type",
    "threat/content type": "subtype",
    "source address": "src_ip",
    "destination address": "dst_ip",
    "source user": "user",
    "application": "app",
    "action": "action",
    "threat/content name": "threat",
    "threat id": "threat",
    "url/filename": "url",
    "event id": "event_id",
    "description": "message",
    "status": "status",
    "public ip": "src_ip",
    "stage": "gp_stage",
    "severity": "threat_severity",
    "generate time": "generated_time",
    "command": "command",
    "admin": "user",
    "client": "client",
    "result": "result",
}


class PanosAnalyzer(LineRuleAnalyzer):
    name: ClassVar[str] = "panos"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset(
        {kinds.TEXT, kinds.CSV, kinds.JSONL, kinds.JSON, kinds.GZIP}
    )
    rules_file: ClassVar[Path] = Path(__file__).with_name("rules.yml")
    timeline_source: ClassVar[str] = "panos"
    tracks_logins: ClassVar[bool] = True

    def sniff(self, evidence: EvidenceFile) -> bool:
        return evidence.kind in self.accepts and any_line(evidence, _SNIFF)

    def parse(self, line: str, number: int, state: FileState) -> Record | None:
        columns = state.extra.get("columns")
        if number == 1 or (columns is None and "Receive Time" in line[:200]):
            header = split_csv(line)
            if header and any(h.strip().lower() == "receive time" for h in header):
                state.extra["columns"] = [h.strip().lower() for h in header]
                return Record({"message": "CSV header"})
        if isinstance(columns, list):
            return _export_row(line, columns)
        head = parse_header(line)
        message = head.message
        if message.startswith("{"):
            return _json_line(message, head.timestamp, head.host)
        csv_match = _CSV_ROW.search(line)
        if csv_match:
            return _csv_row(line[csv_match.start(1) :], head.host)
        return Record({"message": message}, head.timestamp, head.host)


def _json_line(text: str, stamp: datetime | None, host: str | None) -> Record | None:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    fields = {str(k): str(v) for k, v in data.items() if isinstance(v, str | int | float)}
    fields.setdefault("message", "")
    when = parse_timestamp(fields.get("time", "")) if fields.get("time") else None
    return Record(fields, when or stamp, host)


def _csv_row(text: str, host: str | None) -> Record | None:
    values = split_csv(text)
    if not values or len(values) < 8:
        return None
    log_type = values[3].strip().upper()
    mapping = {**_COMMON, **_BY_TYPE.get(log_type, {})}
    fields = {name: values[i].strip() for name, i in mapping.items() if i < len(values)}
    fields["type"] = log_type
    fields.setdefault("message", text)
    return _finish(fields, host)


def _export_row(line: str, columns: list[str]) -> Record | None:
    values = split_csv(line)
    if values is None:
        return None
    fields: dict[str, str] = {}
    for name, value in zip(columns, values, strict=False):
        key = _EXPORT_NAMES.get(name)
        if key and value.strip() and key not in fields:
            fields[key] = value.strip()
    fields["type"] = fields.get("type", "").upper()
    fields["message"] = fields.get("message") or line
    return _finish(fields, None)


def _finish(fields: dict[str, str], host: str | None) -> Record:
    threat = fields.get("threat", "")
    found = _THREAT_ID.search(threat)
    if found:
        fields["threat_id"] = found[1] or found[2]
    login = None
    event_id = fields.get("event_id", "").lower()
    if fields.get("type") == "GLOBALPROTECT" and fields.get("gp_stage", "").lower() == "login":
        status = fields.get("status", "").lower()
        login = "success" if status == "success" else "failure" if status == "failure" else None
    elif "auth-fail" in event_id or "auth-succ" in event_id:
        message = fields.get("message", "")
        address = _LOGIN_FROM.search(message)
        user = _USER_NAME.search(message)
        if address:
            fields["src_ip"] = address["ip"].rstrip(".")
        if user:
            fields["user"] = (user["user"] or user["user2"] or "").strip()
        if "globalprotect" in event_id:
            login = "failure" if "fail" in event_id else "success"
    when = parse_timestamp(fields.get("generated_time") or fields.get("receive_time") or "")
    return Record(fields, when, host, login)
