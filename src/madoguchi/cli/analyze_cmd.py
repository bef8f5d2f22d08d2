"""``madoguchi analyze PATH...`` (offline: no server, no database) and ``madoguchi analyzers``."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from madoguchi.analysis.render import RENDERERS, TIMELINE_RENDERERS, TIMELINE_WRITERS
from madoguchi.analysis.render.document import write_json, write_jsonl
from madoguchi.analysis.render.summary import print_summary
from madoguchi.analysis.result import ResultDocument
from madoguchi.analysis.runner import AnalysisRequest, ProgressCallback, run_analysis
from madoguchi.analysis.runner import Progress as RunProgress
from madoguchi.analyzers.forking import frozen_heap
from madoguchi.analyzers.registry import load_registry
from madoguchi.analyzers.sigma import PlaceholderFileError, read_placeholders
from madoguchi.analyzers.windows_evtx import PLACEHOLDERS_SETTING
from madoguchi.domain.errors import ConfigurationError, NotFoundError


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    HTML = "html"


class Language(StrEnum):
    EN = "en"
    JA = "ja"


def _parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter(
            f"{value!r} is not an ISO 8601 time (e.g. 2024-05-01T09:00:00Z)", param_hint=option
        ) from error


def _fail(console: Console, message: str, code: int = 2) -> typer.Exit:
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def _evidence_path(value: str) -> Path:
    if not value.strip():  # Path("") is the current folder: never what was meant
        raise typer.BadParameter("an empty path was given (an unset shell variable?)")
    return Path(value)


def _unwritable(target: Path | None) -> str | None:
    """Why an output file cannot be written there, or ``None`` when it can (or none given)."""
    if target is None:
        return None
    if target.is_dir():
        return "is a folder; give a file name"
    folder = target.parent
    if not folder.is_dir():
        return f"the folder {folder} does not exist"
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        return "not writable"
    return None


def analyze(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Files, folders or archives to analyse.", parser=_evidence_path, metavar="PATHS"
        ),
    ],
    rules: Annotated[
        list[Path] | None, typer.Option("--rules", help="An extra rule folder (repeatable).")
    ] = None,
    placeholders: Annotated[
        Path | None,
        typer.Option(
            "--placeholders",
            help="YAML file of values for %name% placeholders in Sigma rules.",
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.TABLE,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the output here.")] = None,
    since: Annotated[str | None, typer.Option(help="Keep results at or after (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option(help="Keep results at or before (ISO 8601).")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes.")] = 1,
    analyzer: Annotated[
        list[str] | None, typer.Option("--analyzer", help="Run only this analyzer (repeatable).")
    ] = None,
    timeline_out: Annotated[
        Path | None,
        typer.Option(help="Also write a Timesketch timeline (.csv or .jsonl)."),
    ] = None,
    password: Annotated[
        list[str] | None,
        typer.Option("--password", help="Password for encrypted archives (repeatable)."),
    ] = None,
    language: Annotated[Language, typer.Option("--lang", help="HTML report language.")] = (
        Language.EN
    ),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = (
        False
    ),
) -> None:
    """Analyse evidence offline and print or write the result."""
    err = Console(stderr=True)
    if timeline_out is not None and timeline_out.suffix.lower() not in TIMELINE_RENDERERS:
        raise _fail(err, f"--timeline-out must end in {' or '.join(TIMELINE_RENDERERS)}")
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise _fail(err, "no such file or directory: " + ", ".join(str(p) for p in missing))
    for option, target in (("--out", out), ("--timeline-out", timeline_out)):
        problem = _unwritable(target)
        if problem is not None:  # said before the analysis, not after it has run
            raise _fail(err, f"{option} {target}: {problem}")
    settings: dict[str, object] = {}
    if placeholders is not None:
        try:
            settings[PLACEHOLDERS_SETTING] = read_placeholders(placeholders)
        except PlaceholderFileError as error:
            raise _fail(err, f"--placeholders: {error}") from error
    request = AnalysisRequest(
        paths=tuple(paths),
        rule_dirs=tuple(rules or ()),
        settings=settings,
        since=_parse_time(since, "--since"),
        until=_parse_time(until, "--until"),
        only=tuple(analyzer or ()),
        jobs=jobs,
        passwords=tuple(password or ()),
    )
    show_progress = not quiet and err.is_terminal
    # The result stays frozen until it is written: the garbage collector would walk it
    # (a million objects on a large input) for nothing (see analyzers.forking).
    with frozen_heap():
        try:
            doc = _run(request, err if show_progress else None)
        except (NotFoundError, ConfigurationError) as error:
            raise _fail(err, str(error)) from error

        if timeline_out is not None:
            with timeline_out.open("wb", buffering=_WRITE_BUFFER) as stream:
                TIMELINE_WRITERS[timeline_out.suffix.lower()](doc, stream)
        _emit(doc, output_format, out, language, err, quiet=quiet)


def _run(request: AnalysisRequest, console: Console | None) -> ResultDocument:
    if console is None:
        return run_analysis(request)
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[files]}"),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("analysing", total=None, files="")

        def update(step: RunProgress) -> None:
            bar.update(
                task,
                total=step.bytes_total or None,
                completed=step.bytes_done,
                files=f"{step.files_done}/{step.files_total} files",
            )

        callback: ProgressCallback = update
        return run_analysis(request, progress=callback)


def _emit(
    doc: ResultDocument,
    output_format: OutputFormat,
    out: Path | None,
    language: Language,
    err: Console,
    *,
    quiet: bool,
) -> None:
    if out is None and output_format is OutputFormat.TABLE:
        print_summary(doc, Console())
        return
    if out is not None:
        with out.open("wb", buffering=_WRITE_BUFFER) as stream:
            _write(doc, output_format, language, stream)
        if not quiet:
            print_summary(doc, err)
            err.print(f"written: {out}", highlight=False)
        return
    _write(doc, output_format, language, sys.stdout.buffer)
    sys.stdout.buffer.flush()


_WRITE_BUFFER = 1024 * 1024
#: Formats written to the stream a record at a time (a large result is never one block).
_STREAMED = {"json": write_json, "jsonl": write_jsonl}


def _write(
    doc: ResultDocument, output_format: OutputFormat, language: Language, out: IO[bytes]
) -> None:
    if output_format is OutputFormat.HTML:
        from madoguchi.analysis.render.report import render_html  # Jinja2 only for HTML

        out.write(render_html(doc, language=language.value))
        return
    streamed = _STREAMED.get(output_format.value)
    if streamed is not None:
        streamed(doc, out)
        return
    out.write(RENDERERS[output_format.value](doc))


def analyzers() -> None:
    """List the registered analyzers and the ones that could not be loaded."""
    console = Console()
    registry = load_registry()
    table = Table(title="Analyzers")
    table.add_column("name")
    table.add_column("version")
    table.add_column("accepts")
    table.add_column("module")
    for cls in registry:
        table.add_row(cls.name, cls.version, ", ".join(sorted(cls.accepts)), cls.__module__)
    console.print(table)
    if registry.broken:
        broken = Table(title="Broken analyzers (not loaded)")
        broken.add_column("target")
        broken.add_column("reason")
        for item in registry.broken:
            broken.add_row(item.target, item.reason)
        console.print(broken)


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze)
    app.command("analyzers")(analyzers)
