"""Renderers: each turns a result document into bytes in one output format.

``RENDERERS`` maps a ``--format`` name to its renderer; every renderer reads only the
:class:`~madoguchi.analysis.result.ResultDocument`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from madoguchi.analysis.render.document import render_json, render_jsonl
from madoguchi.analysis.render.sheet import render_findings_csv
from madoguchi.analysis.render.summary import render_table
from madoguchi.analysis.render.timesketch import (
    render_timesketch_csv,
    render_timesketch_jsonl,
    write_timesketch_csv,
    write_timesketch_jsonl,
)
from madoguchi.analysis.result import ResultDocument

Renderer = Callable[[ResultDocument], bytes]


def render_html(doc: ResultDocument) -> bytes:
    """The HTML report (its module, and Jinja2, are loaded only when one is asked for)."""
    from madoguchi.analysis.render.report import render_html as render

    return render(doc)


RENDERERS: dict[str, Renderer] = {
    "table": render_table,
    "json": render_json,
    "jsonl": render_jsonl,
    "csv": render_findings_csv,
    "html": render_html,
}

TIMELINE_RENDERERS: dict[str, Renderer] = {
    ".csv": render_timesketch_csv,
    ".jsonl": render_timesketch_jsonl,
}

#: The same timelines written to a binary stream as they are made, by file suffix.
TIMELINE_WRITERS: dict[str, Callable[[ResultDocument, IO[bytes]], None]] = {
    ".csv": write_timesketch_csv,
    ".jsonl": write_timesketch_jsonl,
}

__all__ = ["RENDERERS", "TIMELINE_RENDERERS", "TIMELINE_WRITERS", "Renderer"]
