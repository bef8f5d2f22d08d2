"""Progress is reported, and a stopped run resumes from its checkpoint with the same result."""

from __future__ import annotations

import json
from pathlib import Path

from tests.analyzers.disk.runs import analyze, warnings

from madoguchi.analysis.walk import EvidenceWalk
from madoguchi.analyzers.base import AnalysisContext, RunOptions
from madoguchi.analyzers.disk import DiskImageAnalyzer
from madoguchi.analyzers.disk.checkpoint import decode, encode
from madoguchi.domain.findings import EvidenceRef, Finding, Severity


def _summary(doc: object) -> list[tuple[str, str, str | None]]:
    return sorted(
        (f.rule_id, f.title, f.evidence.path if f.evidence else None)
        for f in doc.findings  # type: ignore[attr-defined]
    )


def test_progress_callback_sees_every_family(ext4_image: Path) -> None:
    calls: list[tuple[int, int, str]] = []
    analyze(ext4_image, settings={"progress": lambda d, t, label: calls.append((d, t, label))})
    labels = [label for _, _, label in calls]
    assert labels[0] == "system"
    assert {"unix:cron", "unix:shell-history", "files:scan"} <= set(labels)
    assert calls[-1][0] == calls[-1][1] and calls[-1][2] == "done"


def test_stopped_run_resumes_and_gives_the_same_findings(ext4_image: Path, tmp_path: Path) -> None:
    fresh = analyze(ext4_image)
    settings = {"checkpoint_dir": str(tmp_path / "ckpt")}
    analyzer = DiskImageAnalyzer()
    ctx = AnalysisContext(options=RunOptions(settings=settings), analyzer=analyzer.name)
    analyzer.prepare(ctx)
    with EvidenceWalk([ext4_image]) as walk:
        (evidence,) = list(walk)
        run = analyzer.analyze(evidence, ctx)
        for output in run:  # stop in the middle, as an interrupted run does
            if isinstance(output, Finding) and output.rule_id.startswith("disk-cron"):
                break
        run.close()
    (state_file,) = (tmp_path / "ckpt").glob("*.json")
    state = json.loads(state_file.read_text())
    assert "system" in state["families_done"] and "unix:shell-history" in state["families_done"]
    assert "files:scan" not in state["families_done"]

    resumed = analyze(ext4_image, settings=settings)
    notes = [w for w in warnings(resumed) if w.startswith("resumed from checkpoint")]
    assert len(notes) == 1 and "unix:shell-history" in notes[0]
    assert _summary(resumed) == _summary(fresh)
    assert len(resumed.timeline) == len(fresh.timeline)

    again = analyze(ext4_image, settings=settings)  # everything done: replayed entirely
    assert _summary(again) == _summary(fresh)


def test_checkpoint_of_another_version_is_not_used(ext4_image: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ckpt"
    analyze(ext4_image, settings={"checkpoint_dir": str(folder)})
    for state in folder.glob("*.json"):
        state.rename(state.with_name(state.name.replace("-v1-", "-v0-")))
    doc = analyze(ext4_image, settings={"checkpoint_dir": str(folder)})
    assert not [w for w in warnings(doc) if w.startswith("resumed from checkpoint")]


def test_spool_round_trip_keeps_every_field() -> None:
    finding = Finding(
        analyzer="disk-image",
        rule_id="r",
        title="t",
        severity=Severity.HIGH,
        attack=("T1053.005",),
        evidence=EvidenceRef("a.img!C:/x", line=3),
        details={"ja": {"title": "タイトル", "description": "説明"}},
    )
    assert decode(json.loads(json.dumps(encode(finding)))) == finding
