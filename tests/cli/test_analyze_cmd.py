"""``madoguchi analyze`` and ``madoguchi analyzers`` through Typer's test runner."""

from __future__ import annotations

import csv
import gc
import io
import zipfile
from pathlib import Path

import orjson
import pytest
import typer
from typer.testing import CliRunner

from madoguchi.analyzers.example import MARKER


@pytest.fixture
def app(analyze_app: typer.Typer) -> typer.Typer:
    return analyze_app


@pytest.fixture
def case(tmp_path: Path) -> Path:
    root = tmp_path / "case"
    root.mkdir()
    (root / "note.txt").write_text(f"hello\n{MARKER} here\nsee https://example.net/x\n")
    (root / "blob.bin").write_bytes(bytes(range(256)))
    with zipfile.ZipFile(root / "more.zip", "w") as zf:
        zf.writestr("inner/note2.txt", f"{MARKER}\n")
    return root


def test_json_to_stdout_is_the_result_document(app: typer.Typer, case: Path) -> None:
    result = CliRunner().invoke(
        app, ["analyze", str(case), "--analyzer", "example", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    doc = orjson.loads(result.stdout)
    assert doc["format"] == "madoguchi.result/1"
    assert [f["rule_id"] for f in doc["findings"]] == ["example-marker", "example-marker"]
    paths = {i["path"]: i["recognised"] for i in doc["inputs"]}
    assert paths[f"{case.as_posix()}/blob.bin"] is False
    assert paths[f"{case.as_posix()}/more.zip!inner/note2.txt"] is True
    assert doc["indicators"][0]["value"] == "https://example.net/x"


def test_html_out_writes_a_report_and_summarises_on_stderr(
    app: typer.Typer, case: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        app, ["analyze", str(case), "--analyzer", "example", "--format", "html", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    html = out.read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "Example marker" in html
    assert result.stdout == ""
    assert "Findings by severity" in result.stderr


def test_table_goes_to_stdout(app: typer.Typer, case: Path) -> None:
    result = CliRunner().invoke(app, ["analyze", str(case), "--analyzer", "example"])
    assert result.exit_code == 0, result.output
    assert "Findings by severity" in result.stdout
    assert "example-marker" in result.stdout


def test_csv_jsonl_and_timeline_outputs(app: typer.Typer, case: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    csv_out = tmp_path / "findings.csv"
    timeline = tmp_path / "timeline.csv"
    result = runner.invoke(
        app,
        [
            "analyze",
            str(case),
            "--analyzer",
            "example",
            "-q",
            "--format",
            "csv",
            "--out",
            str(csv_out),
            "--timeline-out",
            str(timeline),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(csv_out.read_text("utf-8-sig"))))
    assert [r["rule_id"] for r in rows] == ["example-marker", "example-marker"]
    header = timeline.read_text().splitlines()[0].split(",")
    assert header[:4] == ["message", "datetime", "timestamp", "timestamp_desc"]
    assert result.stderr == ""  # --quiet
    result = runner.invoke(
        app, ["analyze", str(case), "--analyzer", "example", "--format", "jsonl"]
    )
    records = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert {r["record_type"] for r in records} == {"finding", "indicator"}


def test_missing_path_fails_clearly(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["analyze", str(tmp_path / "nope.evtx")])
    assert result.exit_code != 0
    assert "no such file or directory" in result.stderr
    assert "nope.evtx" in result.stderr


def test_an_empty_path_is_refused_not_read_as_the_current_folder(
    app: typer.Typer, case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(case)  # "" would otherwise mean this folder, marker and all
    result = CliRunner().invoke(app, ["analyze", "", "--format", "json"])
    assert result.exit_code == 2
    assert "empty path" in result.output
    assert MARKER not in result.stdout


def test_an_output_that_cannot_be_written_is_refused_before_the_analysis(
    app: typer.Typer, case: Path, tmp_path: Path
) -> None:
    for args, expected in (
        (["--out", str(tmp_path / "no-such-folder" / "r.json")], "does not exist"),
        (["--out", str(tmp_path)], "is a folder"),
        (["--timeline-out", str(tmp_path / "gone" / "t.csv")], "does not exist"),
    ):
        result = CliRunner().invoke(app, ["analyze", str(case), "--format", "json", *args])
        said = " ".join(result.stderr.split())  # the console wraps long lines
        assert result.exit_code == 2, args
        assert expected in said and args[0] in said
        assert "Traceback" not in result.output


def test_unknown_analyzer_and_bad_time_fail_clearly(app: typer.Typer, case: Path) -> None:
    result = CliRunner().invoke(app, ["analyze", str(case), "--analyzer", "no-such"])
    assert result.exit_code != 0
    assert "unknown analyzer: no-such" in result.stderr
    result = CliRunner().invoke(app, ["analyze", str(case), "--since", "yesterday"])
    assert result.exit_code != 0
    assert "ISO 8601" in result.output


def test_the_heap_is_given_back_to_the_collector_after_a_run_and_a_failure(
    app: typer.Typer, case: Path
) -> None:
    for args, code in ((["--format", "json"], 0), (["--analyzer", "no-such"], 2)):
        result = CliRunner().invoke(app, ["analyze", str(case), *args])
        assert result.exit_code == code, result.output
        assert gc.get_freeze_count() == 0  # nothing left frozen in a long-lived process


def test_jobs_option_gives_the_same_findings(app: typer.Typer, case: Path) -> None:
    runner = CliRunner()
    args = ["analyze", str(case), "--analyzer", "example", "--format", "json"]
    one = orjson.loads(runner.invoke(app, [*args, "--jobs", "1"]).stdout)
    two = orjson.loads(runner.invoke(app, [*args, "--jobs", "3"]).stdout)
    assert one["findings"] == two["findings"]
    assert one["inputs"] == two["inputs"]


def test_analyzers_command_lists_registered_and_broken(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["analyzers"])
    assert result.exit_code == 0, result.output
    assert "example" in result.stdout
    assert "text" in result.stdout


def test_an_event_log_run_loads_no_archive_or_report_library(tmp_path: Path) -> None:
    """Start-up is paid on every run: py7zr, pyzipper (and PyCryptodome under them) and
    Jinja2 are loaded only when a 7z or zip archive, or an HTML report, is met."""
    import subprocess
    import sys

    sample = Path(__file__).parents[1] / "analyzers/windows_evtx/data/vss-delete-wmic.evtx"
    out = tmp_path / "result.json"
    probe = (
        "import sys\n"
        "from madoguchi.cli import main\n"
        f"sys.argv = ['madoguchi', 'analyze', {str(sample)!r}, '--format', 'json',"
        f" '--out', {str(out)!r}, '--quiet']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('py7zr', 'pyzipper', 'Cryptodome', 'jinja2')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert orjson.loads(out.read_bytes())["findings"], done.stderr  # it did analyse the file
    assert done.stdout.strip().splitlines()[-1] == "[]"
