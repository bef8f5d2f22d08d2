"""The analyzer on real EVTX files, its rule pack, correlations, options and outputs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from tests.analyzers.windows_evtx.evtx_helpers import (
    DATA,
    evidence,
    failed_logon,
    logon,
    run,
    security_event,
    write_jsonl,
)

from madoguchi.analyzers.base import AnalysisContext, RunOptions
from madoguchi.analyzers.windows_evtx import EXAMPLES, EvtxAnalyzer
from madoguchi.analyzers.windows_evtx.analyzer import RULES_DIR
from madoguchi.domain.findings import Severity

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("MADOGUCHI_REGENERATE_GOLDEN") == "1"


@pytest.mark.parametrize("name", ["vss-delete-wmic", "remote-service-smb", "wdigest-enabled"])
def test_golden_rule_ids_on_real_evtx(name: str) -> None:
    """The rules that fire on each real file (regenerate: MADOGUCHI_REGENERATE_GOLDEN=1)."""
    result = run(DATA / f"{name}.evtx")
    fired = sorted({(f.rule_id, f.title) for f in result.findings})
    golden = GOLDEN / f"{name}.json"
    if REGENERATE:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(
            json.dumps([list(x) for x in fired], indent=1, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
    expected = [tuple(x) for x in json.loads(golden.read_text(encoding="utf-8"))]
    assert fired == expected


def test_vss_delete_finding_fields() -> None:
    result = run(DATA / "vss-delete-wmic.evtx")
    (finding,) = [f for f in result.findings if f.title == "Shadow copies deleted with wmic"]
    assert finding.analyzer == "windows-evtx" and finding.severity is Severity.CRITICAL
    assert finding.attack == ("T1490",) and finding.host == "FS03.offsec.lan"
    assert finding.account == "OFFSEC\\admmig"
    assert finding.evidence is not None and finding.evidence.record_id == 1210381
    assert finding.timestamp is not None and finding.timestamp.tzinfo is not None
    assert finding.details["matched"]["CommandLine"] == "wmic  shadowcopy delete /nointeractive"
    assert finding.details["ja"]["title"] == "wmic によるシャドウ コピーの削除"
    timeline = [t for t in result.timeline if t.attributes["record_id"] == 1210381]
    assert timeline and "shadowcopy delete" in timeline[0].message
    assert timeline[0].source == "windows:evtx:security"


def test_every_example_produces_output() -> None:
    for path in EXAMPLES:
        analyzer = EvtxAnalyzer()
        assert analyzer.sniff(evidence(path)), path
        assert run(path).outputs, path


def test_rule_pack_metadata() -> None:
    files = sorted(RULES_DIR.rglob("*.yml"))
    detections = 0
    ids: set[str] = set()
    for file in files:
        for doc in yaml.safe_load_all(file.read_text(encoding="utf-8")):
            assert doc["author"] == "madoguchi", file
            assert doc["id"] not in ids, file
            ids.add(doc["id"])
            for key in (
                "title",
                "status",
                "description",
                "references",
                "date",
                "tags",
                "level",
                "falsepositives",
                "title_ja",
            ):
                assert doc.get(key), (file, key)
            assert all(r.startswith("https://") for r in doc["references"]), file
            assert any(t.startswith("attack.t") for t in doc["tags"]), file
            detections += "detection" in doc
    assert 100 <= detections <= 250
    ctx = AnalysisContext(analyzer="windows-evtx")
    EvtxAnalyzer().prepare(ctx)
    assert ctx.rules_not_loaded == []


def test_user_rule_dir_loaded_and_broken_rule_reported(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "own.yml").write_text(
        "title: Logon by the intern account\nid: 0b7d2a5e-8f40-4f6b-9c55-1a2b3c4d5e6f\n"
        "logsource: {product: windows, service: security}\n"
        "detection: {sel: {EventID: 4624, TargetUserName: intern}, condition: sel}\nlevel: low\n",
        encoding="utf-8",
    )
    (rules / "broken.yml").write_text("title: broken\ndetection: [\n", encoding="utf-8")
    path = write_jsonl(
        tmp_path / "e.jsonl", [logon(1, "2024-04-12T00:00:00Z", "intern", "10.0.0.1")]
    )
    result = run(path, rule_dirs=(rules,))
    assert "Logon by the intern account" in result.titles()
    assert [e.rule_file for e in result.ctx.rules_not_loaded if "broken" in e.rule_file]


def test_rules_loaded_once_per_run(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "e.jsonl", [logon(1, "2024-04-12T00:00:00Z", "a", "10.0.0.1")])
    analyzer = EvtxAnalyzer()
    ctx = AnalysisContext(analyzer=analyzer.name)
    analyzer.prepare(ctx)
    first = ctx._cache["windows-evtx:rules"]
    list(analyzer.analyze(evidence(path), ctx))
    list(analyzer.analyze(evidence(path), ctx))
    assert ctx._cache["windows-evtx:rules"] is first
    assert ctx.events == 2


def test_brute_force_and_spray_correlations(tmp_path: Path) -> None:
    events = [
        failed_logon(
            i, f"2024-04-12T00:{i // 60:02d}:{i % 60:02d}Z", f"user{i % 12}", "198.51.100.66"
        )
        for i in range(25)
    ]
    result = run(write_jsonl(tmp_path / "spray.jsonl", events))
    titles = result.titles()
    assert "Brute force: many failed logons from one address" in titles
    assert "Password spraying: many accounts tried from one address" in titles
    spray = next(f for f in result.findings if f.title.startswith("Password spraying"))
    assert spray.source_ip == "198.51.100.66" and spray.details["value_count"] >= 10
    assert spray.first_seen is not None and spray.last_seen is not None
    assert "Failed logon" not in titles  # the base rule only feeds the correlation


def test_few_failures_do_not_correlate(tmp_path: Path) -> None:
    events = [
        failed_logon(i, f"2024-04-12T00:00:{i:02d}Z", "bob", "198.51.100.66") for i in range(5)
    ]
    result = run(write_jsonl(tmp_path / "few.jsonl", events))
    assert not any("Brute force" in t or "spraying" in t for t in result.titles())


def test_time_window_limits_analysis(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    events = [
        security_event(
            1102,
            1,
            "2024-04-10T00:00:00Z",
            {"SubjectUserName": "x"},
            provider="Microsoft-Windows-Eventlog",
        ),
        security_event(
            1102,
            2,
            "2024-04-12T00:00:00Z",
            {"SubjectUserName": "y"},
            provider="Microsoft-Windows-Eventlog",
        ),
    ]
    path = write_jsonl(tmp_path / "w.jsonl", events)
    analyzer = EvtxAnalyzer()
    ctx = AnalysisContext(
        options=RunOptions(since=datetime(2024, 4, 11, tzinfo=UTC)), analyzer=analyzer.name
    )
    analyzer.prepare(ctx)
    result = run(path, ctx=ctx)
    assert [f.account for f in result.findings] == ["y"]


def test_observables_are_deduplicated_and_typed(tmp_path: Path) -> None:
    sysmon = security_event(
        1,
        3,
        "2024-04-12T00:00:02Z",
        {
            "Image": "C:\\Users\\Public\\rclone.exe",
            "CommandLine": "rclone.exe copy D:\\ mega:x",
            "Hashes": "SHA1=0123456789ABCDEF0123456789ABCDEF01234567,"
            "MD5=0123456789ABCDEF0123456789ABCDEF,"
            "SHA256=" + "ab" * 32 + ",IMPHASH=00000000000000000000000000000000",
            "ParentImage": "C:\\Windows\\System32\\cmd.exe",
            "User": "EXAMPLE\\bob",
        },
        channel="Microsoft-Windows-Sysmon/Operational",
        provider="Microsoft-Windows-Sysmon",
    )
    events = [
        logon(1, "2024-04-12T00:00:00Z", "bob", "2001:db8::5"),
        logon(2, "2024-04-12T00:00:01Z", "bob", "2001:db8::5"),
        sysmon,
    ]
    result = run(write_jsonl(tmp_path / "o.jsonl", events))
    kinds = sorted((o.type, o.value) for o in result.observables)
    assert ("ioc:ipv6", "2001:db8::5") in kinds and ("ioc:account", "EXAMPLE\\bob") in kinds
    assert ("ioc:sha256", "ab" * 32) in kinds and (
        "ioc:md5",
        "0123456789abcdef0123456789abcdef",
    ) in kinds
    assert not any(t == "ioc:imphash" for t, _ in kinds)  # all-zero hash is no indicator
    assert len(kinds) == len(set(kinds))
    assert "rclone used (cloud copy tool)" in result.titles()


def test_not_an_event_log_is_declined(tmp_path: Path) -> None:
    path = tmp_path / "notes.xml"
    path.write_text("<notes><note>hello</note></notes>", encoding="utf-8")
    analyzer = EvtxAnalyzer()
    assert not analyzer.sniff(evidence(path))
    result = run(path)
    assert result.outputs == [] and result.ctx.warnings


def test_long_brute_force_is_one_finding(tmp_path: Path) -> None:
    events = [
        failed_logon(
            i, f"2024-04-12T00:{i // 60:02d}:{i % 60:02d}Z", "administrator", "198.51.100.7"
        )
        for i in range(200)
    ]
    result = run(write_jsonl(tmp_path / "brute.jsonl", events))
    brute = [
        f for f in result.findings if f.title.startswith("Brute force: many failed logons from")
    ]
    assert len(brute) == 1
    (finding,) = brute
    assert finding.details["windows"] >= 5 and finding.details["count"] >= 100
    assert finding.first_seen is not None and finding.last_seen is not None
    assert (finding.last_seen - finding.first_seen).total_seconds() >= 150
    assert "held" in finding.description
