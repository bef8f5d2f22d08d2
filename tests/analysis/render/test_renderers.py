"""Renderers: what a user opens in a browser, a spreadsheet, Timesketch or a terminal."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.analysis.render import RENDERERS, TIMELINE_RENDERERS
from madoguchi.analysis.render.cells import cell
from madoguchi.analysis.render.document import write_json
from madoguchi.analysis.render.report import render_html
from madoguchi.analysis.render.timesketch import timesketch_rows
from madoguchi.analysis.result import (
    EvidenceRecord,
    FindingRecord,
    IndicatorRecord,
    InputRecord,
    ResultDocument,
    RuleNotLoadedRecord,
    TimelineRecord,
    WarningRecord,
    normalise,
    parse_time,
)

HOSTILE = '<script>alert("x")</script>'


def _doc() -> ResultDocument:
    return normalise(
        ResultDocument(
            inputs=(
                InputRecord(
                    "logs/Security.evtx",
                    "ab" * 32,
                    100,
                    "evtx",
                    ("evtx",),
                    (WarningRecord("evtx", "damaged record " + HOSTILE, 12),),
                    True,
                ),
                InputRecord("photo.jpg", "cd" * 32, 5, "binary", (), (), False),
            ),
            findings=(
                FindingRecord(
                    "evtx",
                    "evtx-clear",
                    "Security log cleared",
                    "high",
                    ("T1070.001",),
                    "2024-05-01T10:00:00Z",
                    host='=HYPERLINK("http://evil")',
                    account="-admin",
                    evidence=EvidenceRecord("logs/Security.evtx", 42),
                    details={
                        "ja": {"title": "セキュリティログの消去", "description": "消去された"}
                    },
                ),
                FindingRecord(
                    "evtx", "evtx-note", "Note " + HOSTILE, "low", timestamp="2024-05-01T09:00:00Z"
                ),
                FindingRecord("evtx", "untimed", "Untimed", "critical"),
            ),
            timeline=(
                TimelineRecord(
                    "2024-05-01T09:30:00Z",
                    "evtx",
                    "@SUM(A1) logon",
                    "Event Recorded",
                    host="PC1",
                    evidence=EvidenceRecord("logs/Security.evtx", 40),
                    attributes={"event_id": 4624, "logon_type": 3},
                ),
            ),
            indicators=(IndicatorRecord("ioc:ipv4", "198.51.100.7", "source", None, 3),),
            rules_not_loaded=(
                RuleNotLoadedRecord("my/rule.yml", "unknown field " + HOSTILE, "sigma"),
            ),
            sections={"logons": ({"path": "logs/Security.evtx", "accounts": ["a"]},)},
        )
    )


def test_json_renderer_gives_the_document() -> None:
    data = orjson.loads(RENDERERS["json"](_doc()))
    assert data["format"] == "madoguchi.result/1"
    assert ResultDocument.from_dict(data) == _doc()


def test_json_written_slice_by_slice_is_the_documents_own_json() -> None:
    """The CLI writes JSON a slice of records at a time; the bytes are those of
    ``to_json``, also for line breaks inside strings, nested details, non-string keys,
    empties, and lists longer than a slice (an odd record inside one of them)."""
    odd = FindingRecord(
        "evtx",
        "odd",
        "line one\nline two",
        "medium",
        details={"nested": {"list": [1, {"deeper": ["x\ny"]}], "empty": {}}, 4625: "numeric key"},
    )
    docs = [
        _doc(),
        replace(_doc(), findings=(*_doc().findings, odd)),
        ResultDocument(),
        replace(_doc(), timeline=(), sections={}),
        replace(
            _doc(),
            findings=(*_doc().findings * 400, odd, *_doc().findings * 300),
            timeline=_doc().timeline * 1025,
        ),
    ]
    for doc in docs:
        out = io.BytesIO()
        write_json(doc, out)
        assert out.getvalue() == doc.to_json()
    assert write_json.__module__ == RENDERERS["json"].__module__


def test_jsonl_has_one_typed_record_per_line() -> None:
    lines = [orjson.loads(line) for line in RENDERERS["jsonl"](_doc()).splitlines()]
    assert [line["record_type"] for line in lines] == ["finding"] * 3 + ["timeline", "indicator"]
    assert lines[-1]["value"] == "198.51.100.7"


def test_findings_csv_guards_formulas_and_keeps_columns() -> None:
    text = RENDERERS["csv"](_doc()).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3
    cleared = next(r for r in rows if r["rule_id"] == "evtx-clear")
    assert cleared["host"] == '\'=HYPERLINK("http://evil")'
    assert cleared["account"] == "'-admin"
    assert cleared["attack"] == "T1070.001"
    assert cleared["record_id"] == "42"
    assert orjson.loads(cleared["details"])["ja"]["title"] == "セキュリティログの消去"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_quoted(start: str) -> None:
    assert cell(start + "1+1") == "'" + start + "1+1"
    assert cell("plain") == "plain"


def test_timesketch_csv_has_required_columns_findings_and_attributes() -> None:
    text = TIMELINE_RENDERERS[".csv"](_doc()).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {"message", "datetime", "timestamp_desc"} <= set(rows[0])
    assert [r["timestamp_desc"] for r in rows] == ["Detection", "Event Recorded", "Detection"]
    event = rows[1]
    assert event["message"] == "'@SUM(A1) logon"
    assert event["event_id"] == "4624"
    assert event["datetime"] == "2024-05-01T09:30:00Z"
    assert event["timestamp"] == "1714555800000000"
    assert rows[2]["message"] == "[high] Security log cleared"


def test_timesketch_jsonl_rows_are_objects_with_attributes() -> None:
    rows = [orjson.loads(x) for x in TIMELINE_RENDERERS[".jsonl"](_doc()).splitlines()]
    assert rows[1]["logon_type"] == 3
    assert all({"message", "datetime", "timestamp_desc"} <= set(r) for r in rows)


def test_html_report_escapes_hostile_text_and_has_every_part() -> None:
    html = render_html(_doc()).decode()
    assert HOSTILE not in html
    assert "&lt;script&gt;" in html
    assert "<script" not in html
    for part in (
        "Findings",
        "Timeline",
        "Indicators",
        "Warnings",
        "Rules not loaded",
        "198.51.100.7",
        "not recognised",
        "photo.jpg",
    ):
        assert part in html
    assert html.index("Untimed") < html.index("Security log cleared") < html.index("Note")


def test_html_report_in_japanese_uses_the_japanese_title() -> None:
    html = render_html(_doc(), language="ja").decode()
    assert "セキュリティログの消去" in html
    assert '<html lang="ja">' in html


def test_html_report_inlines_the_logon_graph() -> None:
    pytest.importorskip("madoguchi.analyzers.windows_evtx.logon_graph")
    logons = {
        "path": "logs/Security.evtx",
        "logons": [
            {"account": "alice" + HOSTILE, "host": "PC1", "success": 3, "failure": 1},
            {"account": "bob", "host": "DC1", "success": 1, "failure": 0},
        ],
    }
    doc = replace(_doc(), sections={"logons": (logons,)})
    html = render_html(doc).decode()
    assert "<svg" in html
    assert "Logon graph" in html
    assert "bob" in html
    assert HOSTILE not in html


def test_html_report_without_logons_has_no_graph() -> None:
    doc = replace(_doc(), sections={})
    assert "<svg" not in render_html(doc).decode()


def test_table_summary_names_severities_rules_and_hosts() -> None:
    text = RENDERERS["table"](_doc()).decode()
    for part in (
        "critical",
        "evtx-clear",
        "Security log cleared",
        "2024-05-01T09:00:00Z",
        "not recognised",
        "warnings",
    ):
        assert part in text


_times = st.sampled_from(
    ["", "2024-05-01T09:30:00Z", "2024-05-01T18:30:00+09:00", "2024-05-01T09:30:00.5Z"]
)
_words = st.sampled_from(["a", "b", "[high] a"])


@given(
    st.lists(st.tuples(_times, _words, st.integers(0, 3)), max_size=12),
    st.lists(st.tuples(st.one_of(st.none(), _times), _words), max_size=8),
)
def test_timesketch_rows_come_in_time_then_message_order(
    events: list[tuple[str, str, int]], findings: list[tuple[str | None, str]]
) -> None:
    """Events and timed findings interleave by time (the same instant written two ways
    counts as one), ties by message, and equal keys keep events first, each in the
    document's order; findings without a time are left out."""
    doc = ResultDocument(
        timeline=tuple(
            TimelineRecord(when, "src", text, attributes={"n": n}) for when, text, n in events
        ),
        findings=tuple(
            FindingRecord("a", f"r{i}", text, "high", timestamp=when)
            for i, (when, text) in enumerate(findings)
        ),
    )
    rows = list(timesketch_rows(doc))

    def micros(when: str | None) -> int:
        parsed = parse_time(when)
        return int(parsed.timestamp() * 1_000_000) if parsed else 0

    expected = sorted(
        [(micros(w), t, "Event Recorded", n) for w, t, n in events]
        + [(micros(w), f"[high] {t}", "Detection", i) for i, (w, t) in enumerate(findings) if w],
        key=lambda r: (r[0], r[1]),
    )
    got = [
        (r["timestamp"] or 0, r["message"], r["timestamp_desc"], r.get("n", r.get("rule_id")))
        for r in rows
    ]
    assert got == [(m, t, d, n if d == "Event Recorded" else f"r{n}") for m, t, d, n in expected]
