"""Holes in a log: missing record ids and long silences, per computer and channel.

Windows numbers the records of each log consecutively (``EventRecordID``), so inside
one ``.evtx`` file a jump in the numbering means records were removed (selective
deletion tools patch records out) or the file was damaged. Exports made with a
query or filter skip records on purpose, so the record-id check runs on binary
``.evtx`` files only, and when most of a file's range is missing (Event Viewer's
"Save Filtered Log File As") the finding is informational and says so.
Forwarded-event logs hold several computers' logs, which is why everything is kept
per (computer, channel).

A long time gap is weaker evidence (machines are switched off), so it is reported at
low severity with the threshold used; set ``evtx_time_gap_hours`` to change it.
Clearing a log is detected by the rule pack (1102, 104).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from madoguchi.analyzers.base import EvidenceFile
from madoguchi.domain.findings import Finding, Severity

RECORD_GAP = "madoguchi-evtx-record-gap"
TIME_GAP = "madoguchi-evtx-time-gap"
DEFAULT_TIME_GAP_HOURS = 48.0
MAX_LISTED = 50
#: Above this share of missing ids in a file's range, the file looks like a filtered save.
FILTERED_SHARE = 0.5

Key = tuple[str, str]
#: Record ids are unsigned 64-bit; a damaged record can claim more than an array holds.
_MAX_RECORD_ID = 2**63 - 1


def _name(raw: tuple[object, object]) -> Key:
    computer, channel = raw
    return (str(computer or "?"), str(channel or "?"))


class GapTracker:
    """Collects record ids and times per (computer, channel) and reports the holes."""

    def __init__(
        self, *, record_gaps: bool, time_gap_hours: float = DEFAULT_TIME_GAP_HOURS
    ) -> None:
        self.record_gaps = record_gaps
        self.threshold = timedelta(hours=time_gap_hours)
        # Keyed by the raw (Computer, Channel) values; named with str() when reported.
        self.ids: dict[tuple[object, object], array[int]] = {}
        self.times: dict[tuple[object, object], array[float]] = {}

    def observe(
        self, computer: object, channel: object, record_id: int | None, when: datetime | None
    ) -> None:
        key = (computer, channel)
        if self.record_gaps and record_id is not None and 0 <= record_id <= _MAX_RECORD_ID:
            ids = self.ids.get(key)
            if ids is None:
                ids = self.ids[key] = array("q")
            ids.append(record_id)
        if when is not None:
            times = self.times.get(key)
            if times is None:
                times = self.times[key] = array("d")
            times.append(when.timestamp())

    def merge(self, other: GapTracker) -> None:
        """Add what another tracker saw (another part of the same file)."""
        for key, ids in other.ids.items():
            mine = self.ids.get(key)
            if mine is None:
                self.ids[key] = array("q", ids)
            else:
                mine.extend(ids)
        for key, times in other.times.items():
            kept = self.times.get(key)
            if kept is None:
                self.times[key] = array("d", times)
            else:
                kept.extend(times)

    def findings(self, analyzer: str, evidence: EvidenceFile) -> Iterator[Finding]:
        for raw, ids in sorted(self.ids.items(), key=lambda kv: _name(kv[0])):
            finding = self._record_gaps(analyzer, evidence, _name(raw), sorted(ids))
            if finding is not None:
                yield finding
        for raw, times in sorted(self.times.items(), key=lambda kv: _name(kv[0])):
            finding = self._time_gaps(analyzer, evidence, _name(raw), sorted(times))
            if finding is not None:
                yield finding

    def _record_gaps(
        self, analyzer: str, evidence: EvidenceFile, key: Key, ids: list[int]
    ) -> Finding | None:
        ranges: list[tuple[int, int]] = []
        missing = 0
        for prev, cur in pairwise(ids):
            if cur - prev > 1:
                ranges.append((prev + 1, cur - 1))
                missing += cur - prev - 1
        if not ranges:
            return None
        computer, channel = key
        first_missing = ranges[0][0]
        span = ids[-1] - ids[0] + 1
        filtered = missing > span * FILTERED_SHARE
        if filtered:
            reason = (
                "Most of the range is missing, which is what a log saved from a filtered "
                "view looks like; ask how the file was exported before suspecting tampering."
            )
            reason_ja = "範囲の大半が欠けており、フィルター表示から保存したログの特徴に一致します。"
        else:
            reason = (
                "Windows numbers records without gaps, so records were deleted selectively "
                "or the file is damaged."
            )
            reason_ja = (
                "Windows はレコード番号を連続して付けるため、レコードの選択的な削除またはファイルの"
                "破損が疑われます。"
            )
        return Finding(
            analyzer=analyzer,
            rule_id=RECORD_GAP,
            title=f"Event records missing from the {channel} log",
            severity=Severity.INFORMATIONAL if filtered else Severity.MEDIUM,
            description=(
                f"{missing} record ids are missing in {len(ranges)} gaps between "
                f"record {ids[0]} and {ids[-1]} of {channel} on {computer}. {reason}"
            ),
            attack=("T1070.001",),
            host=computer,
            evidence=evidence.ref(record_id=first_missing - 1),
            details={
                "channel": channel,
                "computer": computer,
                "missing_records": missing,
                "gaps": len(ranges),
                "ranges": [list(r) for r in ranges[:MAX_LISTED]],
                "first_record": ids[0],
                "last_record": ids[-1],
                "looks_filtered": filtered,
                "ja": {
                    "title": f"{channel} ログのイベント レコードが欠落",
                    "description": (
                        f"{computer} の {channel} ログでレコード番号が {len(ranges)} か所、"
                        f"合計 {missing} 件飛んでいます。{reason_ja}"
                    ),
                },
            },
        )

    def _time_gaps(
        self, analyzer: str, evidence: EvidenceFile, key: Key, times: list[float]
    ) -> Finding | None:
        limit = self.threshold.total_seconds()
        gaps = [(a, b) for a, b in pairwise(times) if b - a > limit]
        if not gaps:
            return None
        computer, channel = key
        gaps.sort(key=lambda g: g[0] - g[1])
        longest = gaps[0][1] - gaps[0][0]
        hours = self.threshold.total_seconds() / 3600

        def iso(ts: float) -> str:
            return datetime.fromtimestamp(ts, tz=UTC).isoformat()

        start = datetime.fromtimestamp(gaps[0][0], tz=UTC)
        end = datetime.fromtimestamp(gaps[0][1], tz=UTC)
        return Finding(
            analyzer=analyzer,
            rule_id=TIME_GAP,
            title=f"Long silence in the {channel} log",
            severity=Severity.LOW,
            description=(
                f"{len(gaps)} periods longer than {hours:g} hours without any {channel} event "
                f"on {computer}; the longest lasts {longest / 3600:.1f} hours. Machines that "
                "were switched off also leave such gaps; check against shutdown events."
            ),
            attack=("T1070.001",),
            host=computer,
            timestamp=start,
            first_seen=start,
            last_seen=end,
            evidence=evidence.ref(),
            details={
                "channel": channel,
                "computer": computer,
                "threshold_hours": hours,
                "gaps": [[iso(a), iso(b)] for a, b in gaps[:MAX_LISTED]],
                "count": len(gaps),
                "ja": {
                    "title": f"{channel} ログの長い空白期間",
                    "description": (
                        f"{computer} の {channel} ログに {hours:g} 時間を超えて"
                        f"イベントのない期間が {len(gaps)} 回あります"
                        f"(最長 {longest / 3600:.1f} 時間)。"
                        "電源断でも生じるため、シャットダウンの記録と照合してください。"
                    ),
                },
            },
        )
