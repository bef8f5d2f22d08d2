"""Sliding correlation windows kept incrementally: counts go up and down as the window moves.

The correlator keeps, per window, how many matches and how many distinct values and
rules it holds, adding as matches arrive and subtracting as they leave the timespan.
These tests walk windows through arrivals and departures and check what a user sees:
whether a correlation fires, when, and with which count and values.
"""

from __future__ import annotations

from datetime import timedelta

from tests.analyzers.sigma.sigma_helpers import Loader
from tests.analyzers.sigma.test_correlations import BASE_RULES, T0, correlation, fail, ok, run

from madoguchi.analyzers.sigma import Correlator

SPRAY = correlation(
    """
  type: value_count
  rules: failed_logon
  group-by: [IpAddress]
  timespan: 10m
  condition: {field: TargetUserName, gte: 3}
""",
    "Password spray",
)


def test_value_count_forgets_values_that_left_the_window(load: Loader) -> None:
    ruleset, errors = load(BASE_RULES, SPRAY)
    assert errors == []
    stream = [
        (0, fail("a")),
        (100, fail("b")),
        (650, fail("c")),  # "a" (t=0) is now more than 10 minutes old: {b, c}
    ]
    assert run(ruleset, stream) == []
    (hit,) = run(ruleset, [*stream, (660, fail("a"))])  # "a" again: {b, c, a}
    assert hit.value_count == 3
    assert set(hit.values) == {"a", "b", "c"}
    assert hit.first == T0 + timedelta(seconds=100)
    assert hit.count == 3


def test_value_count_keeps_a_value_while_any_copy_is_inside(load: Loader) -> None:
    ruleset, _ = load(BASE_RULES, SPRAY)
    stream = [
        (0, fail("b")),
        (500, fail("b")),  # a second "b", still inside after the first leaves
        (650, fail("c")),  # the first "b" (t=0) leaves here; the second stays
        (660, fail("d")),  # {b, c, d}
    ]
    (hit,) = run(ruleset, stream)
    assert hit.value_count == 3
    assert set(hit.values) == {"b", "c", "d"}
    assert hit.count == 3  # the window holds b(500), c, d


