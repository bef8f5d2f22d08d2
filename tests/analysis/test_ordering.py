"""Sorting findings and timeline events: the documented key, with canonical JSON made
only where the cheaper part of the key ties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from madoguchi.analysis.records import _mapping
from madoguchi.analysis.result import (
    EvidenceRecord,
    FindingRecord,
    ResultDocument,
    TimelineRecord,
    finding_key,
    iso_utc,
    jsonable,
    normalise,
    parse_time,
    timeline_key,
)

_times = st.sampled_from(
    [None, "2024-01-01T00:00:00Z", "2024-01-01T00:00:00.500000Z", "2024-01-01T00:00:01Z"]
)
_small = st.sampled_from(["a", "b", "c"])
_records = st.one_of(st.none(), st.integers(0, 3))
_values = st.one_of(st.integers(0, 2), st.booleans(), st.none(), _small)


@st.composite
def _timeline(draw: st.DrawFn) -> TimelineRecord:
    return TimelineRecord(
        timestamp=draw(_times) or "",
        source=draw(_small),
        message=draw(_small),
        host=draw(st.one_of(st.none(), _small)),
        evidence=EvidenceRecord("x.evtx", draw(_records)),
        attributes={"v": draw(_values)},
    )


@st.composite
def _finding(draw: st.DrawFn) -> FindingRecord:
    return FindingRecord(
        analyzer="a",
        rule_id=draw(_small),
        title=draw(_small),
        severity="high",
        timestamp=draw(_times),
        first_seen=draw(_times),
        evidence=draw(st.one_of(st.none(), st.builds(EvidenceRecord, _small, _records))),
        details={"v": draw(_values)},
    )


@given(st.lists(_timeline(), max_size=30), st.lists(_finding(), max_size=30))
def test_order_is_that_of_the_full_key(
    timeline: list[TimelineRecord], findings: list[FindingRecord]
) -> None:
    doc = normalise(ResultDocument(timeline=tuple(timeline), findings=tuple(findings)))
    # Records equal under == may still differ as JSON (1 and True); compare as JSON.
    assert [jsonable(t) for t in doc.timeline] == [
        jsonable(t) for t in sorted(timeline, key=timeline_key)
    ]
    assert [jsonable(f) for f in doc.findings] == [
        jsonable(f) for f in sorted(findings, key=finding_key)
    ]


def test_plain_attributes_are_copied_like_jsonable_would() -> None:
    rules = ["r1"]
    attributes: dict[str, Any] = {"event_id": 4625, "record_id": 2**63, "rules": rules, "x": None}
    copied = _mapping(attributes)
    assert copied == jsonable(attributes)
    assert copied["rules"] is not rules  # a copy, as jsonable makes
    odd: dict[str, Any] = {"n": 2**70, "f": float("nan"), 3: "key"}
    assert _mapping(odd) == jsonable(odd) == {"n": str(2**70), "f": None, "3": "key"}


def test_records_equal_in_python_but_not_in_json_keep_the_canonical_order() -> None:
    one = TimelineRecord("2024-01-01T00:00:00Z", "s", "m", attributes={"v": 1})
    true = TimelineRecord("2024-01-01T00:00:00Z", "s", "m", attributes={"v": True})
    for given_order in ((one, true), (true, one)):
        doc = normalise(ResultDocument(timeline=given_order))
        assert [t.attributes["v"] for t in doc.timeline] == [1, True]
        assert [type(t.attributes["v"]) for t in doc.timeline] == [int, bool]


# Mostly within two days of each other, where a +09:00 time and a UTC one interleave;
# some in years before 1000, whose year is still written with four digits.
_instants = st.one_of(
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2024, 1, 3)),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(999, 12, 31)),
).map(lambda naive: naive.replace(tzinfo=UTC))
_zones = st.sampled_from([UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-5))])


@given(st.lists(st.tuples(_instants, _zones, st.booleans()), max_size=40))
def test_timeline_is_in_time_order_whatever_form_the_times_are_written_in(
    times: list[tuple[datetime, timezone, bool]],
) -> None:
    """Times with and without a fraction, in UTC or with an offset, and years before
    1000, sort by the instant they name, not by their text."""
    written = []
    for instant, zone, short in times:
        text = iso_utc(instant) if zone is UTC else instant.astimezone(zone).isoformat()
        if short and instant.microsecond == 0:
            text = text.replace(".000000", "")
        written.append(text or "")
    doc = normalise(ResultDocument(timeline=tuple(TimelineRecord(t, "s", "m") for t in written)))
    got = [parse_time(t.timestamp) for t in doc.timeline]
    assert got == sorted(instant for instant, _, _ in times)


def test_records_without_a_time_come_last() -> None:
    doc = normalise(
        ResultDocument(
            timeline=(
                TimelineRecord("", "s", "m"),
                TimelineRecord("2024-01-01T09:00:00+09:00", "s", "m"),
                TimelineRecord("2023-12-31T23:59:59.999999Z", "s", "m"),
            )
        )
    )
    assert [t.timestamp for t in doc.timeline] == [
        "2023-12-31T23:59:59.999999Z",
        "2024-01-01T09:00:00+09:00",
        "",
    ]


_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
)
_json_like = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner),
        st.dictionaries(st.one_of(st.text(max_size=2), st.integers(0, 3)), inner, max_size=3),
    ),
    max_leaves=12,
)


def _containers(value: Any) -> list[int]:
    if isinstance(value, dict):
        return [id(value), *(i for v in value.values() for i in _containers(v))]
    if isinstance(value, list):
        return [id(value), *(i for v in value for i in _containers(v))]
    return []


@given(st.dictionaries(st.text(max_size=3), _json_like, max_size=5))
@example({"n": 2**64, "f": float("nan"), "m": {"i": -(2**63) - 1}})
@example({"matched": {"EventID": 4625, "IpAddress": "10.0.0.1"}, "tags": ["a"], "x": None})
def test_details_are_copied_like_jsonable_would(details: dict[str, Any]) -> None:
    """The quick copy of details and attributes gives what ``jsonable`` gives (big ints
    as text, NaN as null, non-text keys as text), and shares no list or dict with them."""
    copied = _mapping(details)
    assert repr(copied) == repr(jsonable(details))  # repr: 1 and True, NaN and None differ
    assert not set(_containers(copied)) & set(_containers(details))
