"""Citrix NetScaler ADC / Gateway: ``ns.log`` (local or syslog), and the HTTP error log.

Citrix Bleed (CVE-2023-4966) and CitrixBleed 2 (CVE-2025-5777) leak session tokens; the
exploit request is normally not logged, but its aftermath is: one Gateway session used
from two client addresses, or a line whose ``Context user@IP`` disagrees with its
``Client_ip``. The analyzer follows every ``SessionId`` across the file to see that.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import EvidenceFile
from madoguchi.domain.findings import AnalyzerOutput

from ..engine import FileState, LineRuleAnalyzer, Record
from ..hits import is_ip
from ..lines import any_line, parse_header, parse_timestamp

EXAMPLES = (Path(__file__).parent / "examples" / "ns.log",)

_EVENT = re.compile(
    r"(?:(?P<ts>\d\d/\d\d/\d{4}:\d\d:\d\d:\d\d)(?: (?P<zone>GMT|UTC))?\s+)?"
    r"(?:(?P<host>\S+)\s+)?(?P<ppe>\d+-PPE-\d+)\s*:\s*(?:(?P<partition>\S+)\s+)?"
    r"(?P<module>[A-Z][A-Z_]+) (?P<event>[A-Z][A-Z_]+) (?P<seq>\d+) \d+ : (?P<body>.*)$"
)
_FACILITY = re.compile(r"^<[a-z0-9]+\.[a-z]+>\s+(?:\S+\s+)?")
_CONTEXT = re.compile(r"^(?P<user>.*)@(?P<ip>[0-9a-fA-F.:]+)$")
_SNIFF = re.compile(
    r"\d+-PPE-\d+\s*:|SSLVPN (?:LOGIN|LOGOUT|TCPCONNSTAT|HTTPREQUEST|ICASTART)|"
    r"AAA LOGIN_FAILED|<local\d\.\w+>"
)
_NAMES = {
    "context": "context",
    "sessionid": "session",
    "user": "user",
    "client_ip": "client_ip",
    "nat_ip": "nat_ip",
    "vserver": "vserver",
    "source": "source",
    "destination": "destination",
    "remote_ip": "remote_ip",
    "command": "command",
    "status": "status",
    "failure_reason": "reason",
    "browser_type": "browser",
}
MAX_SESSIONS = 200_000


@dataclass
class _Session:
    addresses: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    first_line: int = 0
    lines: list[tuple[int, datetime | None, str, str]] = field(default_factory=list)


class NetscalerAnalyzer(LineRuleAnalyzer):
    name: ClassVar[str] = "netscaler"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset({kinds.TEXT, kinds.GZIP})
    rules_file: ClassVar[Path] = Path(__file__).with_name("rules.yml")
    timeline_source: ClassVar[str] = "netscaler"
    tracks_logins: ClassVar[bool] = True

    def sniff(self, evidence: EvidenceFile) -> bool:
        return evidence.kind in self.accepts and any_line(evidence, _SNIFF)

    def parse(self, line: str, number: int, state: FileState) -> Record | None:
        head = parse_header(line)
        rest = _FACILITY.sub("", head.message)
        event = _EVENT.search(rest)
        if event is None:
            return Record({"message": rest}, head.timestamp, head.host)
        fields: dict[str, str] = {
            "module": event["module"],
            "event": event["event"],
            "message": event["body"],
        }
        for part in event["body"].split(" - "):
            key, _, value = part.strip().partition(" ")
            name = _NAMES.get(key.rstrip(":").lower())
            if name:
                fields[name] = value.strip().strip('"')
        context = _CONTEXT.match(fields.get("context", ""))
        if context:
            fields["context_ip"] = context["ip"]
            fields.setdefault("user", context["user"])
        source = fields.get("client_ip") or fields.get("context_ip") or fields.get("remote_ip")
        if source and is_ip(source):
            fields["src_ip"] = source
        stamp = parse_timestamp(event["ts"]) if event["ts"] else head.timestamp
        login = None
        if fields["event"] == "LOGIN" and fields["module"] in {"SSLVPN", "AAA", "AAATM"}:
            login = "success"
        elif fields["event"] == "LOGIN_FAILED":
            login = "failure"
        return Record(fields, stamp, event["host"] or head.host, login)

    def observe(self, record: Record, number: int, state: FileState) -> None:
        fields = record.fields
        session_id = fields.get("session")
        if not session_id:
            return
        sessions: dict[str, _Session] = state.extra.setdefault("sessions", {})
        key = f"{fields.get('vserver', '')}#{session_id}"
        session = sessions.get(key)
        if session is None:
            if len(sessions) >= MAX_SESSIONS:
                return
            session = _Session(first_line=number)
            sessions[key] = session
        for address in (fields.get("client_ip"), fields.get("context_ip")):
            if address and is_ip(address) and address not in session.addresses:
                session.addresses.append(address)
                session.lines.append((number, record.timestamp, address, fields.get("message", "")))
        user = fields.get("user")
        if user and user not in session.users:
            session.users.append(user)
        mismatch = state.rules.get("netscaler.context-client-mismatch")
        client, context = fields.get("client_ip"), fields.get("context_ip")
        if mismatch and client and context and client != context:
            hit = mismatch.hit(
                {"src_ip": client, "user": user or "", "session": session_id, "context_ip": context}
            )
            state.aggregator.add(
                hit,
                line=number,
                timestamp=record.timestamp,
                host=record.host,
                message=fields.get("message", ""),
            )

    def finish(self, state: FileState) -> Iterator[AnalyzerOutput]:
        reuse = state.rules.get("netscaler.session-reuse")
        sessions: dict[str, _Session] = state.extra.get("sessions", {})
        if reuse is not None:
            for key, session in sessions.items():
                if len(session.addresses) < 2:
                    continue
                session_id = key.split("#", 1)[1]
                first_address = session.addresses[0]
                for number, stamp, address, message in session.lines[1:]:
                    hit = reuse.hit(
                        {
                            "session": session_id,
                            "src_ip": address,
                            "first_ip": first_address,
                            "user": ", ".join(session.users),
                        }
                    )
                    state.aggregator.add(
                        hit,
                        line=number,
                        timestamp=stamp,
                        message=f"session {session_id} from {address}: {message}",
                    )
        return iter(())
