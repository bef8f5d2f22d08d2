"""Fuzz the Windows event log analyzer (the ``evtx`` wrapper and the XML, JSON and Event
Viewer CSV/text readers) with arbitrary file contents: problems must come back as
warnings in the context, never as an exception."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from madoguchi.analyzers.base import AnalysisContext, EvidenceFile, RunOptions
    from madoguchi.analyzers.kinds import detect_kind
    from madoguchi.analyzers.windows_evtx import EvtxAnalyzer

WORK = Path(tempfile.mkdtemp(prefix="fuzz-evtx-"))
ANALYZER = EvtxAnalyzer()


def one_input(data: bytes) -> None:
    path = WORK / "input.evtx"
    path.write_bytes(data)
    ctx = AnalysisContext(options=RunOptions(), analyzer=ANALYZER.name)
    ANALYZER.prepare(ctx)
    evidence = EvidenceFile(path.name, path, detect_kind(data[:65536]), len(data))
    for _ in ANALYZER.analyze(evidence, ctx):
        pass
    assert all(warning.path == path.name for warning in ctx.warnings)


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
