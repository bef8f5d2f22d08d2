"""Correlation rules: event_count, value_count, temporal, temporal_ordered; windows and groups."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.analyzers.sigma.sigma_helpers import Loader

from madoguchi.analyzers.sigma import CorrelationMatch, Correlator, RuleSet

BASE_RULES = """
title: Failed logon
name: failed_logon
id: 11111111-1111-4111-8111-111111111111
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4625}
  condition: sel
---
title: Successful logon
name: logon_ok
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4624}
  condition: sel
---
title: Whoami
name: whoami
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\\whoami.exe'}
  condition: sel
"""

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def fail(user: str, ip: str = "10.0.0.9") -> dict[str, Any]:
    return {"Channel": "Security", "EventID": 4625, "TargetUserName": user, "IpAddress": ip}


def ok(user: str, ip: str = "10.0.0.9") -> dict[str, Any]:
    return {"Channel": "Security", "EventID": 4624, "TargetUserName": user, "IpAddress": ip}


def whoami(user: str) -> dict[str, Any]:
    return {
        "Channel": "Security",
        "EventID": 4688,
        "NewProcessName": "C:\\W\\whoami.exe",
        "SubjectUserName": user,
    }


def correlation(body: str, title: str = "Correlation") -> str:
    return f"title: {title}\ncorrelation:\n" + body


def run(ruleset: RuleSet, stream: Iterable[tuple[int, dict[str, Any]]]) -> list[CorrelationMatch]:
    """Feed (seconds after T0, event) pairs through matching and correlation."""
    correlator = Correlator(ruleset)
    found: list[CorrelationMatch] = []
    for seconds, event in stream:
        when = T0 + timedelta(seconds=seconds)
        for match in ruleset.match(event):
            found.extend(correlator.observe(match, event, when))
    found.extend(correlator.flush())
    return found


EVENT_COUNT = correlation(
    """
  type: event_count
  rules: [failed_logon]
  group-by: [TargetUserName]
  timespan: 5m
  condition: {gte: 3}
""",
    "Brute force",
)


def test_event_count_fires_per_group_within_timespan(load: Loader) -> None:
    ruleset, errors = load(BASE_RULES, EVENT_COUNT)
    assert errors == []
    found = run(
        ruleset,
        [
            (0, fail("bob")),
            (30, fail("alice")),
            (60, fail("bob")),
            (90, fail("alice")),
            (120, fail("bob")),
        ],
    )
    assert len(found) == 1
    (hit,) = found
    assert hit.rule.title == "Brute force"
    assert hit.rule.kind == "correlation"
    assert hit.group == {"TargetUserName": "bob"}
    assert hit.count == 3
    assert (hit.first, hit.last) == (T0, T0 + timedelta(seconds=120))
    assert [rule_id for rule_id, _ in hit.events] == ["11111111-1111-4111-8111-111111111111"] * 3


def test_group_by_reads_fields_whatever_their_case_in_both_paths(load: Loader) -> None:
    """A field the event writes in another case is still grouped on, whether the event is
    observed here or projected in a worker process and fed by rule id."""
    ruleset, _ = load(BASE_RULES, EVENT_COUNT)
    spellings = ("targetusername", "TARGETUSERNAME", "TargetUserName")
    stream = [
        (60 * n, {"Channel": "Security", "EventID": 4625, name: "bob", "IpAddress": "10.0.0.9"})
        for n, name in enumerate(spellings)
    ]
    (hit,) = run(ruleset, stream)
    assert hit.group == {"TargetUserName": "bob"}
    assert hit.count == 3
    correlator = Correlator(ruleset)
    projected: list[CorrelationMatch] = []
    for seconds, event in stream:
        for match in ruleset.match(event):
            assert correlator.wants(match.rule.id)
            view = correlator.project(event)
            assert view == {"TargetUserName": "bob"}
            when = T0 + timedelta(seconds=seconds)
            projected.extend(correlator.observe_rule(match.rule.id, view, when))
    projected.extend(correlator.flush())
    assert projected == [hit]


def test_event_count_needs_the_events_inside_the_timespan(load: Loader) -> None:
    ruleset, _ = load(BASE_RULES, EVENT_COUNT)
    spread = [(0, fail("bob")), (200, fail("bob")), (400, fail("bob")), (600, fail("bob"))]
    assert run(ruleset, spread) == []
    sliding = [(0, fail("bob")), (200, fail("bob")), (400, fail("bob")), (450, fail("bob"))]
    assert len(run(ruleset, sliding)) == 1  # 200..450 is inside five minutes


def test_referenced_rules_do_not_report_unless_generate(load: Loader) -> None:
    ruleset, _ = load(BASE_RULES, EVENT_COUNT)
    outputs = {r.title: r.output for r in ruleset.rules}
    assert outputs == {"Failed logon": False, "Successful logon": True, "Whoami": True}
    # a match that only feeds the correlation carries no copy of the event's fields
    assert [m.fields for m in ruleset.match(fail("bob"))] == [{}]
    assert [m.fields for m in ruleset.match(ok("bob"))] == [{"EventID": 4624}]
    generating = EVENT_COUNT.replace("type: event_count", "type: event_count\n  generate: true")
    ruleset, errors = load(BASE_RULES, generating)
    assert errors == []
    assert all(r.output for r in ruleset.rules)
    assert [m.fields for m in ruleset.match(fail("bob"))] == [{"EventID": 4625}]


def test_value_count_counts_distinct_values(load: Loader) -> None:
    spray = correlation(
        """
  type: value_count
  rules: failed_logon
  group-by: [IpAddress]
  timespan: 10m
  condition: {field: TargetUserName, gte: 3}
