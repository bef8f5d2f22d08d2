"""The Rich summary: findings by severity, top rules, hosts, accounts, time span, counts."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from madoguchi.analysis.result import ResultDocument, parse_time
from madoguchi.domain.findings import Severity

SEVERITY_STYLES = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFORMATIONAL: "dim",
}
TOP = 10


def time_span(doc: ResultDocument) -> tuple[str, str] | None:
    """Earliest and latest time among findings and timeline events."""
    stamps = [f.timestamp or f.first_seen for f in doc.findings] + [
        f.last_seen for f in doc.findings
    ]
    stamps += [t.timestamp for t in doc.timeline]
    parsed = sorted((p, s) for s in stamps if s and (p := parse_time(s)) is not None)
    if not parsed:
        return None
    return parsed[0][1], parsed[-1][1]


def severity_counts(doc: ResultDocument) -> dict[Severity, int]:
    counts = Counter(f.severity for f in doc.findings)
    return {s: counts.get(s.value, 0) for s in sorted(Severity, key=lambda s: -s.rank)}


def summary_renderable(doc: ResultDocument) -> RenderableType:
    parts: list[RenderableType] = []
    overview = Table(title="madoguchi analyze", show_header=False, box=None, pad_edge=False)
    overview.add_column(style="bold")
    overview.add_column()
    warnings = sum(len(i.warnings) for i in doc.inputs) + len(doc.warnings)
    unrecognised = sum(1 for i in doc.inputs if not i.recognised)
    span = time_span(doc)
    for label, value in (
        ("files", f"{doc.stats.files} ({unrecognised} not recognised)"),
        ("bytes analysed", f"{doc.stats.bytes:,}"),
        ("events", f"{doc.stats.events:,} ({doc.stats.skipped_records:,} skipped)"),
        ("seconds", f"{doc.stats.seconds:.1f}"),
        ("time span", f"{span[0]} .. {span[1]}" if span else "-"),
        ("findings", str(len(doc.findings))),
        ("timeline events", str(len(doc.timeline))),
        ("indicators", str(len(doc.indicators))),
        ("warnings", str(warnings)),
        ("rules not loaded", str(len(doc.rules_not_loaded))),
        ("broken analyzers", str(len(doc.broken_analyzers))),
    ):
        overview.add_row(label, value)
    parts.append(overview)

    by_severity = Table(title="Findings by severity")
    by_severity.add_column("severity")
    by_severity.add_column("count", justify="right")
    for severity, count in severity_counts(doc).items():
        by_severity.add_row(Text(severity.value, style=SEVERITY_STYLES[severity]), str(count))
    parts.append(by_severity)

    rules = Counter((f.rule_id, f.title, f.severity) for f in doc.findings)
    if rules:
        top_rules = Table(title="Top rules")
        for column in ("rule", "title", "severity"):
            top_rules.add_column(column)
        top_rules.add_column("count", justify="right")
        ranked = sorted(rules.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
        for (rule_id, title, level), count in ranked:
            style = SEVERITY_STYLES.get(Severity(level), "")
            top_rules.add_row(rule_id, title, Text(level, style=style), str(count))
        parts.append(top_rules)
    parts += _top_table("Hosts", (f.host for f in doc.findings))
    parts += _top_table("Accounts", (f.account for f in doc.findings))
    return Group(*parts)


def _top_table(title: str, values: Iterable[str | None]) -> list[RenderableType]:
    counts = Counter(v for v in values if v)
    if not counts:
        return []
    table = Table(title=f"{title} in findings")
    table.add_column(title.lower().rstrip("s"))
    table.add_column("findings", justify="right")
    for value, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]:
        table.add_row(value, str(count))
    return [table]


def print_summary(doc: ResultDocument, console: Console) -> None:
    console.print(summary_renderable(doc))


def render_table(doc: ResultDocument) -> bytes:
    """The summary as plain text (no colour), for ``--format table --out FILE``."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=110, color_system=None, force_terminal=False)
    print_summary(doc, console)
    return buffer.getvalue().encode("utf-8")