def test_value_count_over_a_long_run_of_one_value(load: Loader) -> None:
    ruleset, _ = load(BASE_RULES, SPRAY)
    same = [(i // 10, fail("bob")) for i in range(5000)]  # 5,000 failures in 500 s, one user
    assert run(ruleset, same) == []
    (hit,) = run(ruleset, [*same, (501, fail("carol")), (502, fail("dave"))])
    assert hit.value_count == 3
    assert set(hit.values) == {"bob", "carol", "dave"}


def test_value_count_groups_are_counted_apart(load: Loader) -> None:
    ruleset, _ = load(BASE_RULES, SPRAY)
    stream = [
        (0, fail("a", "10.0.0.1")),
        (1, fail("b", "10.0.0.2")),
        (2, fail("c", "10.0.0.1")),
        (3, fail("d", "10.0.0.2")),
        (4, fail("e", "10.0.0.2")),
    ]
    (hit,) = run(ruleset, stream)
    assert hit.group == {"IpAddress": "10.0.0.2"}
    assert set(hit.values) == {"b", "d", "e"}


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


def test_event_count_slides_then_starts_over_after_firing(load: Loader) -> None:
    ruleset, errors = load(BASE_RULES, EVENT_COUNT)
    assert errors == []
    stream = [
        (0, fail("bob")),
        (200, fail("bob")),
        (400, fail("bob")),  # t=0 left the 5-minute window: two inside
        (450, fail("bob")),  # 200, 400, 450: fires
        (460, fail("bob")),  # the window started over: one
        (470, fail("bob")),  # two
        (480, fail("bob")),  # three: fires again
    ]
    hits = run(ruleset, stream)
    assert [(h.first, h.last, h.count) for h in hits] == [
        (T0 + timedelta(seconds=200), T0 + timedelta(seconds=450), 3),
        (T0 + timedelta(seconds=460), T0 + timedelta(seconds=480), 3),
    ]


def test_event_count_upper_bound_windows_do_not_carry_counts_over(load: Loader) -> None:
    quiet = correlation(
        """
  type: value_count
  rules: [failed_logon]
  group-by: [IpAddress]
  timespan: 5m
  condition: {field: TargetUserName, lt: 2}
""",
        "One account only",
    )
    ruleset, errors = load(BASE_RULES, quiet)
    assert errors == []
    stream = [
        (0, fail("a")),
        (10, fail("b")),  # first window: two accounts, not fewer than two
        (400, fail("c")),  # second window: one account
    ]
    hits = run(ruleset, stream)
    assert [(h.first, h.value_count, h.values) for h in hits] == [
        (T0 + timedelta(seconds=400), 1, ("c",))
    ]


def test_temporal_forgets_a_rule_that_left_the_window(load: Loader) -> None:
    temporal = correlation(
        """
  type: temporal
  rules: [failed_logon, logon_ok]
  group-by: [TargetUserName]
  timespan: 5m
""",
        "Fail and success",
    )
    ruleset, errors = load(BASE_RULES, temporal)
    assert errors == []
    assert run(ruleset, [(0, fail("bob")), (400, ok("bob"))]) == []
    (hit,) = run(ruleset, [(0, fail("bob")), (400, ok("bob")), (450, fail("bob"))])
    assert hit.first == T0 + timedelta(seconds=400)
    assert set(hit.rules) == {
        r.id for r in ruleset.rules if r.title in ("Failed logon", "Successful logon")
    }


def test_temporal_ordered_waits_for_the_right_order_inside_the_window(load: Loader) -> None:
    ordered = correlation(
        """
  type: temporal_ordered
  rules: [failed_logon, logon_ok]
  group-by: [TargetUserName]
  timespan: 5m
""",
        "Fail then success",
    )
    ruleset, errors = load(BASE_RULES, ordered)
    assert errors == []
    # Success before failure: both rules are present but not in order.
    assert run(ruleset, [(0, ok("bob")), (10, fail("bob"))]) == []
    # A later success completes the order failure -> success.
    (hit,) = run(ruleset, [(0, ok("bob")), (10, fail("bob")), (20, ok("bob"))])
    assert (hit.first, hit.last) == (T0, T0 + timedelta(seconds=20))
    # The failure left the window before the success arrived.
    assert run(ruleset, [(0, fail("bob")), (301, ok("bob"))]) == []


def test_a_match_arriving_slightly_out_of_order_still_counts(load: Loader) -> None:
    ruleset, _ = load(BASE_RULES, EVENT_COUNT)
    correlator = Correlator(ruleset)
    event = fail("bob")
    (match,) = ruleset.match(event)
    found = []
    for seconds in (100, 90, 110):  # logs interleave a little; all within five minutes
        found += correlator.observe(match, event, T0 + timedelta(seconds=seconds))
    assert [h.count for h in found] == [3]
    assert found[0].first == T0 + timedelta(seconds=90)


def test_sliding_bounds_fire_at_the_first_count_that_meets_them(load: Loader) -> None:
    # gt 2.5 and gte 3 both need three matches; gt 3 needs four; gte 2.2 needs three.
    for condition, needed in (
        ("{gt: 2.5}", 3),
        ("{gte: 3}", 3),
        ("{gt: 3}", 4),
        ("{gte: 2.2}", 3),
        ("{gt: 1, gte: 4}", 4),
    ):
        rule = correlation(
            f"""
  type: event_count
  rules: failed_logon
  group-by: [IpAddress]
  timespan: 10m
  condition: {condition}
""",
            "Brute force",
        )
        ruleset, errors = load(BASE_RULES, rule)
        assert errors == []
        stream = [(second, fail(f"u{second}")) for second in range(needed)]
        assert run(ruleset, stream[:-1]) == [], condition
        (hit,) = run(ruleset, stream)
        assert hit.count == needed, condition
