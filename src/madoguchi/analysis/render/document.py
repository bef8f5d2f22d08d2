"""The result document as JSON (one document) and JSON Lines (one record a line)."""

from __future__ import annotations

from typing import Any

import orjson

from madoguchi.analysis.result import ResultDocument, plain

RECORD_TYPES = (("finding", "findings"), ("timeline", "timeline"), ("indicator", "indicators"))


def render_json(doc: ResultDocument) -> bytes:
    return doc.to_json(indent=True)


def render_jsonl(doc: ResultDocument) -> bytes:
    """One line per finding, timeline event and indicator, each with a ``record_type``."""
    lines: list[bytes] = []
    for record_type, attribute in RECORD_TYPES:
        for record in getattr(doc, attribute):
            item: dict[str, Any] = {"record_type": record_type}
            item.update(plain(record))
            lines.append(orjson.dumps(item))
    return b"".join(line + b"\n" for line in lines)
