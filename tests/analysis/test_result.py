"""The result document: JSON shape, round trip, ordering, merge."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.analysis.result import (
    FORMAT,
    EvidenceRecord,
    FindingRecord,
    IndicatorRecord,
    InputRecord,
    ResultDocument,
    RuleNotLoadedRecord,
    Stats,
    TimelineRecord,
    WarningRecord,
    iso_utc,
    jsonable,
    merge,
    normalise,
)
from madoguchi.domain.errors import InputFormatError


def _finding(
    ts: str | None, path: str, record: int | None = None, rule: str = "r"
) -> FindingRecord:
    return FindingRecord(
        analyzer="a",
        rule_id=rule,
        title=f"{rule} {path} {record}",
        severity="high",
        attack=("T1059.001",),
        timestamp=ts,
        evidence=EvidenceRecord(path, record),
        details={"ja": {"title": "日本語", "description": "説明"}},
    )


def _doc(**overrides: Any) -> ResultDocument:
    values: dict[str, Any] = {
        "inputs": (
            InputRecord(
                "x.evtx", "ab" * 32, 10, "evtx", ("a",), (WarningRecord("a", "bad", 7),), True
            ),
        ),
        "findings": (
            _finding("2024-01-02T00:00:00Z", "x.evtx", 2),
            _finding("2024-01-01T00:00:00.500000Z", "x.evtx", 9),
            _finding(None, "a.txt"),
            _finding("2024-01-01T00:00:00Z", "y.evtx", 1),
            _finding("2024-01-01T00:00:00Z", "x.evtx", 3),
        ),
        "timeline": (
            TimelineRecord("2024-01-01T00:00:01Z", "b", "m2"),
            TimelineRecord("2024-01-01T00:00:01Z", "a", "m1"),
        ),
        "indicators": (
            IndicatorRecord("ioc:ipv4", "192.0.2.1", "c2", EvidenceRecord("z.log", line=4)),
            IndicatorRecord("ioc:domain", "example.org", "", EvidenceRecord("x.evtx", 3)),
            IndicatorRecord("ioc:ipv4", "192.0.2.1", "first", EvidenceRecord("a.log", line=9)),
        ),
        "stats": Stats(files=1, events=10, seconds=1.5, skipped_records=1, bytes=10),
        "rules_not_loaded": (RuleNotLoadedRecord("r.yml", "bad", "sigma"),),
        "sections": {"logons": ({"path": "x.evtx", "accounts": 2},)},
    }
    values.update(overrides)
    return normalise(ResultDocument(**values))


def test_document_has_the_documented_top_level_shape() -> None:
    data = _doc().to_dict()
    assert data["format"] == FORMAT == "madoguchi.result/1"
    for key in (
        "tool",
        "run",
        "analyzers",
        "inputs",
        "findings",
        "timeline",
        "indicators",
        "stats",
        "rules_not_loaded",
        "broken_analyzers",
        "warnings",
        "logons",
    ):
        assert key in data
    finding = data["findings"][0]
    assert set(finding) == {
        "analyzer",
        "rule_id",
        "title",
        "severity",
        "attack",
        "timestamp",
        "host",
        "account",
        "source_ip",
        "description",
        "evidence",
        "stage",
        "cve",
        "first_seen",
        "last_seen",
        "details",
    }
    assert finding["evidence"] == {"path": "x.evtx", "record_id": 3, "line": None}
    assert data["inputs"][0]["warnings"] == [
        {"analyzer": "a", "message": "bad", "record_id": 7, "line": None}
    ]
    orjson.dumps(data)


def test_findings_sorted_by_time_then_path_then_record_untimed_last() -> None:
    keys = [(f.timestamp, f.evidence.path, f.evidence.record_id) for f in _doc().findings]  # type: ignore[union-attr]
    assert keys == [
        ("2024-01-01T00:00:00Z", "x.evtx", 3),
        ("2024-01-01T00:00:00Z", "y.evtx", 1),
        ("2024-01-01T00:00:00.500000Z", "x.evtx", 9),
        ("2024-01-02T00:00:00Z", "x.evtx", 2),
        (None, "a.txt", None),
    ]


def test_timeline_sorted_by_time_source_message() -> None:
    assert [t.message for t in _doc().timeline] == ["m1", "m2"]


def test_indicators_deduplicated_with_first_evidence_and_count() -> None:
    indicators = _doc().indicators
    assert [(i.type, i.value, i.count) for i in indicators] == [
        ("ioc:domain", "example.org", 1),
        ("ioc:ipv4", "192.0.2.1", 2),
    ]
    assert indicators[1].evidence == EvidenceRecord("a.log", line=9)
    assert indicators[1].context == "first"


def test_round_trip_through_json_is_exact() -> None:
    doc = _doc()
    again = ResultDocument.from_json(doc.to_json())
    assert again == doc
    assert again.to_json() == doc.to_json()


def test_from_dict_refuses_other_formats() -> None:
    with pytest.raises(InputFormatError, match="not a madoguchi result"):
        ResultDocument.from_dict({"format": "capa/1"})
    with pytest.raises(InputFormatError, match="unsupported"):
        ResultDocument.from_dict({"format": "madoguchi.result/2"})
    with pytest.raises(InputFormatError):
        ResultDocument.from_json(b"[1, 2]")


def test_merge_is_deterministic_and_adds_up() -> None:
    first = _doc()
    second = _doc(
        inputs=(InputRecord("y.evtx", "cd" * 32, 20, "evtx", ("b",), (), True),),
        findings=(_finding("2023-12-31T00:00:00Z", "y.evtx", 5, rule="early"),),
        timeline=(),
        indicators=(IndicatorRecord("ioc:ipv4", "192.0.2.1", "", EvidenceRecord("0.log")),),
        stats=Stats(files=1, events=5, seconds=0.5, skipped_records=0, bytes=20),
        sections={"logons": ({"path": "y.evtx", "accounts": 1},)},
    )
    merged = merge([first, second])
    assert merged.to_json() == merge([first, second]).to_json()
    assert [i.path for i in merged.inputs] == ["x.evtx", "y.evtx"]
    assert merged.findings[0].rule_id == "early"
    assert len(merged.findings) == 6
    ip = next(i for i in merged.indicators if i.value == "192.0.2.1")
    assert ip.count == 3
    assert ip.evidence == EvidenceRecord("0.log")
    assert merged.stats == Stats(files=2, events=15, seconds=2.0, skipped_records=1, bytes=30)
    assert [s["path"] for s in merged.sections["logons"]] == ["x.evtx", "y.evtx"]
    assert merged.rules_not_loaded == (RuleNotLoadedRecord("r.yml", "bad", "sigma"),)
    # findings, timeline, indicators and sections do not depend on the order of the parts
    other = merge([second, first])
    assert other.findings == merged.findings
    assert other.indicators == merged.indicators
    assert other.sections == merged.sections


def test_merge_joins_the_same_input_seen_twice() -> None:
    a = _doc()
    b = _doc(inputs=(InputRecord("x.evtx", "ab" * 32, 10, "evtx", ("b",), (), False),))
    (only,) = merge([a, b]).inputs
    assert only.analyzers == ("a", "b")
    assert only.recognised


def test_iso_utc_converts_and_marks_z() -> None:
    jst = timezone(timedelta(hours=9))
    assert iso_utc(datetime(2024, 1, 1, 9, 0, tzinfo=jst)) == "2024-01-01T00:00:00Z"
    assert iso_utc(datetime(2024, 1, 1, 0, 0, 0, 1500)) == "2024-01-01T00:00:00.001500Z"


def test_jsonable_turns_odd_values_into_json() -> None:
    value = jsonable(
        {
            "t": datetime(2024, 1, 1, tzinfo=UTC),
            "s": {3, 1},
            "b": b"\x01\xff",
            "big": 2**70,
            "nan": float("nan"),
            5: (1, 2),
        }
    )
    assert value == {
        "t": "2024-01-01T00:00:00Z",
        "s": [1, 3],
        "b": "01ff",
        "big": str(2**70),
        "nan": None,
        "5": [1, 2],
    }
    orjson.dumps(value)


_text = st.text(max_size=12)
_maybe_time = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)).map(iso_utc),
)


@given(
    st.lists(
        st.builds(
            _finding,
            ts=_maybe_time,
            path=_text,
            record=st.one_of(st.none(), st.integers(0, 2**40)),
            rule=_text,
        ),
        max_size=20,
    )
)
def test_finding_order_does_not_depend_on_input_order(findings: list[FindingRecord]) -> None:
    forward = normalise(ResultDocument(findings=tuple(findings)))
    backward = normalise(ResultDocument(findings=tuple(reversed(findings))))
    assert forward.to_json() == backward.to_json()
    assert ResultDocument.from_json(forward.to_json()) == forward


def test_records_survive_pickling_between_processes_field_for_field() -> None:
    """Worker processes hand records back pickled; every field must come back in its
    place (each value below is different, so fields swapped in transit would show)."""
    evidence = EvidenceRecord("logs.zip!Security.evtx", 42, 7)
    records: list[Any] = [
        evidence,
        WarningRecord("windows-evtx", "damaged record skipped", 9, 3),
        FindingRecord(
            "windows-evtx",
            "rule-1",
            "title",
            "high",
            ("T1110",),
            "2024-04-12T00:00:00Z",
            "HOST",
            "DOM\\alice",
            "203.0.113.5",
            "description",
            evidence,
            "initial-access",
            ("CVE-2024-3400",),
            "2024-04-11T00:00:00Z",
            "2024-04-13T00:00:00Z",
            {"matched": {"EventID": 4625}, "tags": ["a"]},
        ),
        TimelineRecord(
            "2024-04-12T00:00:00.5Z", "src", "msg", "Last Written", "H", "acct", evidence, {"n": 1}
        ),
        IndicatorRecord("ioc:ipv4", "203.0.113.5", "logon source", evidence, 3),
    ]
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        loaded = pickle.loads(pickle.dumps(records, protocol=protocol))
        assert loaded == records
        assert [type(r) for r in loaded] == [type(r) for r in records]
