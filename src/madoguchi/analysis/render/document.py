"""The result document as JSON (one document) and JSON Lines (one record a line).

Both are written to a binary stream a few records at a time (:func:`write_json`,
:func:`write_jsonl`), so that writing a result of hundreds of thousands of timeline
events never holds a second copy of it as one block of bytes: a 600 MB event log gives
about 160 MB of JSON, which would otherwise sit in memory beside the records.
"""

from __future__ import annotations

import io
from typing import IO, Any

import orjson

from madoguchi.analysis.result import ResultDocument, dumps, plain

RECORD_TYPES = (("finding", "findings"), ("timeline", "timeline"), ("indicator", "indicators"))


def render_json(doc: ResultDocument) -> bytes:
    out = io.BytesIO()
    write_json(doc, out)
    return out.getvalue()


def write_json(doc: ResultDocument, out: IO[bytes]) -> None:
    """Write the bytes of ``doc.to_json(indent=True)`` to ``out``, a slice at a time.

    Each top-level value, and each slice of :data:`_SLICE` items of a top-level list, is
    written by orjson with two-space indentation and moved to its depth by indenting
    every line. That is exact because JSON text holds no raw line break except between
    tokens (a line break inside a string is written ``\\n``).
    """
    shape = doc.shape()
    out.write(b"{")
    for number, (key, value) in enumerate(shape.items()):
        out.write(b"\n  " if number == 0 else b",\n  ")
        out.write(orjson.dumps(key) + b": ")
        if isinstance(value, tuple | list) and value:
            out.write(b"[")
            for start in range(0, len(value), _SLICE):
                out.write(b"\n" if start == 0 else b",\n")
                # "[\n  item,\n  item\n]" at depth 1; without its brackets, one level deeper
                text = dumps(value[start : start + _SLICE], option=orjson.OPT_INDENT_2)
                out.write(b"  " + text[2:-2].replace(b"\n", b"\n  "))
            out.write(b"\n  ]")
        else:
            out.write(_indented(value, b"\n  "))
    out.write(b"\n}\n" if shape else b"}\n")


#: Items of a top-level list written by one orjson call: a few dozen records at a time
#: keep the per-call cost small without holding much more than one record's bytes.
_SLICE = 64


def _indented(value: Any, newline: bytes) -> bytes:
    return dumps(value, option=orjson.OPT_INDENT_2).replace(b"\n", newline)


def render_jsonl(doc: ResultDocument) -> bytes:
    out = io.BytesIO()
    write_jsonl(doc, out)
    return out.getvalue()


def write_jsonl(doc: ResultDocument, out: IO[bytes]) -> None:
    """One line per finding, timeline event and indicator, each with a ``record_type``."""
    for record_type, attribute in RECORD_TYPES:
        for record in getattr(doc, attribute):
            item: dict[str, Any] = {"record_type": record_type}
            item.update(plain(record))
            out.write(orjson.dumps(item, option=orjson.OPT_APPEND_NEWLINE))
