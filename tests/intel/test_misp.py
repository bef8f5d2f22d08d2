"""MISP event export and import, and the CSV exchange format."""

from __future__ import annotations

import csv
import io
import json

from madoguchi.domain.indicator import IndicatorType
from madoguchi.domain.tlp import TLP
from madoguchi.intel.classifier import make_indicator
from madoguchi.intel.ioc_csv import export_csv, import_csv
from madoguchi.intel.misp import export_event, import_event


def sample() -> list:
    return [
        make_indicator(None, "203.0.113.5", tlp=TLP.GREEN, tags=["family:akira"]),
        make_indicator(None, "evil.com", tlp=TLP.AMBER_STRICT),
        make_indicator(None, "CVE-2024-3400", tlp=TLP.CLEAR),
        make_indicator(None, "T1059.001", tlp=TLP.GREEN),
        make_indicator(None, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", tlp=TLP.GREEN),
        make_indicator(None, "d41d8cd98f00b204e9800998ecf8427e", tlp=TLP.RED),
    ]


def test_misp_round_trip_and_types() -> None:
    export = export_event(sample(), ceiling=TLP.RED, info="test event")
    document = json.loads(export.to_json())
    types = {a["value"]: a["type"] for a in document["Attribute"]}
    assert types["203.0.113.5"] == "ip-dst"
    assert types["CVE-2024-3400"] == "vulnerability"
    assert types["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"] == "btc"
    assert {t["name"] for t in document["Tag"]} == {"tlp:red"}
    back = import_event(export.to_json())
    assert back.problems == []
    assert {(i.type, i.value, i.tlp, i.tags) for i in back.indicators} == {
        (i.type, i.value, i.tlp, i.tags) for i in sample()
    }


def test_misp_ceiling() -> None:
    export = export_event(sample(), ceiling=TLP.GREEN)
    text = export.to_json()
    assert (export.exported, export.dropped) == (4, 2)
    assert "evil.com" not in text and "d41d8cd98f00b204e9800998ecf8427e" not in text
    assert "tlp:green" in text and "tlp:red" not in text


def test_misp_import_reads_composites_and_reports_the_rest() -> None:
    event = {
        "Event": {
            "info": "x",
            "Tag": [{"name": "tlp:amber"}],
            "Attribute": [
                {"type": "filename|sha256", "value": "a.exe|" + "ab" * 32, "to_ids": True},
                {"type": "ip-src|port", "value": "198.51.100.7|8443", "to_ids": True},
                {"type": "domain", "value": "context.example.com", "to_ids": False},
                {"type": "attachment", "value": "x.bin", "to_ids": True},
            ],
            "Object": [
                {
                    "Attribute": [
                        {
                            "type": "url",
                            "value": "https://bad.example.org/p",
                            "Tag": [{"name": "tlp:clear"}],
                        }
                    ]
                }
            ],
        }
    }
    result = import_event(event)
    assert [(i.type, i.value, i.tlp) for i in result.indicators] == [
        (IndicatorType.FILENAME, "a.exe", TLP.AMBER),
        (IndicatorType.SHA256, "ab" * 32, TLP.AMBER),
        (IndicatorType.IPV4, "198.51.100.7", TLP.AMBER),
        (IndicatorType.URL, "https://bad.example.org/p", TLP.CLEAR),
    ]
    assert len(result.problems) == 2


def test_csv_export_guards_formulas_and_respects_ceiling() -> None:
    indicators = [
        make_indicator("user-agent", '=HYPERLINK("http://x")', tlp=TLP.CLEAR),
        make_indicator("mutex", "-evil", tlp=TLP.CLEAR, description="@SUM(1)"),
        make_indicator(None, "evil.com", tlp=TLP.RED),
    ]
    export = export_csv(indicators, ceiling=TLP.AMBER)
    rows = list(csv.reader(io.StringIO(export.text)))
    assert (export.exported, export.dropped) == (2, 1)
    assert rows[1][1] == '\'=HYPERLINK("http://x")'
    assert rows[2][1] == "'-evil" and rows[2][-1] == "'@SUM(1)"
    assert "evil.com" not in export.text
    back = import_csv(export.text)
    assert [(i.type, i.value) for i in back.indicators] == [
        (IndicatorType.USER_AGENT, '=HYPERLINK("http://x")'),
        (IndicatorType.MUTEX, "-evil"),
    ]


def test_csv_import_without_header_with_tags_and_bad_rows() -> None:
    text = "ipv4,203.0.113.9,family:akira,campaign:x\nsha256,nothex\n,evil.org\n"
    result = import_csv(text, where="feed.csv")
    assert [(i.type, i.value, i.tags) for i in result.indicators] == [
        (IndicatorType.IPV4, "203.0.113.9", ("family:akira", "campaign:x")),
        (IndicatorType.DOMAIN, "evil.org", ()),
    ]
    assert [p.where for p in result.problems] == ["feed.csv:2"]
