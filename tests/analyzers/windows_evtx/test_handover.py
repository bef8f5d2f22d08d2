"""A worker's outputs survive the trip to the main process unchanged and in order."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from madoguchi.analyzers.windows_evtx.handover import Spill, pack, unpack
from madoguchi.domain.findings import (
    AnalyzerOutput,
    EvidenceRef,
    Finding,
    Observable,
    Section,
    Severity,
    Stage,
    TimelineEvent,
)

WHEN = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


def outputs() -> list[AnalyzerOutput]:
    ref = EvidenceRef("case/Security.evtx", record_id=42)
    return [
        Finding(
            analyzer="windows-evtx",
            rule_id="r1",
            title="Something",
            severity=Severity.HIGH,
            timestamp=WHEN,
            attack=("T1110",),
            host="DC01",
            evidence=ref,
            stage=Stage.ATTEMPT,
            details={"matched": {"EventID": 4625}, "tags": ["attack.t1110"]},
        ),
        Finding(analyzer="windows-evtx", rule_id="r2", title="No evidence", severity=Severity.LOW),
        TimelineEvent(WHEN, "windows:evtx:security", "Failed logon", evidence=ref),
        TimelineEvent(WHEN, "windows:evtx:security", "No evidence", attributes={"rules": []}),
        Observable("ioc:ipv4", "192.0.2.1", "logon source", ref, WHEN),
        Observable("ioc:ipv4", "192.0.2.2"),
        Section("logons", {"logons": [{"account": "alice"}]}),
    ]


def test_packed_outputs_come_back_equal_and_in_order() -> None:
    items = outputs()
    back = unpack(pack(items))
    assert back == items
    assert [type(o) for o in back] == [type(o) for o in items]
    assert isinstance(back[0], Finding) and isinstance(back[0].evidence, EvidenceRef)


def test_a_spill_reads_back_every_batch_then_removes_its_file(tmp_path: Path) -> None:
    spill = Spill(tmp_path / "part-1")
    items = outputs()
    spill.write(items[:3])
    spill.write(items[3:])
    assert list(spill.read()) == items
    assert not spill.path.exists()


def test_an_empty_spill_reads_nothing(tmp_path: Path) -> None:
    assert list(Spill(tmp_path / "never-written").read()) == []
