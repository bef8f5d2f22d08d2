"""The runner: which analyzers run, failures as warnings, windows, jobs, sections."""

from __future__ import annotations

import gc
import hashlib
import threading
import time
import weakref
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest

from madoguchi.analysis import runner
from madoguchi.analysis.result import ResultDocument
from madoguchi.analysis.runner import (
    FILE_WORKERS_SETTING,
    AnalysisRequest,
    Progress,
    run_analysis,
)
from madoguchi.analyzers.base import AnalysisContext, BaseAnalyzer, EvidenceFile
from madoguchi.analyzers.registry import Registry
from madoguchi.domain.findings import (
    AnalyzerOutput,
    Finding,
    Observable,
    Section,
    Severity,
    TimelineEvent,
)

BASE = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


class LineAnalyzer(BaseAnalyzer):
    """One finding, one timeline event and one IP observable per line of a .log text file."""

    name: ClassVar[str] = "lines"
    version: ClassVar[str] = "3"
    accepts: ClassVar[frozenset[str]] = frozenset({"text"})
    prepared: ClassVar[int] = 0

    def prepare(self, ctx: AnalysisContext) -> None:
        type(self).prepared += 1
        ctx.rule_not_loaded("rules/broken.yml", "bad YAML")

    def sniff(self, evidence: EvidenceFile) -> bool:
        return evidence.path.endswith(".log")

    def analyze(self, evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[AnalyzerOutput]:
        text = evidence.local_path.read_text("utf-8")
        for number, line in enumerate(text.splitlines(), start=1):
            ctx.count_events()
            minute, _, message = line.partition(" ")
            if not minute.isdigit():
                ctx.skipped("no minute", path=evidence.path, line=number)
                continue
            when = BASE + timedelta(minutes=int(minute))
            yield Finding(
                analyzer=self.name,
                rule_id="line",
                title=f"line {message}",
                severity=Severity.HIGH if "bad" in message else Severity.LOW,
                timestamp=when,
                host="HOST1",
                evidence=evidence.ref(line=number),
                details={"when": when, "tags": {"b", "a"}},
            )
            yield TimelineEvent(when, "lines", message, evidence=evidence.ref(line=number))
            yield Observable("ioc:ipv4", "198.51.100.7", "seen", evidence.ref(line=number))
        yield Section("logons", {"count": len(text.splitlines())})


class BoomAnalyzer(BaseAnalyzer):
    """Yields one finding, then fails."""

    name: ClassVar[str] = "boom"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset({"text"})

    def analyze(self, evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[AnalyzerOutput]:
        yield Finding(self.name, "before", "before the crash", Severity.MEDIUM)
        raise ValueError("parser exploded")


class BrokenPrepareAnalyzer(BaseAnalyzer):
    name: ClassVar[str] = "badprep"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset({"text"})

    def prepare(self, ctx: AnalysisContext) -> None:
        raise RuntimeError("rules folder missing")

    def analyze(self, evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[AnalyzerOutput]:
        yield from ()


def _registry(*classes: type[BaseAnalyzer]) -> Registry:
    registry = Registry()
    for cls in classes:
        registry.add(cls)
    return registry


def _evidence_tree(root: Path) -> Path:
    root.mkdir()
    (root / "a.log").write_text("1 first\n2 bad second\nnot-a-line\n")
    (root / "b.log").write_text("5 fifth\n")
    (root / "image.bin").write_bytes(bytes(range(256)) * 4)
    with zipfile.ZipFile(root / "more.zip", "w") as zf:
        zf.writestr("inner/c.log", "3 third bad\n")
        zf.writestr("../evil.log", "9 evil\n")
    return root


def _run(root: Path, **kwargs: object) -> ResultDocument:
    request = AnalysisRequest(paths=(root,), **kwargs)  # type: ignore[arg-type]
    return run_analysis(request, registry=_registry(LineAnalyzer))


def test_files_folders_and_archive_members_are_analysed_with_display_paths(tmp_path: Path) -> None:
    doc = _run(_evidence_tree(tmp_path / "case"))
    root = (tmp_path / "case").as_posix()
    inputs = {i.path.removeprefix(root + "/"): i for i in doc.inputs}
    assert set(inputs) == {"a.log", "b.log", "image.bin", "more.zip", "more.zip!inner/c.log"}
    assert inputs["a.log"].analyzers == ("lines",)
    assert inputs["more.zip!inner/c.log"].recognised
    assert inputs["image.bin"].kind == "binary"
    assert inputs["image.bin"].recognised is False
    assert inputs["more.zip"].recognised  # a container that was expanded
    assert any("leaving the archive" in w.message for w in inputs["more.zip"].warnings)
    assert len(doc.findings) == 4
    assert doc.stats.events == 5
    assert doc.stats.skipped_records == 1
    assert [w.line for w in inputs["a.log"].warnings] == [3]


def test_results_are_ordered_and_indicators_deduplicated(tmp_path: Path) -> None:
    doc = _run(_evidence_tree(tmp_path / "case"))
    assert [f.timestamp for f in doc.findings] == [
        "2024-05-01T09:01:00Z",
        "2024-05-01T09:02:00Z",
        "2024-05-01T09:03:00Z",
        "2024-05-01T09:05:00Z",
    ]
    assert [t.message for t in doc.timeline] == ["first", "bad second", "third bad", "fifth"]
    assert len(doc.indicators) == 1
    indicator = doc.indicators[0]
    assert indicator.count == 4
    assert indicator.evidence is not None
    assert indicator.evidence.path.endswith("/a.log")
    assert indicator.evidence.line == 1
    assert doc.findings[0].details == {"when": "2024-05-01T09:01:00Z", "tags": ["a", "b"]}


def test_sections_carry_the_input_path(tmp_path: Path) -> None:
    doc = _run(_evidence_tree(tmp_path / "case"))
    logons = doc.sections["logons"]
    assert [item["count"] for item in logons] == [3, 1, 1]
    assert all(item["path"].endswith(".log") for item in logons)
    assert doc.to_dict()["logons"] == [dict(item) for item in logons]


def test_since_and_until_filter_timestamped_outputs(tmp_path: Path) -> None:
    doc = _run(
        _evidence_tree(tmp_path / "case"),
        since=datetime(2024, 5, 1, 9, 2, tzinfo=UTC),
        until=datetime(2024, 5, 1, 9, 3),  # naive times are UTC
    )
    assert [f.title for f in doc.findings] == ["line bad second", "line third bad"]
    assert [t.message for t in doc.timeline] == ["bad second", "third bad"]
    assert doc.indicators[0].count == 4  # observables without a time are kept
    assert doc.run.options["since"] == "2024-05-01T09:02:00Z"


def test_an_analyzer_crash_is_a_warning_and_the_run_goes_on(tmp_path: Path) -> None:
    root = _evidence_tree(tmp_path / "case")
    registry = _registry(BoomAnalyzer, LineAnalyzer, BrokenPrepareAnalyzer)
    doc = run_analysis(AnalysisRequest(paths=(root,)), registry=registry)
    a_log = next(i for i in doc.inputs if i.path.endswith("/a.log"))
    assert a_log.analyzers == ("boom", "lines")
    crash = [w for w in a_log.warnings if w.analyzer == "boom"]
    assert len(crash) == 1
    assert "ValueError: parser exploded" in crash[0].message
    assert sum(1 for f in doc.findings if f.rule_id == "before") == 3
    assert sum(1 for f in doc.findings if f.rule_id == "line") == 4
    broken = {b.target.rpartition(":")[2]: b.reason for b in doc.broken_analyzers}
    assert "rules folder missing" in broken["BrokenPrepareAnalyzer"]
    assert [a.name for a in doc.analyzers] == ["boom", "lines"]


def test_rules_not_loaded_are_reported_once(tmp_path: Path) -> None:
    doc = _run(_evidence_tree(tmp_path / "case"), jobs=2)
    assert [(r.rule_file, r.analyzer) for r in doc.rules_not_loaded] == [
        ("rules/broken.yml", "lines")
    ]


def _without_timings(doc: ResultDocument) -> bytes:
    data = doc.to_dict()
    data["run"]["started"] = data["run"]["finished"] = ""
    data["stats"]["seconds"] = 0
    return ResultDocument.from_dict(data).to_json()


def test_jobs_four_gives_the_same_document_as_jobs_one(tmp_path: Path) -> None:
    root = _evidence_tree(tmp_path / "case")
    for n in range(12):
        (root / f"extra-{n:02d}.log").write_text(f"{n} line {n}\n{n + 1} bad {n}\n")
    registry = _registry(BoomAnalyzer, LineAnalyzer)
    one = run_analysis(AnalysisRequest(paths=(root,), jobs=1), registry=registry)
    four = run_analysis(AnalysisRequest(paths=(root,), jobs=4), registry=registry)
    assert len(one.findings) > 20
    assert _without_timings(one) == _without_timings(four)


def test_progress_reports_every_file_and_all_bytes(tmp_path: Path) -> None:
    root = _evidence_tree(tmp_path / "case")
    seen: list[Progress] = []
    doc = run_analysis(
        AnalysisRequest(paths=(root,)), progress=seen.append, registry=_registry(LineAnalyzer)
    )
    assert len(seen) == len(doc.inputs)
    assert seen[-1].files_done == seen[-1].files_total == len(doc.inputs)
    assert seen[-1].bytes_done == seen[-1].bytes_total == sum(i.size for i in doc.inputs)


def test_a_missing_path_raises_before_anything_runs(tmp_path: Path) -> None:
    from madoguchi.domain.errors import NotFoundError

    with pytest.raises(NotFoundError):
        run_analysis(AnalysisRequest(paths=(tmp_path / "nope",)), registry=_registry(LineAnalyzer))


def test_context_window_compares_naive_and_aware_times() -> None:
    from madoguchi.analyzers.base import RunOptions

    ctx = AnalysisContext(options=RunOptions(since=BASE, until=datetime(2024, 5, 1, 10, 0)))
    assert ctx.in_window(datetime(2024, 5, 1, 9, 30))  # naive = UTC
    assert not ctx.in_window(datetime(2024, 5, 1, 8, 59, tzinfo=UTC))
    assert not ctx.in_window(datetime(2024, 5, 1, 10, 1))
    assert ctx.in_window(None)


def test_jobs_let_an_analyzer_split_one_large_file() -> None:
    def settings(jobs: int, given: dict[str, object] | None = None) -> dict[str, object]:
        request = AnalysisRequest(paths=(Path("x"),), jobs=jobs, settings=given or {})
        return dict(request.run_options().settings)

    assert settings(1) == {}
    assert settings(2) == {FILE_WORKERS_SETTING: 2}
    assert settings(2, {FILE_WORKERS_SETTING: 1}) == {FILE_WORKERS_SETTING: 1}


def test_large_files_are_hashed_aside_with_the_same_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = _evidence_tree(tmp_path / "case")
    plain = _run(tree)
    monkeypatch.setattr(runner, "HASH_ASIDE_BYTES", 1)  # every file hashed in a thread
    aside = _run(tree)
    assert aside.inputs == plain.inputs
    a_log = next(i for i in aside.inputs if i.path.endswith("/a.log"))
    assert a_log.sha256 == hashlib.sha256((tree / "a.log").read_bytes()).hexdigest()
    assert aside.findings == plain.findings


class HashWatchingAnalyzer(LineAnalyzer):
    """LineAnalyzer whose prepare() notes whether a large input's hash is already under way
    (waiting a little for the hashing thread to appear)."""

    hashing_during_prepare: ClassVar[list[bool]] = []

    def prepare(self, ctx: AnalysisContext) -> None:
        super().prepare(ctx)
        deadline = time.monotonic() + 5
        seen = False
        while not seen and time.monotonic() < deadline:
            seen = any(t.name.startswith("madoguchi-hash") for t in threading.enumerate())
            time.sleep(0.005)
        self.hashing_during_prepare.append(seen)


def test_large_inputs_are_hashed_while_the_analyzers_prepare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rule loading leaves a core idle: the hash of a large file is worked out meanwhile,
    and the digest is the file's own."""
    tree = _evidence_tree(tmp_path / "case")
    monkeypatch.setattr(runner, "HASH_ASIDE_BYTES", 1)
    HashWatchingAnalyzer.hashing_during_prepare.clear()
    doc = run_analysis(AnalysisRequest(paths=(tree,)), registry=_registry(HashWatchingAnalyzer))
    assert HashWatchingAnalyzer.hashing_during_prepare == [True]
    for item in doc.inputs:
        if item.path.endswith(("a.log", "b.log", "image.bin")):
            data = (tree / Path(item.path).name).read_bytes()
            assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert not any(t.name.startswith("madoguchi-hash") for t in threading.enumerate())


def test_hashes_ahead_stop_when_the_run_ends(tmp_path: Path) -> None:
    """A run that ends early (an error, Ctrl-C) does not wait for whole hashes of the
    inputs it never reached: the one under way stops, the others never start."""
    big = tmp_path / "big.bin"
    size = 64 * 1024**3  # sparse: far more to read than the test waits for
    with big.open("wb") as out:
        out.truncate(size)
    files = [EvidenceFile(path=str(big), local_path=big, kind="binary", size=size)] * 3
    started = time.monotonic()
    with runner.HashesAhead(files) as hashes:
        under_way = hashes.get(0)
        while under_way is not None and not under_way.running():
            time.sleep(0.005)
    assert time.monotonic() - started < 30
    first, *rest = (hashes.get(i) for i in range(3))
    assert first is not None and isinstance(first.exception(), RuntimeError)
    assert all(f is not None and f.cancelled() for f in rest)
    assert not any(t.name.startswith("madoguchi-hash") for t in threading.enumerate())


class _Garbage:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the garbage collector can free it


class FreezeWatchingAnalyzer(LineAnalyzer):
    """LineAnalyzer that notes the frozen-object count after each output is collected and
    drops a garbage cycle per output."""

    frozen: ClassVar[list[int]] = []
    dropped: ClassVar[list[weakref.ref[_Garbage]]] = []

    def analyze(self, evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[AnalyzerOutput]:
        for output in super().analyze(evidence, ctx):
            self.dropped.append(weakref.ref(_Garbage()))
            yield output
            self.frozen.append(gc.get_freeze_count())


def test_records_are_frozen_as_they_are_collected_and_unfrozen_after_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = _evidence_tree(tmp_path / "case")
    plain = _run(tree)
    monkeypatch.setattr(runner, "FREEZE_EVERY", 1)
    FreezeWatchingAnalyzer.frozen.clear()
    FreezeWatchingAnalyzer.dropped.clear()
    doc = run_analysis(AnalysisRequest(paths=(tree,)), registry=_registry(FreezeWatchingAnalyzer))
    assert _without_timings(doc) == _without_timings(plain)
    counts = FreezeWatchingAnalyzer.frozen
    assert len(counts) > 10
    assert counts[-1] > counts[0]  # each collected record joined the frozen heap
    assert gc.get_freeze_count() == 0  # and the run gave it back
    gc.collect()
    assert all(ref() is None for ref in FreezeWatchingAnalyzer.dropped)


class PdfOnlyAnalyzer(BaseAnalyzer):
    """Reads a kind the evidence tree does not hold; counts its preparations."""

    name: ClassVar[str] = "pdf-only"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset({"pdf"})
    prepared: ClassVar[int] = 0

    def prepare(self, ctx: AnalysisContext) -> None:
        type(self).prepared += 1
        ctx.rule_not_loaded("pdf-rules/bad.yml", "unreadable")

    def analyze(self, evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[AnalyzerOutput]:
        return iter(())


class PdfRulesAnalyzer(PdfOnlyAnalyzer):
    name: ClassVar[str] = "pdf-rules"
    reads_rule_dirs: ClassVar[bool] = True


def test_an_analyzer_no_input_needs_is_not_prepared(tmp_path: Path) -> None:
    root = _evidence_tree(tmp_path / "case")
    registry = _registry(LineAnalyzer, PdfOnlyAnalyzer, PdfRulesAnalyzer)
    PdfOnlyAnalyzer.prepared = 0
    doc = run_analysis(AnalysisRequest(paths=(root,)), registry=registry)
    assert PdfOnlyAnalyzer.prepared == 0  # neither pdf analyzer (the counter is shared)
    assert [a.name for a in doc.analyzers] == ["lines"]
    assert [r.rule_file for r in doc.rules_not_loaded] == ["rules/broken.yml"]


def test_with_rule_folders_analyzers_that_read_them_report_broken_rules(tmp_path: Path) -> None:
    root = _evidence_tree(tmp_path / "case")
    registry = _registry(LineAnalyzer, PdfOnlyAnalyzer, PdfRulesAnalyzer)
    request = AnalysisRequest(paths=(root,), rule_dirs=(tmp_path / "rules",))
    doc = run_analysis(request, registry=registry)
    assert [a.name for a in doc.analyzers] == ["lines", "pdf-rules"]
    assert ("pdf-rules/bad.yml", "pdf-rules") in {
        (r.rule_file, r.analyzer) for r in doc.rules_not_loaded
    }
