"""Every registered analyzer keeps the contract (docs/how-to-write-an-analyzer.md).

For each analyzer in ``load_registry()``: it has a name, a version and the kinds it
accepts; its module defines ``EXAMPLES``; every example exists, is sniffed as its own,
and yields at least one output, all of them domain values; and the run over its
examples makes a result document that survives a JSON round trip.

Broken registry entries are skipped with their reason, except a built-in whose package
exists but fails to import: that is a bug in the package and fails here.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

from madoguchi.analysis.result import ResultDocument
from madoguchi.analysis.runner import AnalysisRequest, run_analysis
from madoguchi.analysis.walk import EvidenceWalk
from madoguchi.analyzers.base import AnalysisContext, Analyzer, RunOptions
from madoguchi.analyzers.registry import BUILTIN, Registry, load_registry
from madoguchi.domain.findings import Finding, Observable, Section, TimelineEvent

DOMAIN_OUTPUTS = (Finding, Observable, TimelineEvent, Section)
REGISTRY = load_registry()
ANALYZERS = list(REGISTRY)


def _examples(cls: type[Analyzer]) -> tuple[Path, ...]:
    """``EXAMPLES`` from the analyzer's module, or the nearest package above it."""
    module_name = cls.__module__
    while module_name:
        module: ModuleType | None = sys.modules.get(module_name)
        if module is not None and hasattr(module, "EXAMPLES"):
            return tuple(Path(p) for p in module.EXAMPLES)
        module_name = module_name.rpartition(".")[0]
        if module_name == "madoguchi.analyzers":
            break
    raise AssertionError(f"{cls.__module__} defines no module-level EXAMPLES")


def _missing_package(target: str) -> str | None:
    """Why a broken target is acceptable (its package is not there), or None."""
    module_name = target.partition(":")[0]
    try:
        importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if module_name == missing or module_name.startswith(missing + "."):
            return f"package {missing} does not exist (yet)"
        return None
    except ImportError:
        return None
    except Exception:  # the module exists and raises on import: a bug
        return None
    return "the module imports, but the class is missing"


@pytest.mark.parametrize("broken", REGISTRY.broken, ids=lambda b: b.target)
def test_broken_registry_entries_are_reported(broken: object) -> None:
    target, reason = broken.target, broken.reason  # type: ignore[attr-defined]
    if target in BUILTIN:
        excuse = _missing_package(target)
        assert excuse is not None, (
            f"built-in analyzer {target} exists but fails to import: {reason}"
        )
        pytest.skip(f"{target}: {excuse} ({reason})")
    pytest.skip(f"plugin {target} not loaded: {reason}")


@pytest.mark.parametrize("cls", ANALYZERS, ids=lambda c: c.name)
def test_declares_name_version_and_kinds(cls: type[Analyzer]) -> None:
    assert isinstance(cls.name, str) and cls.name.strip() == cls.name and cls.name
    assert isinstance(cls.version, str) and cls.version
    assert isinstance(cls.accepts, frozenset) and cls.accepts
    assert all(isinstance(kind, str) for kind in cls.accepts)


@pytest.mark.parametrize("cls", ANALYZERS, ids=lambda c: c.name)
def test_examples_are_sniffed_and_analysed(cls: type[Analyzer]) -> None:
    examples = _examples(cls)
    assert examples, f"{cls.name}: EXAMPLES is empty"
    analyzer = cls()
    ctx = AnalysisContext(options=RunOptions(), analyzer=cls.name)
    analyzer.prepare(ctx)
    for example in examples:
        assert example.is_file(), f"{cls.name}: example {example} does not exist"
        with EvidenceWalk([example], expand_archives=False) as walk:
            (evidence,) = list(walk)
            assert evidence.kind in cls.accepts, (
                f"{cls.name}: {example.name} is detected as {evidence.kind!r}, "
                f"not one of {sorted(cls.accepts)}"
            )
            assert analyzer.sniff(evidence), f"{cls.name}: sniff says no to {example.name}"
            outputs = list(analyzer.analyze(evidence, ctx))
        assert outputs, f"{cls.name}: no output on {example.name}"
        wrong = [type(o).__name__ for o in outputs if not isinstance(o, DOMAIN_OUTPUTS)]
        assert not wrong, f"{cls.name}: yields non-domain values {wrong}"


@pytest.mark.parametrize("cls", ANALYZERS, ids=lambda c: c.name)
def test_examples_make_a_serialisable_result_document(cls: type[Analyzer]) -> None:
    examples = _examples(cls)
    missing = [str(p) for p in examples if not p.is_file()]
    assert not missing, f"{cls.name}: examples do not exist: {missing}"
    registry = Registry()
    registry.add(cls)
    doc = run_analysis(AnalysisRequest(paths=examples), registry=registry)
    assert doc.analyzers and doc.analyzers[0].name == cls.name
    failures = [w.message for i in doc.inputs for w in i.warnings if "analyzer failed" in w.message]
    assert not failures, f"{cls.name} crashed on its own examples: {failures}"
    produced = (
        len(doc.findings)
        + len(doc.timeline)
        + len(doc.indicators)
        + sum(len(items) for items in doc.sections.values())
    )
    assert produced, f"{cls.name}: the run over its examples produced nothing"
    again = ResultDocument.from_json(doc.to_json())
    assert again.to_json() == doc.to_json()
