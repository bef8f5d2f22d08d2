"""Tallies kept for parts of a file add up to the tallies of the whole file.

When several processes read one large file (see ``test_partitions.py``), each keeps
its own logon, gap and correlation tallies and the main process merges them; these
tests cut one event stream at several points and check the merged result is the
one-pass result, including the limit on sources listed per account and host.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import pytest
from tests.analyzers.windows_evtx.evtx_helpers import DATA, evidence, failed_logon, logon

from madoguchi.analyzers.sigma import Correlator
from madoguchi.analyzers.windows_evtx import load_rule_pack
from madoguchi.analyzers.windows_evtx.events import flatten_event, parse_time
from madoguchi.analyzers.windows_evtx.gaps import GapTracker
from madoguchi.analyzers.windows_evtx.logons import MAX_SOURCES, LogonTracker


def _stream() -> list[tuple[dict[str, Any], datetime]]:
    events: list[dict[str, Any]] = []
    for n in range(240):
        when = f"2024-04-12T{n // 60:02d}:{n % 60:02d}:00Z"
        ip = f"203.0.113.{n % 80}"  # 80 sources for alice: more than are listed
        if n % 3 == 0:
            events.append(logon(1000 + n, when, "alice", ip))
        elif n % 3 == 1:
            events.append(failed_logon(1000 + n, when, "alice", ip))
        else:
            user = f"user{n % 17}"
            events.append(failed_logon(1000 + n + (n % 7 == 0), when, user, "198.51.100.7"))
    events.append(logon(2000, "2024-04-12T05:00:00Z", "SYSTEM", "-"))
    out = []
    for raw in events:
        flat = flatten_event(raw)
        when = parse_time(flat["TimeCreated"])
        assert when is not None
        out.append((flat, when))
    return out


CUTS = [1, 60, 121, 239]


@pytest.mark.parametrize("cut", CUTS)
def test_logon_tallies_merge_to_the_one_pass_result(cut: int) -> None:
    stream = _stream()
    whole = LogonTracker()
    for event, when in stream:
        whole.observe(event, when)
    first, rest = LogonTracker(), LogonTracker(max_sources=sys.maxsize)
    for event, when in stream[:cut]:
        first.observe(event, when)
    for event, when in stream[cut:]:
        rest.observe(event, when)
    first.merge(rest)
    assert first.section("x") == whole.section("x")
    (alice,) = [r for r in whole.section("x")["logons"] if r["account"] == "EXAMPLE\\alice"]
    assert len(alice["sources"]) == MAX_SOURCES


@pytest.mark.parametrize("cut", CUTS)
def test_gap_tallies_merge_to_the_one_pass_result(cut: int) -> None:
    stream = _stream()
    whole, first, rest = (GapTracker(record_gaps=True, time_gap_hours=1) for _ in range(3))
    for n, (event, when) in enumerate(stream):
        args = (event["Computer"], event["Channel"], event["EventRecordID"], when)
        whole.observe(*args)
        (first if n < cut else rest).observe(*args)
    first.merge(rest)
    ref = evidence(DATA / "wdigest-enabled.evtx")
    expected = list(whole.findings("windows-evtx", ref))
    assert expected  # the stream has record gaps and an hour-long silence
    assert list(first.findings("windows-evtx", ref)) == expected


def test_recorded_matches_correlate_like_live_ones() -> None:
    ruleset = load_rule_pack().ruleset
    assert ruleset is not None
    live, replay = Correlator(ruleset), Correlator(ruleset)
    found_live: list[Any] = []
    recorded: list[tuple[str, dict[str, Any], datetime]] = []
    for event, when in _stream():
        for match in ruleset.match(event):
            found_live += live.observe(match, event, when)
            if replay.wants(match.rule.id):
                recorded.append((match.rule.id, replay.project(event), when))
    found_live += live.flush()
    found_replay: list[Any] = []
    for rule_id, projected, when in recorded:
        found_replay += replay.observe_rule(rule_id, projected, when)
    found_replay += replay.flush()
    assert {m.rule.title for m in found_live} >= {
        "Password spraying: many accounts tried from one address"
    }
    assert found_replay == found_live
