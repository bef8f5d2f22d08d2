"""Logon analysis per account and host, and its SVG graph."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.analyzers.windows_evtx.evtx_helpers import (
    failed_logon,
    logon,
    run,
    security_event,
    write_jsonl,
)

from madoguchi.analyzers.windows_evtx.logon_graph import render_svg


def _section(tmp_path: Path, events: list[dict], **settings: object) -> dict:
    result = run(write_jsonl(tmp_path / "logons.jsonl", events), settings=dict(settings))
    (section,) = [s for s in result.sections if s.name == "logons"]
    json.dumps(section.data)  # must be JSON-serialisable
    return dict(section.data)


def test_logons_per_account_and_host(tmp_path: Path) -> None:
    events = [
        logon(1, "2024-04-12T00:00:00Z", "alice", "10.0.0.5"),
        logon(2, "2024-04-12T03:00:00Z", "alice", "10.0.0.5", logon_type=10),
        failed_logon(3, "2024-04-12T01:00:00Z", "alice", "198.51.100.9"),
        logon(4, "2024-04-12T02:00:00Z", "alice", "10.0.0.6", computer="DB01.example.local"),
        logon(5, "2024-04-12T02:00:00Z", "SYSTEM", "-"),
        logon(6, "2024-04-12T02:00:00Z", "FS01$", "10.0.0.7"),
    ]
    data = _section(tmp_path, events)
    rows = {(r["account"], r["host"]): r for r in data["logons"]}
    assert set(rows) == {
        ("EXAMPLE\\alice", "FS01.example.local"),
        ("EXAMPLE\\alice", "DB01.example.local"),
    }
    fs01 = rows[("EXAMPLE\\alice", "FS01.example.local")]
    assert fs01["success"] == 2 and fs01["failure"] == 1
    assert fs01["logon_types"] == {"Network": 2, "RemoteInteractive": 1}
    assert fs01["first_seen"] == "2024-04-12T00:00:00+00:00"
    assert fs01["last_seen"] == "2024-04-12T03:00:00+00:00"
    assert fs01["external"] is True
    external = [s for s in fs01["sources"] if s["external"]]
    assert external == [
        {
            "address": "198.51.100.9",
            "workstation": "KALI",
            "count": 1,
            "failures": 1,
            "external": True,
            "vpn_pool": False,
        }
    ]
    assert rows[("EXAMPLE\\alice", "DB01.example.local")]["external"] is False
    assert data["omitted_builtin"] == 2
    assert data["external_sources"] == ["198.51.100.9"]
    assert data["hosts"] == ["DB01.example.local", "FS01.example.local"]


def test_vpn_pool_flag(tmp_path: Path) -> None:
    data = _section(
        tmp_path,
        [logon(1, "2024-04-12T00:00:00Z", "bob", "10.8.0.23")],
        evtx_vpn_pools=["10.8.0.0/24"],
    )
    (row,) = data["logons"]
    assert row["vpn_pool"] is True and row["external"] is False
    result = run(
        write_jsonl(tmp_path / "vpn.jsonl", [logon(1, "2024-04-12T00:00:00Z", "bob", "10.8.0.23")]),
        settings={"evtx_vpn_pools": ["10.8.0.0/24"]},
    )
    (finding,) = [f for f in result.findings if f.rule_id == "madoguchi-evtx-vpn-pool-logon"]
    assert finding.account == "EXAMPLE\\bob" and finding.source_ip == "10.8.0.23"
    assert finding.details["ja"]["title"]
    plain = run(tmp_path / "vpn.jsonl")
    assert "madoguchi-evtx-vpn-pool-logon" not in plain.rule_ids()


def test_explicit_credentials_edge_runs_to_the_target(tmp_path: Path) -> None:
    event = security_event(
        4648,
        9,
        "2024-04-12T00:00:00Z",
        {
            "SubjectUserName": "bob",
            "SubjectDomainName": "EXAMPLE",
            "TargetUserName": "admin",
            "TargetDomainName": "EXAMPLE",
            "TargetServerName": "DC01",
            "IpAddress": "10.0.0.10",
            "ProcessName": "C:\\Windows\\System32\\cmd.exe",
        },
        computer="WS01",
    )
    data = _section(tmp_path, [event])
    (row,) = data["logons"]
    assert (row["account"], row["host"], row["explicit"]) == ("EXAMPLE\\admin", "DC01", 1)
    assert row["sources"][0]["workstation"] == "WS01" and row["sources"][0]["address"] is None


def test_svg_is_standalone_and_escaped(tmp_path: Path) -> None:
    hostile = '<script>alert("x")</script>&'
    data = _section(
        tmp_path,
        [
            logon(1, "2024-04-12T00:00:00Z", hostile, "198.51.100.1"),
            logon(2, "2024-04-12T00:00:01Z", "carol", "10.0.0.2", computer='DB"01'),
        ],
    )
    svg = render_svg(data)
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "<script" not in svg and "javascript:" not in svg.lower()
    assert "&lt;script&gt;" in svg and 'data-name="DB&quot;01"' in svg
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any(t and t.startswith("EXAMPLE\\<script>") for t in texts)
    assert svg == render_svg(data)  # deterministic
    red = [
        line
        for line in root.iter("{http://www.w3.org/2000/svg}line")
        if line.get("stroke") == "#d62728"
    ]
    assert len(red) == 1


def test_svg_of_empty_section() -> None:
    svg = render_svg({"logons": []})
    assert ET.fromstring(svg) is not None


def test_large_graph_is_capped() -> None:
    rows = [
        {
            "account": f"user{i}",
            "host": f"host{i % 7}",
            "success": i,
            "failure": 0,
            "explicit": 0,
            "logon_types": {"Network": i},
            "external": False,
        }
        for i in range(400)
    ]
    svg = render_svg({"logons": rows})
    root = ET.fromstring(svg)
    circles = list(root.iter("{http://www.w3.org/2000/svg}circle"))
    assert len(circles) <= 150
    assert "more account/host pairs not drawn" in svg
