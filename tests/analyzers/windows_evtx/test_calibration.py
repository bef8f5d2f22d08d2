"""The analyzer on the labelled public EVTX samples (skipped when the data is not given).

It asserts only what must hold on any intact, real log: every file is read to the end
without an exception, no intact record is reported as damaged, and every output is a
domain value with a timestamp where one is expected. Detection rates are measured and
printed by bench/evtx_calibration.py, never asserted here.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from tests.analyzers.windows_evtx.evtx_helpers import run

from madoguchi.analyzers.base import AnalysisContext
from madoguchi.analyzers.windows_evtx import EvtxAnalyzer
from madoguchi.domain.findings import Finding, TimelineEvent


def test_calibration_logs_are_read_completely() -> None:
    root = os.environ.get("MADOGUCHI_CALIBRATION_DATA")
    if not root:
        pytest.skip("MADOGUCHI_CALIBRATION_DATA is not set; the public EVTX sample is needed")
    folder = Path(root) / "evtx"
    analyzer = EvtxAnalyzer()
    shared = AnalysisContext(analyzer=analyzer.name)
    analyzer.prepare(shared)
    assert shared.rules_not_loaded == []
    files = 0
    with (folder / "labels.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            ctx = AnalysisContext(analyzer=analyzer.name, _cache=shared._cache)
            result = run(folder / row["path"], ctx=ctx)
            files += 1
            assert ctx.events > 0, row["path"]
            assert ctx.skipped_records == 0, (row["path"], ctx.warnings[:3])
            for output in result.outputs:
                if isinstance(output, TimelineEvent):
                    assert output.timestamp.tzinfo is not None
                if isinstance(output, Finding) and output.evidence is not None:
                    assert output.evidence.path == row["path"].rsplit("/", 1)[-1]
    assert files == 104
