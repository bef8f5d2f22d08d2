"""Windows event logs: ``.evtx`` files and their XML, JSON, CSV and text exports.

See :mod:`madoguchi.analyzers.windows_evtx.analyzer` for what the analyzer yields and
``docs`` in each reader module for what every export format keeps and loses.
"""

from __future__ import annotations

from pathlib import Path

from madoguchi.analyzers.windows_evtx.analyzer import (
    PARTS_SETTING,
    PLACEHOLDERS_SETTING,
    EvtxAnalyzer,
    PartOutput,
    load_rule_pack,
    merge_parts,
    scan_part,
)
from madoguchi.analyzers.windows_evtx.logon_graph import render_svg

_EXAMPLES = Path(__file__).parent / "examples"

#: Files the conformance test runs this analyzer on (written for the project; see
#: examples/README.md).
EXAMPLES = (
    _EXAMPLES / "wevtutil-security.xml",
    _EXAMPLES / "evtx-dump.jsonl",
    _EXAMPLES / "eventviewer-ja.csv",
)

__all__ = [
    "EXAMPLES",
    "PARTS_SETTING",
    "PLACEHOLDERS_SETTING",
    "EvtxAnalyzer",
    "PartOutput",
    "load_rule_pack",
    "merge_parts",
    "render_svg",
    "scan_part",
]
