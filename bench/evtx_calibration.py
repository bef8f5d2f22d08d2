"""Measure the Windows event log analyzer on the labelled public EVTX samples.

Input: the calibration data folder named by the environment variable
MADOGUCHI_CALIBRATION_DATA (its ``evtx/`` folder holds 104 ``.evtx`` files recorded
while attack techniques ran, labelled in ``evtx/labels.csv`` with ATT&CK tactic and
technique ids where the source gives them). The rules are not tuned to these files;
this only measures.

For each technique label: how many files carry it, in how many a finding with that
technique (or its parent / a sub-technique of the same parent) fired, and how many
records were skipped as damaged. Files labelled with a tactic only are grouped per
tactic and count as detected when a finding tagged with that tactic fired; files
without labels count as detected when any finding above informational fired.

Usage: MADOGUCHI_CALIBRATION_DATA=/path/to/data python bench/evtx_calibration.py [-v]
"""

from __future__ import annotations

import csv
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from madoguchi.analyzers.base import AnalysisContext, EvidenceFile
from madoguchi.analyzers.kinds import detect_kind
from madoguchi.analyzers.windows_evtx import EvtxAnalyzer
from madoguchi.domain.findings import Finding, Severity


@dataclass
class Row:
    files: int = 0
    detected: int = 0
    skipped: int = 0
    events: int = 0
    names: list[str] = field(default_factory=list)


def _base(technique: str) -> str:
    return technique.upper().split(".", 1)[0]


def _tactic_tag(name: str) -> set[str]:
    return {"attack." + name.replace("-", "_"), "attack." + name}


def main() -> int:
    root = os.environ.get("MADOGUCHI_CALIBRATION_DATA")
    if not root:
        print("MADOGUCHI_CALIBRATION_DATA is not set; nothing to measure.")
        return 2
    data = Path(root) / "evtx"
    verbose = "-v" in sys.argv
    analyzer = EvtxAnalyzer()
    rows: dict[str, Row] = defaultdict(Row)
    total_events = 0
    total_time = 0.0
    with (data / "labels.csv").open(encoding="utf-8") as handle:
        labels = list(csv.DictReader(handle))
    ctx0 = AnalysisContext(analyzer=analyzer.name)
    analyzer.prepare(ctx0)
    for problem in ctx0.rules_not_loaded:
        print("rule not loaded:", problem.rule_file, problem.reason)
    for label in labels:
        path = data / label["path"]
        ctx = AnalysisContext(analyzer=analyzer.name, _cache=ctx0._cache)
        with path.open("rb") as fh:
            head = fh.read(65536)
        evidence = EvidenceFile(label["path"], path, detect_kind(head), path.stat().st_size)
        start = time.perf_counter()
        outputs = list(analyzer.analyze(evidence, ctx))
        total_time += time.perf_counter() - start
        total_events += ctx.events
        findings = [o for o in outputs if isinstance(o, Finding)]
        techniques = {t.upper() for f in findings for t in f.attack}
        tags = {str(t).lower() for f in findings for t in f.details.get("tags", ())}
        notable = [f for f in findings if f.severity.rank > Severity.INFORMATIONAL.rank]
        wanted = label["technique_ids"].strip()
        if wanted:
            key = wanted.upper()
            hit = any(_base(t) == _base(key) for t in techniques)
        elif label["tactic_names"].strip():
            key = f"{label['tactic_ids']} ({label['tactic_names']}, no technique)"
            hit = bool(_tactic_tag(label["tactic_names"].strip()) & tags)
        else:
            key = "(unlabelled: any finding above informational)"
            hit = bool(notable)
        row = rows[key]
        row.files += 1
        row.detected += int(hit)
        row.skipped += ctx.skipped_records
        row.events += ctx.events
        if verbose:
            titles = sorted({f.title for f in notable})
            print(
                f"{'HIT ' if hit else 'miss'} {label['path']}: {len(findings)} findings; "
                f"{'; '.join(titles)[:300]}"
            )
    print(f"{'technique':<58} {'files':>5} {'detected':>8} {'skipped':>7} {'events':>7}")
    for key in sorted(rows):
        row = rows[key]
        print(f"{key:<58} {row.files:>5} {row.detected:>8} {row.skipped:>7} {row.events:>7}")
    files = sum(r.files for r in rows.values())
    detected = sum(r.detected for r in rows.values())
    skipped = sum(r.skipped for r in rows.values())
    print(f"{'total':<58} {files:>5} {detected:>8} {skipped:>7} {total_events:>7}")
    if total_time:
        print(f"analysis rate: {total_events / total_time:,.0f} events/s over {files} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
