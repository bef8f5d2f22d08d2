"""A worker's outputs survive the trip to the main process unchanged and in order."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from madoguchi.analyzers.windows_evtx.handover import Spill, follow, pack, unpack
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
    feed = [("rule-1", {"IpAddress": "192.0.2.1"}, WHEN)]
    spill.write(items[:3], covered=4, feed=feed)
    spill.write(items[3:], covered=9)
    batches = list(spill.read())
    assert [o for b in batches for o in b.outputs] == items
    assert [(b.covered, b.feed) for b in batches] == [(4, feed), (9, [])]
    assert not spill.path.exists()


def test_an_empty_spill_reads_nothing(tmp_path: Path) -> None:
    assert list(Spill(tmp_path / "never-written").read()) == []


def test_following_a_spill_yields_whole_batches_as_the_worker_writes_them(tmp_path: Path) -> None:
    spill = Spill(tmp_path / "part-1")
    items = outputs()
    finished = threading.Event()

    def worker() -> None:
        for n, start in enumerate(range(0, len(items), 2), start=1):
            time.sleep(0.05)
            spill.write(items[start : start + 2], covered=10 * n)
        finished.set()

    writer = threading.Thread(target=worker)
    writer.start()
    got = list(follow(spill.path, finished.is_set, poll=0.005))
    writer.join()
    assert [o for batch in got for o in batch.outputs] == items
    assert [batch.covered for batch in got] == [10, 20, 30, 40][: len(got)]
    assert not spill.path.exists()


def test_a_batch_cut_short_by_a_dying_worker_is_not_followed(tmp_path: Path) -> None:
    spill = Spill(tmp_path / "part-1")
    items = outputs()
    spill.write(items[:3], covered=7)
    with spill.path.open("ab") as out:  # the header and half the bytes of the next batch
        out.write(b"".join(n.to_bytes(8, "little") for n in (1000, 9, 0)) + b"x" * 500)
    got = list(follow(spill.path, lambda: True))
    assert got == [(items[:3], 7, [])]
