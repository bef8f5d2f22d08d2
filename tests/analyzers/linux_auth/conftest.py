"""Run one analyzer on a file the test wrote, the way the runner does."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from madoguchi.analyzers.base import AnalysisContext, EvidenceFile, RunOptions
from madoguchi.analyzers.kinds import detect_kind
from madoguchi.domain.findings import Finding, Observable, Section, TimelineEvent


@dataclass
class Outcome:
    accepted: bool
    ctx: AnalysisContext
    findings: list[Finding] = field(default_factory=list)
    observables: list[Observable] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    def rule(self, rule_id: str) -> list[Finding]:
        return [f for f in self.findings if f.rule_id == rule_id]

    @property
    def rule_ids(self) -> set[str]:
        return {f.rule_id for f in self.findings}


def evidence(path: Path) -> EvidenceFile:
    head = path.read_bytes()[: 64 * 1024]
    return EvidenceFile(path.name, path, detect_kind(head), path.stat().st_size)


def run(analyzer: Any, path: Path, settings: dict[str, Any] | None = None) -> Outcome:
    ctx = AnalysisContext(options=RunOptions(settings=settings or {}), analyzer=analyzer.name)
    analyzer.prepare(ctx)
    ev = evidence(path)
    outcome = Outcome(analyzer.sniff(ev), ctx)
    for item in analyzer.analyze(ev, ctx):
        if isinstance(item, Finding):
            outcome.findings.append(item)
        elif isinstance(item, Observable):
            outcome.observables.append(item)
        elif isinstance(item, TimelineEvent):
            outcome.timeline.append(item)
        elif isinstance(item, Section):
            outcome.sections.append(item)
    return outcome


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    def _write(name: str, text: str, *, gzipped: bool = False, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        data = text.encode(encoding)
        path.write_bytes(gzip.compress(data) if gzipped else data)
        return path

    return _write


@pytest.fixture
def analyze() -> Callable[..., Outcome]:
    return run
