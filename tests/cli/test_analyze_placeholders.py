"""``madoguchi analyze --rules DIR --placeholders FILE``: site values for ``%name%`` rules,
and rules that do not load listed once with their reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import typer
from tests.analyzers.sigma.sigma_helpers import SIGMA1_AGGREGATION
from typer.testing import CliRunner

RULE_ID = "6c1f0f8e-3a51-4f3e-9d55-0b8f3c2a7d10"
ADMIN_LOGON = f"""
title: Logon from outside the admin workstations
id: {RULE_ID}
level: medium
logsource: {{product: windows, service: security}}
detection:
  selection:
    EventID: 4624
    TargetUserName: Administrator
  admin_pc:
    WorkstationName|expand: '%Admins_Workstations%'
  condition: selection and not admin_pc
"""


def logon(record: int, workstation: str) -> bytes:
    event = {
        "Event": {
            "System": {
                "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
                "EventID": 4624,
                "TimeCreated": {"#attributes": {"SystemTime": f"2024-04-12T00:0{record}:00Z"}},
                "EventRecordID": record,
                "Channel": "Security",
                "Computer": "FS01.example.local",
            },
            "EventData": {
                "TargetUserName": "Administrator",
                "TargetDomainName": "EXAMPLE",
                "LogonType": 3,
                "WorkstationName": workstation,
                "IpAddress": "10.0.0.7",
            },
        }
    }
    return orjson.dumps(event) + b"\n"


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    path = tmp_path / "security.jsonl"
    path.write_bytes(logon(1, "ADMIN-PC01") + logon(2, "JUMP-07") + logon(3, "LAPTOP-42"))
    return path


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "admin_logon.yml").write_text(ADMIN_LOGON, encoding="utf-8")
    (folder / "old_count.yml").write_text(SIGMA1_AGGREGATION, encoding="utf-8")
    return folder


def run(app: typer.Typer, *args: str) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(app, ["analyze", *args, "--format", "json"])
    doc = orjson.loads(result.stdout) if result.exit_code == 0 else {}
    return result.exit_code, doc, result.stderr


def test_placeholder_values_from_a_file_make_the_rule_load_and_match(
    analyze_app: typer.Typer, logs: Path, rules: Path, tmp_path: Path
) -> None:
    values = tmp_path / "site.yml"
    values.write_text("'%Admins_Workstations%': [ADMIN-PC01, 'JUMP-*']\n", encoding="utf-8")
    code, doc, _ = run(analyze_app, str(logs), "--rules", str(rules), "--placeholders", str(values))
    assert code == 0
    hits = [f for f in doc["findings"] if f["rule_id"] == RULE_ID]
    assert [f["evidence"]["record_id"] for f in hits] == [3]  # only the laptop
    not_loaded = [(Path(r["rule_file"]).name, r["analyzer"]) for r in doc["rules_not_loaded"]]
    # the broken rule once, though the disk-image analyzer prepares the event log rules too
    assert not_loaded == [("old_count.yml", "windows-evtx")]


def test_without_the_values_the_rule_is_listed_with_the_placeholder_it_needs(
    analyze_app: typer.Typer, logs: Path, rules: Path
) -> None:
    code, doc, _ = run(analyze_app, str(logs), "--rules", str(rules))
    assert code == 0
    assert not any(f["rule_id"] == RULE_ID for f in doc["findings"])
    reasons = {Path(r["rule_file"]).name: r["reason"] for r in doc["rules_not_loaded"]}
    assert set(reasons) == {"admin_logon.yml", "old_count.yml"}
    assert "%Admins_Workstations%" in reasons["admin_logon.yml"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("- ADMIN-PC01\n", "must map placeholder names to values (name: value, or name: [values])"),
        ("Admins_Workstations: [a, [b]]\n", "'Admins_Workstations' must be text or numbers"),
        ("Admins_Workstations: [a\n", "is not valid YAML (line 2)"),
    ],
)
def test_an_unusable_placeholder_file_stops_before_the_analysis(
    analyze_app: typer.Typer, logs: Path, tmp_path: Path, content: str, expected: str
) -> None:
    values = tmp_path / "site.yml"
    values.write_text(content, encoding="utf-8")
    code, _, stderr = run(analyze_app, str(logs), "--placeholders", str(values))
    assert code == 2
    assert expected in " ".join(stderr.split())  # the console wraps long lines
    code, _, stderr = run(analyze_app, str(logs), "--placeholders", str(tmp_path / "missing.yml"))
    assert code == 2
    assert "cannot read" in stderr
