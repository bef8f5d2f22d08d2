"""Event shapes for the rule pack tests: log sources, process and registry events, and
the check every "fires on its event, quiet on a look-alike" case runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.analyzers.windows_evtx.evtx_helpers import run, write_jsonl

from madoguchi.analyzers.windows_evtx import load_rule_pack

SEC = {"Channel": "Security", "Provider_Name": "Microsoft-Windows-Security-Auditing"}
SYS = {"Channel": "System", "Provider_Name": "Service Control Manager"}
SYSMON = {
    "Channel": "Microsoft-Windows-Sysmon/Operational",
    "Provider_Name": "Microsoft-Windows-Sysmon",
}
DEFENDER = {"Channel": "Microsoft-Windows-Windows Defender/Operational"}
PSH = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
MSBUILD = "C:\\Windows\\Microsoft.NET\\Framework\\v4.0.30319\\MSBuild.exe"
REPL = "{1131f6ad-9c07-11d1-f79f-00c04fc2dcd2}"


def proc(
    command: str, image: str, parent: str = "C:\\Windows\\System32\\cmd.exe"
) -> dict[str, Any]:
    return {**SYSMON, "EventID": 1, "Image": image, "CommandLine": command, "ParentImage": parent}


def reg(target: str, details: str) -> dict[str, Any]:
    return {
        **SYSMON,
        "EventID": 13,
        "EventType": "SetValue",
        "Image": "C:\\Windows\\regedit.exe",
        "TargetObject": target,
        "Details": details,
    }


WMI = {"Channel": "Microsoft-Windows-WMI-Activity/Operational"}
RCM = {"Channel": "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational"}
BITS = {"Channel": "Microsoft-Windows-Bits-Client/Operational"}
PS_OP = {"Channel": "Microsoft-Windows-PowerShell/Operational"}
SYS32 = "C:\\Windows\\System32\\"
CMD = SYS32 + "cmd.exe"
NET = SYS32 + "net.exe"
#: The Security log's subject fields for the administrator account the tests act as.
ADMIN_SUBJECT = {
    "SubjectUserSid": "S-1-5-21-1111111111-2222222222-3333333333-1500",
    "SubjectUserName": "adm_01",
    "SubjectDomainName": "EXAMPLE",
    "SubjectLogonId": "0x4b1f0a3",
}


def script_block(text: str) -> dict[str, Any]:
    """PowerShell script block logging (4104) of a script small enough for one block."""
    return {
        **PS_OP,
        "Provider_Name": "Microsoft-Windows-PowerShell",
        "EventID": 4104,
        "MessageNumber": "1",
        "MessageTotal": "1",
        "ScriptBlockText": text,
        "ScriptBlockId": "0c7f4b1e-8a0d-4f0e-9e5b-3d2a6c1f7e42",
        "Path": "",
    }


def service_installed(name: str, file_name: str, start_type: str = "3") -> dict[str, Any]:
    """Security 4697: a service was installed in the system (by the administrator)."""
    return {
        **SEC,
        "EventID": 4697,
        **ADMIN_SUBJECT,
        "ServiceName": name,
        "ServiceFileName": file_name,
        "ServiceType": "0x10",
        "ServiceStartType": start_type,
        "ServiceAccount": "LocalSystem",
    }


#: (rule title, an event it must fire on, a close look-alike it must not fire on or None)
Case = tuple[str, dict[str, Any], dict[str, Any] | None]


def each_case(cases: list[Case]) -> pytest.MarkDecorator:
    """Parametrise a test over ``cases`` as (title, event, benign), named by the title."""
    return pytest.mark.parametrize(
        ("title", "event", "benign"), cases, ids=[c[0][:40] for c in cases]
    )


def fired(path: Path, events: list[dict[str, Any]]) -> set[str]:
    """Titles of the findings the analyzer reports on ``events`` written to ``path``."""
    return run(write_jsonl(path, events)).titles()


def check_case(
    tmp_path: Path, title: str, event: dict[str, Any], benign: dict[str, Any] | None
) -> None:
    """The rule titled ``title`` fires on ``event`` and not on ``benign``."""
    base = {"Computer": "WS01", "EventRecordID": 1, "TimeCreated": "2024-04-12T00:00:00Z"}
    hit = run(write_jsonl(tmp_path / "hit.jsonl", [base | event]))
    assert title in hit.titles()
    if benign is not None:
        quiet = run(write_jsonl(tmp_path / "quiet.jsonl", [base | benign]))
        assert title not in quiet.titles()


def matched_titles(event: dict[str, Any]) -> set[str]:
    """Titles of the pack's detection rules that match ``event``, including the base rules
    that only feed a correlation (the analyzer does not report those on their own)."""
    ruleset = load_rule_pack().ruleset
    assert ruleset is not None
    return {m.rule.title for m in ruleset.match(event)}
