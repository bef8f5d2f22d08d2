"""STIX 2.1 export and import: patterns, TLP 2.0 markings, ceilings, unreadable patterns."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from madoguchi.domain.indicator import IndicatorType, Sighting
from madoguchi.domain.tlp import TLP
from madoguchi.intel.classifier import make_indicator
from madoguchi.intel.stix import export_bundle, import_bundle
from madoguchi.intel.stix.markings import TLP2_IDS

NOW = datetime(2026, 1, 10, tzinfo=UTC)


def sample() -> list:
    return [
        make_indicator(None, "203.0.113.5", tlp=TLP.GREEN, tags=["family:akira"], confidence=80),
        make_indicator(None, "evil.com", tlp=TLP.AMBER),
        make_indicator(None, "10.0.0.0/8", tlp=TLP.CLEAR),
        make_indicator(None, "CVE-2024-3400", tlp=TLP.CLEAR),
        make_indicator(None, "T1059.001", tlp=TLP.GREEN),
        make_indicator(None, "o'brien.exe", tlp=TLP.GREEN),
        make_indicator(
            None,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            tlp=TLP.AMBER_STRICT,
        ),
        make_indicator(None, "d41d8cd98f00b204e9800998ecf8427e", tlp=TLP.RED),
    ]


def test_round_trip_keeps_type_value_tlp_and_tags() -> None:
    indicators = sample()
    export = export_bundle(indicators, ceiling=TLP.RED, now=NOW)
    back = import_bundle(export.serialize())
    assert back.problems == []
    assert {(i.type, i.value, i.tlp, i.tags) for i in back.indicators} == {
        (i.type, i.value, i.tlp, i.tags) for i in indicators
    }
    assert next(i for i in back.indicators if i.value == "203.0.113.5").confidence == 80


def test_patterns_and_tlp2_markings_are_written() -> None:
    bundle = json.loads(export_bundle(sample(), ceiling=TLP.RED, now=NOW).serialize())
    patterns = {o["pattern"] for o in bundle["objects"] if o["type"] == "indicator"}
    assert "[ipv4-addr:value = '203.0.113.5']" in patterns
    assert "[file:name = 'o\\'brien.exe']" in patterns
    markings = {o["id"]: o for o in bundle["objects"] if o["type"] == "marking-definition"}
    assert markings[TLP2_IDS[TLP.AMBER_STRICT]]["name"] == "TLP:AMBER+STRICT"
    assert TLP2_IDS[TLP.RED] == "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"


def test_ceiling_drops_everything_above_it() -> None:
    export = export_bundle(sample(), ceiling=TLP.GREEN, now=NOW)
    text = export.serialize()
    assert (export.exported, export.dropped) == (5, 3)
    assert "evil.com" not in text
    assert "d41d8cd98f00b204e9800998ecf8427e" not in text
    assert TLP2_IDS[TLP.AMBER] not in text and TLP2_IDS[TLP.RED] not in text


def test_sightings_never_name_who_saw_them() -> None:
    indicators = sample()
    sighting = Sighting(
        indicators[0],
        case_id=42,
        organisation_id=7,
        seen_at=NOW,
        count=3,
        context="secret victim name",
    )
    bundle = json.loads(
        export_bundle(
            indicators, [sighting], ceiling=TLP.AMBER, report_name="weekly", now=NOW
        ).serialize()
    )
    sightings = [o for o in bundle["objects"] if o["type"] == "sighting"]
    assert len(sightings) == 1 and sightings[0]["count"] == 3
    assert "where_sighted_refs" not in sightings[0]
    assert "secret victim name" not in json.dumps(bundle)
    report = next(o for o in bundle["objects"] if o["type"] == "report")
    assert report["object_marking_refs"] == [TLP2_IDS[TLP.AMBER]]


def test_unsupported_patterns_are_reported_not_dropped() -> None:
    bundle = {
        "type": "bundle",
        "id": "bundle--1",
        "objects": [
            {
                "type": "indicator",
                "id": "indicator--a",
                "pattern_type": "stix",
                "pattern": "[ipv4-addr:value = '198.51.100.1' AND network-traffic:dst_port = 443]",
            },
            {
                "type": "indicator",
                "id": "indicator--b",
                "pattern_type": "stix",
                "pattern": "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e'] OR "
                "[domain-name:value = 'bad.example.org']",
            },
            {
                "type": "indicator",
                "id": "indicator--c",
                "pattern_type": "yara",
                "pattern": "rule x {}",
            },
            {
                "type": "indicator",
                "id": "indicator--d",
                "pattern_type": "stix",
                "pattern": "[url:value MATCHES '^http']",
            },
        ],
    }
    result = import_bundle(bundle)
    assert [(i.type, i.value) for i in result.indicators] == [
        (IndicatorType.MD5, "d41d8cd98f00b204e9800998ecf8427e"),
        (IndicatorType.DOMAIN, "bad.example.org"),
    ]
    assert sorted(p.where for p in result.problems) == [
        "indicator--a",
        "indicator--c",
        "indicator--d",
    ]


def test_tlp1_markings_from_other_producers_are_understood() -> None:
    bundle = {
        "type": "bundle",
        "id": "bundle--1",
        "objects": [
            {
                "type": "indicator",
                "id": "indicator--a",
                "pattern_type": "stix",
                "pattern": "[domain-name:value = 'x.example.net']",
                "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
            },
        ],
    }
    assert import_bundle(bundle).indicators[0].tlp is TLP.GREEN