""",
        "Password spray",
    )
    ruleset, errors = load(BASE_RULES, spray)
    assert errors == []
    same_user = [(i * 10, fail("bob", "10.0.0.7")) for i in range(5)]
    assert run(ruleset, same_user) == []
    many = [
        (0, fail("a", "10.0.0.7")),
        (10, fail("a", "10.0.0.7")),
        (20, fail("b", "10.0.0.7")),
        (25, fail("z", "10.9.9.9")),
        (30, fail("c", "10.0.0.7")),
    ]
    (hit,) = run(ruleset, many)
    assert hit.group == {"IpAddress": "10.0.0.7"}
    assert hit.value_count == 3
    assert set(hit.values) == {"a", "b", "c"}
    assert hit.count == 4


def test_temporal_needs_every_rule_in_any_order(load: Loader) -> None:
    temporal = correlation(
        """
  type: temporal
  rules: [failed_logon, logon_ok]
  group-by: [TargetUserName]
  timespan: 1m
""",
        "Fail then success",
    )
    ruleset, errors = load(BASE_RULES, temporal)
    assert errors == []
    assert len(run(ruleset, [(0, fail("bob")), (30, ok("bob"))])) == 1
    assert len(run(ruleset, [(0, ok("bob")), (30, fail("bob"))])) == 1
    assert run(ruleset, [(0, fail("bob")), (90, ok("bob"))]) == []
    assert run(ruleset, [(0, fail("bob")), (30, ok("alice"))]) == []


def test_temporal_ordered_needs_the_order(load: Loader) -> None:
    ordered = correlation(
        """
  type: temporal_ordered
  rules: [failed_logon, logon_ok, whoami]
  group-by: [user]
  timespan: 10m
  aliases:
    user:
      failed_logon: TargetUserName
      logon_ok: TargetUserName
      whoami: SubjectUserName
""",
        "Guessed, logged on, looked around",
    )
    ruleset, errors = load(BASE_RULES, ordered)
    assert errors == []
    in_order = [(0, fail("bob")), (60, ok("bob")), (120, whoami("bob"))]
    (hit,) = run(ruleset, in_order)
    assert hit.group == {"user": "bob"}
    assert len(hit.rules) == 3
    wrong_order = [(0, ok("bob")), (60, fail("bob")), (120, whoami("bob"))]
    assert run(ruleset, wrong_order) == []
    other_user = [(0, fail("bob")), (60, ok("bob")), (120, whoami("alice"))]
    assert run(ruleset, other_user) == []


def test_upper_bound_conditions_are_decided_when_the_window_closes(load: Loader) -> None:
    single = correlation(
        """
  type: event_count
  rules: [logon_ok]
  group-by: [TargetUserName]
  timespan: 5m
  condition: {lt: 2}
""",
        "Single logon",
    )
    ruleset, errors = load(BASE_RULES, single)
    assert errors == []
    correlator = Correlator(ruleset)
    event = ok("bob")
    (match,) = ruleset.match(event)
    assert correlator.observe(match, event, T0) == []
    later = correlator.observe(match, event, T0 + timedelta(minutes=10))
    assert [h.count for h in later] == [1]  # the first window closed with one logon
    assert [h.count for h in correlator.flush()] == [1]  # and so does the second at the end
    busy = run(ruleset, [(0, ok("bob")), (10, ok("bob"))])
    assert busy == []


def test_range_condition(load: Loader) -> None:
    ranged = correlation(
        """
  type: event_count
  rules: [failed_logon]
  group-by: [TargetUserName]
  timespan: 5m
  condition: {gte: 2, lte: 3}
""",
        "A few fails",
    )
    ruleset, errors = load(BASE_RULES, ranged)
    assert errors == []
    two = run(ruleset, [(0, fail("bob")), (10, fail("bob"))])
    assert [h.count for h in two] == [2]
    four = run(ruleset, [(i * 10, fail("bob")) for i in range(4)])
    assert four == []
    assert run(ruleset, [(0, fail("bob"))]) == []


def test_extended_temporal_condition(load: Loader) -> None:
    either = correlation(
        """
  type: temporal
  group-by: [TargetUserName]
  timespan: 1m
  condition: failed_logon or logon_ok
""",
        "Any logon activity",
    )
    ruleset, errors = load(BASE_RULES, either)
    assert errors == []
    assert len(run(ruleset, [(0, ok("bob"))])) == 1
    both = correlation(
        """
  type: temporal
  group-by: [TargetUserName]
  timespan: 1m
  condition: failed_logon and logon_ok
""",
        "Both",
    )
    ruleset, errors = load(BASE_RULES, both)
    assert errors == []
    assert run(ruleset, [(0, ok("bob"))]) == []
    assert len(run(ruleset, [(0, ok("bob")), (5, fail("bob"))])) == 1


def test_correlation_of_correlations(load: Loader) -> None:
    inner = EVENT_COUNT.replace("title: Brute force", "title: Brute force\nname: brute")
    outer = correlation(
        """
  type: temporal_ordered
  rules: [brute, logon_ok]
  group-by: [TargetUserName]
  timespan: 10m
""",
        "Brute force then success",
    )
    ruleset, errors = load(BASE_RULES, inner, outer)
    assert errors == []
    stream = [(0, fail("bob")), (10, fail("bob")), (20, fail("bob")), (60, ok("bob"))]
    titles = [h.rule.title for h in run(ruleset, stream)]
    assert titles == ["Brute force", "Brute force then success"]
