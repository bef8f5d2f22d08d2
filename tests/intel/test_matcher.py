"""The matching engine: per-type boundaries, addresses, case, expiry, files."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from madoguchi.domain.findings import Observable
from madoguchi.domain.indicator import Indicator, IndicatorType
from madoguchi.intel.classifier import make_indicator
from madoguchi.intel.matcher import Matcher

NOW = datetime(2026, 1, 10, tzinfo=UTC)


def found(values: list[str], text: str, **kwargs: bool) -> list[str]:
    matcher = Matcher.build([make_indicator(None, v) for v in values], as_of=NOW)
    return [m.text for m in matcher.match_text(text, **kwargs)]


@pytest.mark.parametrize(
    ("indicator", "text", "expected"),
    [
        ("evil.com", "dns query notevil.com", []),
        ("evil.com", "dns query www.EVIL.com ok", ["EVIL.com"]),
        ("evil.com", "contact evil.com.", ["evil.com"]),
        ("evil.com", "evil.com.attacker.net", []),
        ("evil.com", "mail from a@evil.com", ["evil.com"]),
        ("http://bad.example/Drop", "GET http://BAD.example/Drop?x=1", ["http://BAD.example/Drop"]),
        ("http://bad.example/Drop", "GET http://bad.example/drop", []),
        ("http://bad.example/Drop", "GET http://bad.example/Dropper", []),
        ("invoice.pdf.exe", r"C:\Users\a\Invoice.PDF.exe ran", [r"Invoice.PDF.exe"]),
        ("invoice.pdf.exe", "myinvoice.pdf.exe", []),
        ("x@evil.com", "from: X@Evil.com", ["X@Evil.com"]),
        ("x@evil.com", "from: ax@evil.com", []),
        ("CVE-2021-4428", "CVE-2021-44228 exploited", []),
        ("CVE-2021-44228", "cve-2021-44228 exploited", ["cve-2021-44228"]),
        (
            "d41d8cd98f00b204e9800998ecf8427e",
            "md5=D41D8CD98F00B204E9800998ECF8427E",
            ["D41D8CD98F00B204E9800998ECF8427E"],
        ),
        ("d41d8cd98f00b204e9800998ecf8427e", "0d41d8cd98f00b204e9800998ecf8427e", []),
        ("203.0.113.5", "src=203.0.113.5:443", ["203.0.113.5"]),
        ("203.0.113.5", "src=203.0.113.50", []),
        ("203.0.113.5", "ver 1.203.0.113.5", []),
        ("2001:db8::1", "from 2001:DB8::1 port", ["2001:DB8::1"]),
        ("2001:db8::1", "from 2001:db8::1:5", []),
        ("T1059.001", "technique T1059.001 seen", ["T1059.001"]),
    ],
)
def test_boundaries_per_type(indicator: str, text: str, expected: list[str]) -> None:
    assert found([indicator], text) == expected


def test_cidr_v4_and_v6_membership() -> None:
    text = "a 10.20.30.40 b 10.2.3.4 c 172.16.5.9 d 172.32.0.1 e 2001:db8:0:0::7 f 2001:db9::1"
    values = ["10.20.0.0/16", "172.16.0.0/12", "2001:db8::/32"]
    assert found(values, text) == ["10.20.30.40", "172.16.5.9", "2001:db8:0:0::7"]


def test_nested_networks_all_reported() -> None:
    matcher = Matcher.build(
        [make_indicator("cidr", "10.0.0.0/8"), make_indicator("cidr", "10.1.0.0/16")], as_of=NOW
    )
    assert sorted(m.indicator.value for m in matcher.match_text("hit 10.1.2.3")) == [
        "10.0.0.0/8",
        "10.1.0.0/16",
    ]


def test_user_agent_is_case_sensitive() -> None:
    matcher = Matcher.build([make_indicator("user-agent", "EvilBot/1.0")], as_of=NOW)
    assert [m.text for m in matcher.match_text('"evilbot/1.0" "EvilBot/1.0"')] == ["EvilBot/1.0"]


def test_defanged_text_is_refanged_when_asked() -> None:
    assert found(["evil.com"], "see hxxp://evil[.]com/x", defanged=True) == ["evil.com"]
    assert found(["evil.com"], "see hxxp://evil[.]com/x") == []


def test_defanged_indicator_values_are_accepted() -> None:
    indicator = make_indicator(None, "hxxps://evil[.]com/a")
    assert (indicator.type, indicator.value) == (IndicatorType.URL, "https://evil.com/a")


def test_japanese_text_spans_are_characters() -> None:
    text = "攻撃元は evil.com です"
    matches = Matcher.build([make_indicator(None, "evil.com")], as_of=NOW).match_text(text)
    assert [(m.start, m.end, text[m.start : m.end]) for m in matches] == [(5, 13, "evil.com")]


def test_false_positive_and_expired_indicators_are_skipped() -> None:
    indicators = [
        Indicator(IndicatorType.DOMAIN, "fp.example.com", false_positive=True),
        Indicator(IndicatorType.DOMAIN, "old.example.com", expires_at=NOW - timedelta(days=1)),
        Indicator(IndicatorType.DOMAIN, "live.example.com", expires_at=NOW + timedelta(days=1)),
    ]
    matcher = Matcher.build(indicators, as_of=NOW)
    text = "fp.example.com old.example.com live.example.com"
    assert [m.text for m in matcher.match_text(text)] == ["live.example.com"]
    assert (matcher.skipped_false_positive, matcher.skipped_expired) == (1, 1)
    later = Matcher.build(indicators, as_of=NOW + timedelta(days=2))
    assert later.match_text(text) == []


def test_match_observables_by_compatible_type() -> None:
    matcher = Matcher.build(
        [make_indicator(None, "evil.com"), make_indicator(None, "10.0.0.0/8")], as_of=NOW
    )
    observables = [
        Observable("ioc:url", "http://cdn.evil.com/a"),
        Observable("ioc:ipv4", "10.9.8.7"),
        Observable("ioc:user-agent", "curl evil.com"),
    ]
    matches = matcher.match_observables(observables)
    assert [(m.observable.type if m.observable else None, m.indicator.value) for m in matches] == [
        ("ioc:url", "evil.com"),
        ("ioc:ipv4", "10.0.0.0/8"),
    ]


def test_scan_file_finds_matches_across_chunk_borders_once(tmp_path: Path) -> None:
    indicators = [
        make_indicator(None, v)
        for v in [
            "evil.com",
            "203.0.113.0/24",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ]
    ]
    line = (
        "filler " * 5
    ) + "evil.com 203.0.113.77 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
    path = tmp_path / "big.log"
    path.write_text(line * 200)
    matcher = Matcher.build(indicators, as_of=NOW)
    whole = [(m.start, m.line, m.indicator.value) for m in matcher.scan_file(path)]
    assert len(whole) == 600
    assert whole[-1][1] == 200
    for chunk in (7, 50, 113, 4096):
        assert [
            (m.start, m.line, m.indicator.value) for m in matcher.scan_file(path, chunk=chunk)
        ] == whole


def test_scan_file_reads_gzip_and_utf16(tmp_path: Path) -> None:
    matcher = Matcher.build([make_indicator(None, "evil.com")], as_of=NOW)
    gz = tmp_path / "a.log.gz"
    gz.write_bytes(gzip.compress(b"one\ntwo evil.com\n"))
    utf16 = tmp_path / "export.csv"
    utf16.write_bytes("ホスト,接続先\nPC01,evil.com\n".encode("utf-16"))
    sjis = tmp_path / "sjis.log"
    sjis.write_bytes("不審な通信 evil.com を検知\n".encode("cp932"))
    notes: list[str] = []
    results = {
        p.name: [(m.line, m.text) for m in matcher.scan_file(p, on_warning=notes.append)]
        for p in (gz, utf16, sjis)
    }
    assert results == {
        "a.log.gz": [(2, "evil.com")],
        "export.csv": [(2, "evil.com")],
        "sjis.log": [(1, "evil.com")],
    }
    assert any("utf-16" in note for note in notes)


def test_confidence_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="confidence"):
        Indicator(IndicatorType.DOMAIN, "a.com", confidence=101)


def test_observable_type_mapping() -> None:
    assert IndicatorType.from_observable_type("ioc:btc") is IndicatorType.WALLET
    assert IndicatorType.from_observable_type("ioc:sha256") is IndicatorType.SHA256
    assert IndicatorType.from_observable_type("windows:evtx:logon") is None
    assert IndicatorType.IPV4.observable_type() == "ioc:ipv4"
