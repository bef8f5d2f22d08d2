"""A standalone HTML report (Jinja2, autoescaped, no script, no external resources)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from madoguchi.analysis.render.summary import severity_counts, time_span
from madoguchi.analysis.result import FindingRecord, ResultDocument, parse_time
from madoguchi.domain.findings import Severity
from madoguchi.i18n.catalogue import Translator

TEMPLATES = Path(__file__).parent / "templates"
TIMELINE_ROWS = 5000
LOGON_GRAPH = "madoguchi.analyzers.windows_evtx.logon_graph"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _severity_order(finding: FindingRecord) -> tuple[int, float]:
    when = parse_time(finding.timestamp or finding.first_seen)
    return (-Severity(finding.severity).rank, when.timestamp() if when else float("inf"))


def localised(finding: FindingRecord, language: str) -> tuple[str, str]:
    """Title and description in the report language (``details["ja"]`` for Japanese)."""
    if language == "ja":
        ja = finding.details.get("ja")
        if isinstance(ja, Mapping):
            return str(ja.get("title") or finding.title), str(
                ja.get("description") or finding.description
            )
    return finding.title, finding.description


def logon_graphs(doc: ResultDocument) -> tuple[list[tuple[str, Markup]], str | None]:
    """Inline SVG logon graphs, one per input with a ``logons`` section.

    The graph renderer belongs to the Windows event log analyzer and escapes its own
    text; when it is missing or fails the report says so instead of failing.
    """
    items = doc.sections.get("logons", ())
    if not items:
        return [], None
    try:
        render_svg: Callable[[Any], str] = importlib.import_module(LOGON_GRAPH).render_svg
    except (ImportError, AttributeError) as error:
        return [], f"logon graph unavailable: {error}"
    graphs: list[tuple[str, Markup]] = []
    for item in items:
        data = {k: v for k, v in item.items() if k != "path"}
        try:
            svg = render_svg(data)
        except Exception as error:  # the report must render even when a graph cannot
            return graphs, f"logon graph failed: {type(error).__name__}: {error}"
        graphs.append((str(item.get("path", "")), Markup(svg)))  # noqa: S704 - escaped by its renderer
    return graphs, None


def render_html(doc: ResultDocument, *, language: str = "en") -> bytes:
    translate = Translator(language)
    findings = sorted(doc.findings, key=_severity_order)
    graphs, graph_note = logon_graphs(doc)
    other_sections = {name: items for name, items in doc.sections.items() if name != "logons"}
    template = _environment().get_template("report.html.j2")
    html = template.render(
        _=translate,
        lang=translate.language,
        doc=doc,
        findings=[(f, *localised(f, translate.language)) for f in findings],
        severities=severity_counts(doc),
        span=time_span(doc),
        timeline=doc.timeline[:TIMELINE_ROWS],
        timeline_cut=max(0, len(doc.timeline) - TIMELINE_ROWS),
        warnings=[(i.path, w) for i in doc.inputs for w in i.warnings],
        unrecognised=[i for i in doc.inputs if not i.recognised],
        graphs=graphs,
        graph_note=graph_note,
        other_sections=other_sections,
    )
    return html.encode("utf-8")
