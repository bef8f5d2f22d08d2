"""``madoguchi hunt`` on files the test writes: every IoC format, folders, gzip, outputs."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from madoguchi.cli.hunt_cmd import register
from madoguchi.domain.tlp import TLP
from madoguchi.intel.classifier import make_indicator
from madoguchi.intel.misp import export_event
from madoguchi.intel.stix import export_bundle


def app() -> typer.Typer:
    application = typer.Typer()
    register(application)

    @application.callback()
    def main() -> None:
        """Test application."""

    return application


def evidence(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    (folder / "sub").mkdir(parents=True)
    (folder / "access.log").write_text(
        '203.0.113.50 - - [10/Jan/2026] "GET /x HTTP/1.1" 200 "-" "EvilBot/2"\n'
        "198.51.100.4 fetched http://dl.evil.com/a.bin\n"
    )
    (folder / "sub" / "old.log.gz").write_bytes(gzip.compress(b"ok\nnotevil.com\nevil.com\n"))
    (folder / "blob.bin").write_bytes(b"\x00\x01\x02evil.com\x00" * 10)
    return folder


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app(), ["hunt", *args])
    return result.exit_code, result.output


def test_plain_list_json_output(tmp_path: Path) -> None:
    iocs = tmp_path / "iocs.txt"
    iocs.write_text("# feed\nevil[.]com\n203.0.113.0/24  # scanners\nnot an indicator\n")
    code, output = run("--iocs", str(iocs), str(evidence(tmp_path)), "--format", "json")
    assert code == 0
    document = json.loads(output)
    found = sorted((Path(m["file"]).name, m["line"], m["indicator"]) for m in document["matches"])
    assert found == [
        ("access.log", 1, "203.0.113.0/24"),
        ("access.log", 2, "evil.com"),
        ("old.log.gz", 3, "evil.com"),
    ]
    assert document["summary"]["indicators"] == 2
    assert document["summary"]["indicator_problems"] == 1
    assert any("blob.bin" in s for s in document["skipped"])


def test_csv_iocs_and_csv_output(tmp_path: Path) -> None:
    iocs = tmp_path / "iocs.csv"
    iocs.write_text("type,value,tags\nuser-agent,EvilBot/2,family:x\nipv4,198.51.100.4,\n")
    code, output = run("-i", str(iocs), str(evidence(tmp_path)), "-f", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(output)))
    assert sorted((r["indicator"], r["tags"]) for r in rows) == [
        ("198.51.100.4", ""),
        ("EvilBot/2", "family:x"),
    ]


def test_stix_and_misp_iocs_and_table(tmp_path: Path) -> None:
    stix = tmp_path / "bundle.json"
    stix.write_text(
        export_bundle(
            [make_indicator(None, "dl.evil.com", tlp=TLP.GREEN)], ceiling=TLP.GREEN
        ).serialize()
    )
    misp = tmp_path / "event.json"
    misp.write_text(
        export_event([make_indicator(None, "198.51.100.4")], ceiling=TLP.AMBER).to_json()
    )
    code, output = run("--iocs", str(stix), "--iocs", str(misp), str(evidence(tmp_path)))
    assert code == 0
    assert "dl.evil.com" in output and "198.51.100.4" in output
    assert "2 matches of 2 indicators" in " ".join(output.split())


def test_missing_ioc_file_is_a_usage_error(tmp_path: Path) -> None:
    code, _ = run("--iocs", str(tmp_path / "nope.txt"), str(tmp_path))
    assert code == 2
