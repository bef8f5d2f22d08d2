"""Running the disk analyzers the way ``madoguchi analyze`` does, for the tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from madoguchi.analysis.result import ResultDocument
from madoguchi.analysis.runner import AnalysisRequest, run_analysis
from madoguchi.analyzers.disk import DiskImageAnalyzer, TriageCollectionAnalyzer
from madoguchi.analyzers.registry import Registry


def analyze(
    *paths: Path,
    settings: Mapping[str, Any] | None = None,
    rule_dirs: Iterable[Path] = (),
) -> ResultDocument:
    registry = Registry()
    registry.add(DiskImageAnalyzer)
    registry.add(TriageCollectionAnalyzer)
    return run_analysis(
        AnalysisRequest(
            paths=tuple(paths), settings=dict(settings or {}), rule_dirs=tuple(rule_dirs)
        ),
        registry=registry,
    )


def rule_ids(doc: ResultDocument) -> set[str]:
    return {f.rule_id for f in doc.findings}


def findings(doc: ResultDocument, rule_id: str) -> list[Any]:
    return [f for f in doc.findings if f.rule_id == rule_id]


def warnings(doc: ResultDocument) -> list[str]:
    return [w.message for i in doc.inputs for w in i.warnings] + [w.message for w in doc.warnings]
