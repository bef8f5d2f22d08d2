"""Helpers for the Windows event log analyzer tests: run it on a file, build events."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from madoguchi.analyzers.base import AnalysisContext, EvidenceFile, RunOptions
from madoguchi.analyzers.kinds import detect_kind
from madoguchi.analyzers.windows_evtx import EvtxAnalyzer
from madoguchi.domain.findings import Finding, Observable, Section, TimelineEvent

DATA = Path(__file__).parent / "data"


@dataclass
class Run:
    ctx: AnalysisContext
    outputs: list[Any] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [o for o in self.outputs if isinstance(o, Finding)]

    @property
    def timeline(self) -> list[TimelineEvent]:
        return [o for o in self.outputs if isinstance(o, TimelineEvent)]

    @property
    def observables(self) -> list[Observable]:
        return [o for o in self.outputs if isinstance(o, Observable)]

    @property
    def sections(self) -> list[Section]:
        return [o for o in self.outputs if isinstance(o, Section)]

    def titles(self) -> set[str]:
        return {f.title for f in self.findings}

    def rule_ids(self) -> set[str]:
        return {f.rule_id for f in self.findings}


def evidence(path: Path) -> EvidenceFile:
    with path.open("rb") as handle:
        head = handle.read(65536)
    return EvidenceFile(path.name, path, detect_kind(head), path.stat().st_size)


def run(
    path: Path,
    *,
    settings: dict[str, Any] | None = None,
    rule_dirs: tuple[Path, ...] = (),
    ctx: AnalysisContext | None = None,
) -> Run:
    analyzer = EvtxAnalyzer()
    if ctx is None:
        ctx = AnalysisContext(
            options=RunOptions(rule_dirs=rule_dirs, settings=settings or {}), analyzer=analyzer.name
        )
        analyzer.prepare(ctx)
    result = Run(ctx)
    result.outputs = list(analyzer.analyze(evidence(path), ctx))
    return result


def security_event(
    event_id: int,
    record_id: int,
    when: str,
    data: dict[str, Any],
    *,
    computer: str = "DC01.example.local",
    channel: str = "Security",
    provider: str = "Microsoft-Windows-Security-Auditing",
) -> dict[str, Any]:
    """One event in the nested JSON shape evtx_dump writes."""
    return {
        "Event": {
            "System": {
                "Provider": {"#attributes": {"Name": provider}},
                "EventID": event_id,
                "Level": 0,
                "Task": 12544,
                "Keywords": "0x8010000000000000",
                "TimeCreated": {"#attributes": {"SystemTime": when}},
                "EventRecordID": record_id,
                "Channel": channel,
                "Computer": computer,
            },
            "EventData": data,
        }
    }


def write_jsonl(path: Path, events: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(e) for e in events) + b"\n")
    return path


def failed_logon(
    record_id: int, when: str, user: str, ip: str, computer: str = "FS01.example.local"
) -> dict[str, Any]:
    return security_event(
        4625,
        record_id,
        when,
        {
            "TargetUserName": user,
            "TargetDomainName": "EXAMPLE",
            "LogonType": 3,
            "Status": "0xc000006d",
            "SubStatus": "0xc000006a",
            "IpAddress": ip,
            "IpPort": "50000",
            "WorkstationName": "KALI",
            "AuthenticationPackageName": "NTLM",
        },
        computer=computer,
    )


def logon(
    record_id: int,
    when: str,
    user: str,
    ip: str,
    logon_type: int = 3,
    computer: str = "FS01.example.local",
) -> dict[str, Any]:
    return security_event(
        4624,
        record_id,
        when,
        {
            "TargetUserName": user,
            "TargetDomainName": "EXAMPLE",
            "LogonType": logon_type,
            "IpAddress": ip,
            "IpPort": "50000",
            "WorkstationName": "WS01",
            "AuthenticationPackageName": "Kerberos",
            "LogonProcessName": "Kerberos",
            "KeyLength": 0,
        },
        computer=computer,
    )
