"""Each analyzer accepts its own example files and no other analyzer's examples."""

import importlib
from pathlib import Path

import pytest

from madoguchi.analyzers.base import AnalysisContext, EvidenceFile
from madoguchi.analyzers.kinds import detect_kind
from madoguchi.analyzers.registry import load_registry
from madoguchi.domain.findings import Finding

OURS = (
    "panos",
    "ivanti",
    "fortios",
    "netscaler",
    "sonicwall",
    "esxi",
    "aws_cloudtrail",
    "aws_s3_access",
    "weblogs",
    "linux_auth",
)


def _analyzers():
    registry = load_registry(plugins=False, only=OURS)
    return {name: registry.get(name) for name in OURS}


def _examples(cls) -> tuple[Path, ...]:
    module = importlib.import_module(cls.__module__)
    return tuple(module.EXAMPLES)


def _evidence(path: Path) -> EvidenceFile:
    head = path.read_bytes()[: 64 * 1024]
    return EvidenceFile(path.name, path, detect_kind(head), path.stat().st_size)


def test_every_analyzer_in_the_registry_imports() -> None:
    registry = load_registry(plugins=False)
    broken = {b.target for b in registry.broken}
    for name in OURS:
        assert name in registry.names(), broken


CASES = [(owner, reader) for owner in OURS for reader in OURS]


@pytest.mark.parametrize(("owner", "reader"), CASES)
def test_only_the_owner_accepts_its_examples(owner: str, reader: str) -> None:
    analyzers = _analyzers()
    for path in _examples(analyzers[owner]):
        accepted = analyzers[reader]().sniff(_evidence(path))
        assert accepted is (owner == reader), f"{reader} on {owner}'s {path.name}"


@pytest.mark.parametrize("name", OURS)
def test_examples_produce_findings_without_warnings(name: str) -> None:
    cls = _analyzers()[name]
    for path in _examples(cls):
        analyzer = cls()
        ctx = AnalysisContext(analyzer=name)
        analyzer.prepare(ctx)
        outputs = list(analyzer.analyze(_evidence(path), ctx))
        assert any(isinstance(o, Finding) for o in outputs), path.name
        assert ctx.rules_not_loaded == []
        assert [w for w in ctx.warnings if "year" not in w.message] == []
