"""Retro-hunt: new indicators against stored observations and raw text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from madoguchi.domain.findings import Stage
from madoguchi.intel.classifier import make_indicator
from madoguchi.intel.retrohunt import Observation, TextSource, retrohunt

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_sightings_from_observations_and_files(tmp_path: Path) -> None:
    indicators = [
        make_indicator(None, "evil.com", tags=["family:akira"]),
        make_indicator(None, "198.51.100.0/24"),
    ]
    observations = [
        Observation(
            "ioc:url",
            "https://cdn.evil.com/p",
            case_id=1,
            evidence_id=11,
            timestamp=T0,
            organisation_id=5,
        ),
        Observation(
            "ioc:ipv4",
            "198.51.100.23",
            case_id=2,
            evidence_id=21,
            timestamp=T0,
            organisation_id=6,
            stage=Stage.EXPLOITED,
        ),
        Observation(
            "ioc:ipv4", "198.51.100.23", case_id=2, evidence_id=21, timestamp=T0, organisation_id=6
        ),
        Observation("ioc:domain", "good.example.org", case_id=3),
    ]
    log = tmp_path / "proxy.log"
    log.write_text("a\nCONNECT evil.com:443\nCONNECT evil.com:443\n")
    sightings = retrohunt(
        indicators,
        observations,
        texts=[TextSource(log, case_id=4, evidence_id=41)],
        as_of=T0 + timedelta(days=1),
    )
    summary = [(s.case_id, s.evidence_id, s.indicator.value, s.count, s.stage) for s in sightings]
    assert summary == [
        (1, 11, "evil.com", 1, None),
        (2, 21, "198.51.100.0/24", 1, Stage.EXPLOITED),
        (4, 41, "evil.com", 2, None),
    ]
    assert sightings[2].context.startswith("proxy.log:2:")


def test_expired_indicators_are_not_hunted() -> None:
    old = make_indicator(None, "evil.com", expires_at=T0)
    assert (
        retrohunt(
            [old], [Observation("ioc:domain", "evil.com", case_id=1)], as_of=T0 + timedelta(days=1)
        )
        == []
    )
