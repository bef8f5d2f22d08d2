"""``madoguchi hunt --iocs FILE PATH...``: look for known indicators in files, offline.

IoC files may be plain lists (defanged values and ``#`` comments accepted), CSV
(``type,value[,tags…]``), STIX 2.1 bundles or MISP event JSON. PATH may be files or
folders (walked recursively); gzipped and non-UTF-8 text is read transparently.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from madoguchi.analyzers.textio import open_maybe_gzip
from madoguchi.intel.exchange import ImportResult
from madoguchi.intel.ioc_csv import guard_cell
from madoguchi.intel.ioc_files import load_iocs
from madoguchi.intel.matcher import Match, Matcher


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


@dataclass
class HuntReport:
    matches: list[tuple[str, Match]] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file()))
        else:
            found.append(path)
    return found


def _binary(path: Path) -> bool:
    with open_maybe_gzip(path) as handle:
        head = handle.read(4096)
    if not head or b"\x00" not in head:
        return False
    odd, even = head[1::2].count(0), head[0::2].count(0)
    # UTF-16 text has NULs on one side only.
    return not (
        (odd > len(head) // 4 and even < len(head) // 50)
        or (even > len(head) // 4 and odd < len(head) // 50)
    )


def hunt(matcher: Matcher, paths: list[Path]) -> HuntReport:
    report = HuntReport()
    for path in _files(paths):
        shown = str(path)
        try:
            if _binary(path):
                report.skipped.append(f"{shown}: binary file, not searched")
                continue
            report.files += 1
            report.bytes += path.stat().st_size
            for match in matcher.scan_file(path, on_warning=report.notes.append):
                report.matches.append((shown, match))
        except OSError as error:
            report.skipped.append(f"{shown}: {error.strerror or error}")
    return report


def _rows(report: HuntReport) -> list[dict[str, object]]:
    return [
        {
            "file": name,
            "line": match.line,
            "type": match.indicator.type.value,
            "indicator": match.indicator.value,
            "matched": match.text,
            "tags": list(match.indicator.tags),
            "tlp": match.indicator.tlp.value,
            "source": match.indicator.source.name,
            "context": match.context,
        }
        for name, match in report.matches
    ]


def match_tags(row: dict[str, object]) -> list[str]:
    tags = row["tags"]
    return [str(tag) for tag in tags] if isinstance(tags, list) else []


def _summary(report: HuntReport, loaded: ImportResult, matcher: Matcher) -> dict[str, object]:
    return {
        "indicators": len(matcher),
        "indicator_problems": len(loaded.problems),
        "false_positive_skipped": matcher.skipped_false_positive,
        "expired_skipped": matcher.skipped_expired,
        "files": report.files,
        "bytes": report.bytes,
        "matches": len(report.matches),
        "indicators_matched": len({m.indicator.key for _, m in report.matches}),
        "files_skipped": len(report.skipped),
    }


def _print_table(report: HuntReport, loaded: ImportResult, matcher: Matcher) -> None:
    console = Console()
    table = Table("file", "line", "indicator", "type", "tags", title="indicator matches")
    for name, match in report.matches:
        table.add_row(
            name,
            str(match.line),
            match.indicator.value,
            match.indicator.type.value,
            ", ".join(match.indicator.tags),
        )
    if report.matches:
        console.print(table)
    for problem in loaded.problems:
        console.print(f"[yellow]IoC not read[/yellow] {problem}", markup=True, highlight=False)
    for note in report.skipped:
        console.print(f"[yellow]skipped[/yellow] {note}", highlight=False)
    summary = _summary(report, loaded, matcher)
    console.print(
        f"{summary['matches']} matches of {summary['indicators_matched']} indicators in "
        f"{summary['files']} files ({summary['bytes']} bytes); {summary['indicators']} "
        f"indicators loaded, {summary['indicator_problems']} not read, "
        f"{summary['false_positive_skipped']} false positives and "
        f"{summary['expired_skipped']} expired left out.",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    @app.command("hunt")
    def hunt_command(
        paths: Annotated[list[Path], typer.Argument(help="Files or folders to search.")],
        iocs: Annotated[
            list[Path],
            typer.Option(
                "--iocs", "-i", help="IoC file: list, CSV, STIX 2.1 bundle or MISP event JSON."
            ),
        ],
        output: Annotated[
            OutputFormat, typer.Option("--format", "-f", help="Output format.")
        ] = OutputFormat.TABLE,
    ) -> None:
        """Search files for known indicators (offline) and print every match."""
        loaded = ImportResult()
        for ioc_path in iocs:
            if not ioc_path.is_file():
                raise typer.BadParameter(f"no such IoC file: {ioc_path}", param_hint="--iocs")
            loaded.extend(load_iocs(ioc_path))
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise typer.BadParameter(
                f"no such file or folder: {', '.join(missing)}", param_hint="PATHS"
            )
        matcher = Matcher.build(loaded.indicators)
        report = hunt(matcher, paths)
        if output is OutputFormat.JSON:
            document = {
                "matches": _rows(report),
                "summary": _summary(report, loaded, matcher),
                "problems": [str(p) for p in loaded.problems],
                "skipped": report.skipped,
            }
            sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        elif output is OutputFormat.CSV:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            columns = ["file", "line", "type", "indicator", "matched", "tags", "tlp", "context"]
            writer.writerow(columns)
            for row in _rows(report):
                cells = {**row, "tags": ";".join(match_tags(row))}
                writer.writerow([guard_cell(str(cells[c])) for c in columns])
            sys.stdout.write(buffer.getvalue())
        else:
            _print_table(report, loaded, matcher)
