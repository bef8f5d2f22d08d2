"""Reading an IoC file whatever its format: plain list, CSV, STIX 2.1 bundle, MISP event.

The format is told from the content, not the file name: JSON with ``"type":
"bundle"`` is STIX, JSON with ``Event`` or ``Attribute`` is MISP, a first line
``type,value`` or rows whose first cell is a known type is CSV, anything else is a
plain list (one indicator per line, defanged values accepted, ``#`` comments,
type detected from the value).
"""

from __future__ import annotations

import json
from pathlib import Path

from madoguchi.analyzers.textio import decode_bytes, open_maybe_gzip
from madoguchi.domain.errors import ValidationError
from madoguchi.domain.indicator import IndicatorSource, SourceKind
from madoguchi.domain.tlp import TLP
from madoguchi.intel.classifier import make_indicator, resolve_type
from madoguchi.intel.exchange import ImportProblem, ImportResult
from madoguchi.intel.ioc_csv import import_csv
from madoguchi.intel.misp import import_event
from madoguchi.intel.stix import import_bundle

_MAX_BYTES = 512 * 1024 * 1024


def sniff_format(text: str) -> str:
    """``stix``, ``misp``, ``csv`` or ``text``."""
    head = text.lstrip()[:4096]
    if head.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return "text"
        if isinstance(data, dict) and data.get("type") == "bundle":
            return "stix"
        if isinstance(data, dict) and ("Event" in data or "Attribute" in data):
            return "misp"
        return "text"
    first = next(
        (line for line in head.splitlines() if line.strip() and not line.lstrip().startswith("#")),
        "",
    )
    if first.lower().replace(" ", "").startswith("type,value"):
        return "csv"
    cell = first.split(",", 1)[0].strip() if "," in first else ""
    if cell:
        try:
            resolve_type(cell, "")
        except ValidationError:
            return "text"
        return "csv"
    return "text"


def read_plain(text: str, *, source: IndicatorSource, default_tlp: TLP, where: str) -> ImportResult:
    result = ImportResult()
    for number, line in enumerate(text.splitlines(), start=1):
        value = line.split(" #", 1)[0].strip()
        if not value or value.startswith("#"):
            continue
        try:
            indicator = make_indicator(None, value, source=source, tlp=default_tlp)
        except ValidationError as error:
            result.problems.append(ImportProblem(f"{where}:{number}", error.message))
            continue
        result.indicators.append(indicator)
    return result


def load_iocs(path: Path, *, default_tlp: TLP = TLP.AMBER) -> ImportResult:
    """Indicators from one IoC file (gzip accepted); problems say which line or object."""
    with open_maybe_gzip(path) as handle:
        data = handle.read(_MAX_BYTES + 1)
    if len(data) > _MAX_BYTES:
        return ImportResult(problems=[ImportProblem(path.name, "IoC file larger than 512 MiB")])
    text, _ = decode_bytes(data)
    source = IndicatorSource(SourceKind.FEED, path.name)
    kind = sniff_format(text)
    if kind == "stix":
        return import_bundle(text, source=source, default_tlp=default_tlp)
    if kind == "misp":
        return import_event(text, source=source, default_tlp=default_tlp)
    if kind == "csv":
        return import_csv(text, source=source, default_tlp=default_tlp, where=path.name)
    return read_plain(text, source=source, default_tlp=default_tlp, where=path.name)
