"""A timeline Timesketch can import: ``message``, ``datetime``, ``timestamp_desc`` + extras.

Timeline events come first as they are; findings with a time are added as rows whose
``timestamp_desc`` is ``Detection`` so they sit on the same timeline. CSV cells are
guarded against formula injection.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, Any

import orjson

from madoguchi.analysis.render.cells import cell
from madoguchi.analysis.result import ResultDocument, parse_time, plain

CORE_COLUMNS = ("message", "datetime", "timestamp", "timestamp_desc")
EXTRA_COLUMNS = (
    "source",
    "host",
    "account",
    "path",
    "record_id",
    "line",
    "analyzer",
    "rule_id",
    "severity",
    "attack",
    "tag",
)


def timesketch_rows(doc: ResultDocument) -> Iterator[dict[str, Any]]:
    """Rows sorted by time: timeline events, then findings that carry a time."""
    rows: list[dict[str, Any]] = []
    for event in doc.timeline:
        row: dict[str, Any] = {
            "message": event.message,
            "datetime": event.timestamp,
            "timestamp_desc": event.timestamp_desc,
            "source": event.source,
            "host": event.host,
            "account": event.account,
        }
        row.update(_evidence(plain(event.evidence)))
        for key, value in event.attributes.items():
            row.setdefault(key, value)
        rows.append(row)
    for finding in doc.findings:
        when = finding.timestamp or finding.first_seen
        if when is None:
            continue
        row = {
            "message": f"[{finding.severity}] {finding.title}",
            "datetime": when,
            "timestamp_desc": "Detection",
            "source": finding.analyzer,
            "host": finding.host,
            "account": finding.account,
            "analyzer": finding.analyzer,
            "rule_id": finding.rule_id,
            "severity": finding.severity,
            "attack": list(finding.attack),
            "tag": ["madoguchi", finding.severity],
        }
        row.update(_evidence(plain(finding.evidence)))
        rows.append(row)
    for row in rows:
        parsed = parse_time(row["datetime"])
        row["timestamp"] = int(parsed.timestamp() * 1_000_000) if parsed else None
    rows.sort(key=lambda r: (r["timestamp"] or 0, r["message"]))
    yield from rows


def _evidence(evidence: dict[str, Any] | None) -> dict[str, Any]:
    if not evidence:
        return {}
    return {"path": evidence["path"], "record_id": evidence["record_id"], "line": evidence["line"]}


def render_timesketch_csv(doc: ResultDocument) -> bytes:
    out = io.BytesIO()
    write_timesketch_csv(doc, out)
    return out.getvalue()


def write_timesketch_csv(doc: ResultDocument, out: IO[bytes]) -> None:
    """The CSV, UTF-8, written to ``out`` row by row (the rows are sorted in memory first)."""
    rows = list(timesketch_rows(doc))
    known = set(CORE_COLUMNS) | set(EXTRA_COLUMNS)
    attributes = sorted({key for row in rows for key in row} - known)
    columns = (*CORE_COLUMNS, *EXTRA_COLUMNS, *attributes)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        # Attribute names come from the evidence, so the header is guarded like any cell.
        writer.writerow([cell(column) for column in columns])
        for row in rows:
            writer.writerow([cell(row.get(column)) for column in columns])
    finally:
        text.detach()  # leave ``out`` open for its owner


def render_timesketch_jsonl(doc: ResultDocument) -> bytes:
    out = io.BytesIO()
    write_timesketch_jsonl(doc, out)
    return out.getvalue()


def write_timesketch_jsonl(doc: ResultDocument, out: IO[bytes]) -> None:
    """One JSON object a line, written to ``out`` as it is made."""
    for row in timesketch_rows(doc):
        item = {k: v for k, v in row.items() if v is not None}
        out.write(orjson.dumps(item, option=orjson.OPT_APPEND_NEWLINE))
