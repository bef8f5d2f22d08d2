"""Which reader reads which evidence kind, and the cheap content checks that pick them.

A table, not an if/elif chain: kind → (sniff, reader). Every reader yields
:class:`~madoguchi.analyzers.windows_evtx.events.ReadEvent` and reports damage through
the context, never by raising.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import AnalysisContext, EvidenceFile
from madoguchi.analyzers.textio import detect_encoding
from madoguchi.analyzers.windows_evtx.events import ReadEvent
from madoguchi.analyzers.windows_evtx.evtx_file import read_evtx
from madoguchi.analyzers.windows_evtx.json_export import read_json
from madoguchi.analyzers.windows_evtx.text_export import looks_like_export, read_export
from madoguchi.analyzers.windows_evtx.xml_export import read_xml

Reader = Callable[[EvidenceFile, AnalysisContext], Iterator[ReadEvent]]

_EVENT_NS = "schemas.microsoft.com/win/2004/08/events/event"
_JSON_MARKERS = ('"EventID"', '"System"', '"winlog"', '"ProviderName"', '"EventId"')


def head_text(evidence: EvidenceFile) -> str:
    head = evidence.head
    return head.decode(detect_encoding(head), errors="replace").lstrip("\ufeff")


def _sniff_evtx(evidence: EvidenceFile) -> bool:
    return evidence.head.startswith(b"ElfFile\x00")


def _sniff_xml(evidence: EvidenceFile) -> bool:
    text = head_text(evidence)
    return "<Event" in text and (_EVENT_NS in text or "<System>" in text)


def _sniff_json(evidence: EvidenceFile) -> bool:
    text = head_text(evidence)
    return any(marker in text for marker in _JSON_MARKERS)


def _sniff_export(evidence: EvidenceFile) -> bool:
    lines = head_text(evidence).splitlines()
    first = lines[0] if lines else ""
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    try:
        header = next(csv.reader([first], delimiter=delimiter), [])
    except csv.Error:  # not CSV at all (a stray NUL or carriage return in binary data)
        return False
    return looks_like_export(header)


@dataclass(frozen=True)
class Format:
    name: str
    sniff: Callable[[EvidenceFile], bool]
    read: Reader


def _evtx(evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[ReadEvent]:
    threads = ctx.options.settings.get("evtx_threads", 1)
    return read_evtx(evidence, ctx, threads=threads if isinstance(threads, int) else 1)


EVTX = Format("evtx", _sniff_evtx, _evtx)
XML = Format("xml", _sniff_xml, read_xml)
JSON = Format("json", _sniff_json, read_json)
EXPORT = Format("export", _sniff_export, read_export)

#: Evidence kind → the formats to try, in order.
FORMATS: Mapping[str, tuple[Format, ...]] = {
    kinds.EVTX: (EVTX,),
    kinds.XML: (XML,),
    kinds.JSONL: (JSON,),
    kinds.JSON: (JSON,),
    kinds.CSV: (EXPORT,),
    kinds.TEXT: (EXPORT,),
}


def format_for(evidence: EvidenceFile) -> Format | None:
    """The format of this evidence, or ``None`` when it is not a Windows event log."""
    for candidate in FORMATS.get(evidence.kind, ()):
        try:
            if candidate.sniff(evidence):
                return candidate
        except OSError:
            return None
    return None
