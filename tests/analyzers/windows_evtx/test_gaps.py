"""Record-id gaps and long silences per computer and channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.analyzers.windows_evtx.evtx_helpers import (
    DATA,
    evidence,
    run,
    security_event,
    write_jsonl,
)

from madoguchi.analyzers.windows_evtx.gaps import RECORD_GAP, TIME_GAP, GapTracker
from madoguchi.domain.findings import Severity

START = datetime(2024, 4, 12, tzinfo=UTC)


def _findings(tracker: GapTracker) -> list:
    return list(tracker.findings("windows-evtx", evidence(DATA / "wdigest-enabled.evtx")))


def test_record_gap_found_with_ranges() -> None:
    tracker = GapTracker(record_gaps=True)
    for record in [*range(100, 150), *range(153, 200), 205]:
        tracker.observe("DC01", "Security", record, START + timedelta(seconds=record))
    (finding,) = _findings(tracker)
    assert finding.rule_id == RECORD_GAP and finding.severity is Severity.MEDIUM
    assert finding.details["missing_records"] == 3 + 5
    assert finding.details["ranges"] == [[150, 152], [200, 204]]
    assert finding.host == "DC01" and finding.attack == ("T1070.001",)
    assert finding.details["ja"]["title"]


def test_mostly_missing_range_looks_like_a_filtered_save() -> None:
    tracker = GapTracker(record_gaps=True)
    for record in (10, 500, 900):
        tracker.observe("DC01", "Security", record, None)
    (finding,) = _findings(tracker)
    assert finding.severity is Severity.INFORMATIONAL and finding.details["looks_filtered"]


def test_gaps_are_kept_per_computer_and_channel() -> None:
    tracker = GapTracker(record_gaps=True)
    for record in range(1, 50):  # interleaved forwarded events of two machines
        tracker.observe("WS01", "Security", record, None)
        tracker.observe("WS02", "Security", record + 1000, None)
    tracker.observe("WS01", "System", 7, None)
    assert _findings(tracker) == []


def test_no_record_gap_check_for_exports() -> None:
    tracker = GapTracker(record_gaps=False)
    for record in (1, 5, 9):
        tracker.observe("DC01", "Security", record, None)
    assert _findings(tracker) == []


def test_time_gap_threshold_is_configurable(tmp_path: Path) -> None:
    events = [
        security_event(
            4688,
            i + 1,
            (START + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            {"NewProcessName": "C:\\x.exe"},
        )
        for i, h in enumerate((0, 1, 30, 31))
    ]
    path = write_jsonl(tmp_path / "t.jsonl", events)
    default = run(path)
    assert TIME_GAP not in default.rule_ids()  # 29 hours < 48 hours
    tight = run(path, settings={"evtx_time_gap_hours": 12})
    (finding,) = [f for f in tight.findings if f.rule_id == TIME_GAP]
    assert finding.severity is Severity.LOW and finding.details["count"] == 1
    assert finding.first_seen == START + timedelta(hours=1)
    assert finding.last_seen == START + timedelta(hours=30)


def test_clean_real_file_has_no_record_gap() -> None:
    result = run(DATA / "wdigest-enabled.evtx")
    assert RECORD_GAP not in result.rule_ids()
