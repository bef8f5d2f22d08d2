"""Windows events exported as XML: ``wevtutil qe /f:xml`` and Event Viewer "Save as XML".

``wevtutil`` writes ``<Event>`` elements one after another with no root element;
Event Viewer wraps them in ``<Events>``. Both are read the same way: the text is
streamed, cut at each ``<Event …>…</Event>`` and every event is parsed on its own, so
one damaged event is skipped (with its line number) and the rest are still read.

Each event is parsed without the document's DOCTYPE (a Windows export has none), so
no entity can be declared and none expanded; an event that tries is skipped.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from madoguchi.analyzers.base import AnalysisContext, EvidenceFile
from madoguchi.analyzers.textio import detect_encoding, open_maybe_gzip
from madoguchi.analyzers.windows_evtx.events import (
    FlatEvent,
    ReadEvent,
    as_int,
    data_key,
    parse_time,
)

_START = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?Event[\s>]")
_END = re.compile(r"</(?:[A-Za-z_][\w.-]*:)?Event\s*>")
_CHUNK = 1024 * 1024
_MAX_EVENT = 64 * 1024 * 1024


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def element_to_event(root: ET.Element) -> FlatEvent:
    """Flatten one parsed ``<Event>`` element (namespaced or not)."""
    flat: FlatEvent = {
        "EventID": None,
        "Channel": None,
        "Provider_Name": None,
        "Computer": None,
        "EventRecordID": None,
        "TimeCreated": None,
        "Level": None,
        "Task": None,
        "Keywords": None,
    }
    for block in root:
        name = _local(block.tag)
        if name == "System":
            for item in block:
                field = _local(item.tag)
                if field == "Provider":
                    flat["Provider_Name"] = item.get("Name") or item.get("EventSourceName")
                elif field == "TimeCreated":
                    flat["TimeCreated"] = item.get("SystemTime")
                elif field == "Security":
                    if item.get("UserID"):
                        flat["SecurityUserID"] = item.get("UserID")
                elif field in ("EventID", "EventRecordID"):
                    flat[field] = as_int(item.text)
                elif field in ("Channel", "Computer", "Level", "Task", "Keywords"):
                    flat[field] = (item.text or "").strip() or None
        elif name == "EventData":
            unnamed: list[str | None] = []
            for item in block:
                data_name = item.get("Name")
                if data_name:
                    flat[data_key(data_name, "EventData")] = item.text
                elif _local(item.tag) == "Data":
                    unnamed.append(item.text)
                else:
                    flat[data_key(_local(item.tag), "EventData")] = item.text
            if unnamed:
                flat["Data"] = unnamed
        elif name == "UserData":
            for inner in block:
                for item in inner:
                    flat[data_key(_local(item.tag), "UserData")] = item.text
    return flat


def _parse(segment: str) -> FlatEvent:
    if "<!" in segment and ("<!ENTITY" in segment or "<!DOCTYPE" in segment):
        raise ET.ParseError("entity or DOCTYPE declaration inside an event")
    root = ET.fromstring(segment)  # noqa: S314 - no DOCTYPE reaches the parser, see module doc
    return element_to_event(root)


def read_xml(evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[ReadEvent]:
    """Yield the events of an XML export; damaged events are skipped with their line."""
    with open_maybe_gzip(evidence.local_path) as raw:
        encoding = detect_encoding(raw.read(256 * 1024))
        raw.seek(0)
        text = io.TextIOWrapper(raw, encoding=encoding, errors="replace")
        buffer = ""
        line = 1  # line number of buffer[0]
        while True:
            chunk = text.read(_CHUNK)
            buffer += chunk
            while True:
                start = _START.search(buffer)
                if start is None:
                    line += buffer.count("\n", 0, max(0, len(buffer) - 64))
                    buffer = buffer[max(0, len(buffer) - 64) :]
                    break
                end = _END.search(buffer, start.end())
                next_start = _START.search(buffer, start.end())
                if next_start is not None and (end is None or next_start.start() < end.start()):
                    # An event that never closes before the next one begins: damaged.
                    event_line = line + buffer.count("\n", 0, start.start())
                    ctx.skipped("unterminated <Event> element", path=evidence.path, line=event_line)
                    line += buffer.count("\n", 0, next_start.start())
                    buffer = buffer[next_start.start() :]
                    continue
                if end is None:
                    if len(buffer) - start.start() > _MAX_EVENT:
                        event_line = line + buffer.count("\n", 0, start.start())
                        ctx.skipped("event larger than 64 MiB", path=evidence.path, line=event_line)
                        line += buffer.count("\n")
                        buffer = ""
                    break
                event_line = line + buffer.count("\n", 0, start.start())
                segment = buffer[start.start() : end.end()]
                line = event_line + segment.count("\n")
                buffer = buffer[end.end() :]
                try:
                    flat = _parse(segment)
                except ET.ParseError as error:
                    ctx.skipped(f"damaged XML event: {error}", path=evidence.path, line=event_line)
                    continue
                if flat["EventID"] is None:
                    ctx.skipped("XML event without an EventID", path=evidence.path, line=event_line)
                    continue
                yield ReadEvent(
                    flat, flat["EventRecordID"], parse_time(flat["TimeCreated"]), event_line
                )
            if not chunk:
                tail = _START.search(buffer)
                if tail is not None:
                    ctx.skipped(
                        "file ends inside an <Event> element (truncated)",
                        path=evidence.path,
                        line=line + buffer.count("\n", 0, tail.start()),
                    )
                return
