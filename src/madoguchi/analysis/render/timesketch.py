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
from madoguchi.analysis.result import (
    FindingRecord,
    ResultDocument,
    TimelineRecord,
    parse_time,
    plain,
)

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
    """Rows sorted by time, then message: timeline events, then findings that carry a time.

    Only the order is worked out for every record at once (a small tuple each); each
    row is made when it is asked for, so a timeline of hundreds of thousands of events
    is never held as rows.
    """
    items: list[tuple[int | None, str, TimelineRecord | FindingRecord]] = []
    for event in doc.timeline:
        items.append((_micros(event.timestamp), event.message, event))
    for finding in doc.findings:
        when = finding.timestamp or finding.first_seen
        if when is not None:
            items.append((_micros(when), _detection_message(finding), finding))
    items.sort(key=_row_order)  # stable: events before findings, each in document order
    for micros, message, record in items:
        if isinstance(record, TimelineRecord):
            yield _event_row(record, micros)
        else:
            yield _finding_row(record, message, micros)


def _row_order(item: tuple[int | None, str, Any]) -> tuple[int, str]:
    return (item[0] or 0, item[1])


def _micros(when: str) -> int | None:
    parsed = parse_time(when)
    return int(parsed.timestamp() * 1_000_000) if parsed else None


def _detection_message(finding: FindingRecord) -> str:
    return f"[{finding.severity}] {finding.title}"


def _event_row(event: TimelineRecord, micros: int | None) -> dict[str, Any]:
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
    row["timestamp"] = micros
    return row


def _finding_row(finding: FindingRecord, message: str, micros: int | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "message": message,
        "datetime": finding.timestamp or finding.first_seen,
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
    row["timestamp"] = micros
    return row


def _evidence(evidence: dict[str, Any] | None) -> dict[str, Any]:
    if not evidence:
        return {}
    return {"path": evidence["path"], "record_id": evidence["record_id"], "line": evidence["line"]}


def render_timesketch_csv(doc: ResultDocument) -> bytes:
    out = io.BytesIO()
    write_timesketch_csv(doc, out)
    return out.getvalue()


def write_timesketch_csv(doc: ResultDocument, out: IO[bytes]) -> None:
    """The CSV, UTF-8, written to ``out`` row by row as each is made."""
    known = set(CORE_COLUMNS) | set(EXTRA_COLUMNS)
    # Every column a row can add beyond the known ones is a timeline event's attribute.
    attributes = sorted({key for event in doc.timeline for key in event.attributes} - known)
    columns = (*CORE_COLUMNS, *EXTRA_COLUMNS, *attributes)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        # Attribute names come from the evidence, so the header is guarded like any cell.
        writer.writerow([cell(column) for column in columns])
        for row in timesketch_rows(doc):
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
