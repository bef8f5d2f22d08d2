"""Measure the device, ESXi and CloudTrail analyzers on the public calibration data.

Usage::

    MADOGUCHI_CALIBRATION_DATA=/path/to/data .venv/bin/python bench/device_calibration.py

Inputs (described in the data folder's README, never copied into the repository):

- ``vpn-benign/``  benign PAN-OS GlobalProtect and Pulse/Ivanti syslog lines. Every
  finding of severity low or higher counts as a false positive.
- ``esxi/esxi-log-examples.jsonl``  ESXi log lines, each labelled with the activity it
  shows. The dataset describes every activity as a pre-encryption intrusion step, so
  every activity is an expected alert; the log line of each entry is written to a
  temporary file (grouped by activity) and run through the ESXi analyzer. There are no
  negatives in this set, so it measures recall only.
- ``cloudtrail/rule-test-events.jsonl``  CloudTrail events from third-party detection
  rule tests, each with ``expected_result``. Each event is written to its own temporary
  file and analysed alone (a fresh run per event). Counts are printed for all events
  and for the rule topics madoguchi claims to cover (``IN_SCOPE``).

Results are printed, never asserted. Informational findings are context, not alerts.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from madoguchi.analyzers.base import AnalysisContext, EvidenceFile
from madoguchi.analyzers.kinds import detect_kind
from madoguchi.analyzers.registry import load_registry
from madoguchi.domain.findings import Finding, Severity

OURS = (
    "panos",
    "ivanti",
    "fortios",
    "netscaler",
    "sonicwall",
    "esxi",
    "aws_cloudtrail",
    "aws_s3_access",
    "weblogs",
    "linux_auth",
)
# Rule topics of the CloudTrail test set that madoguchi's CloudTrail rules are meant to
# cover (S3 ransomware and exposure, trail/GuardDuty/Config tampering, IAM persistence,
# root sign-in, key testing). Chosen from the rule names, before looking at results.
IN_SCOPE = (
    "AWS.S3.",
    "AWS.CloudTrail.Stopped",
    "AWS.CloudTrail.EventSelectorsDisabled",
    "AWS.GuardDuty",
    "AWS.ConfigService.DisabledDeleted",
    "AWS.KMS",
    "AWS.IAM.",
    "AWS.Console.RootLogin",
    "AWS.IAMUser.ReconAccessDenied",
)


def evidence_for(path: Path) -> EvidenceFile:
    head = path.read_bytes()[: 64 * 1024]
    return EvidenceFile(path.name, path, detect_kind(head), path.stat().st_size)


def alerts(name: str, path: Path) -> tuple[bool, list[Finding], list[str]]:
    """(sniff accepted, findings of severity >= low, warnings) for one analyzer on a file."""
    analyzer = load_registry(plugins=False, only=[name]).get(name)()
    evidence = evidence_for(path)
    ctx = AnalysisContext(analyzer=name)
    analyzer.prepare(ctx)
    accepted = analyzer.sniff(evidence)
    if not accepted:
        return False, [], []
    found = [
        o
        for o in analyzer.analyze(evidence, ctx)
        if isinstance(o, Finding) and o.severity.rank >= Severity.LOW.rank
    ]
    return True, found, [w.message for w in ctx.warnings]


def vpn_benign(root: Path) -> None:
    print("== vpn-benign (every finding is a false positive) ==")
    files = sorted(p for p in (root / "vpn-benign").rglob("*.log"))
    total_fp = 0
    for path in files:
        lines = sum(1 for _ in path.open(encoding="utf-8", errors="replace"))
        accepted_by = []
        for name in OURS:
            accepted, found, warnings = alerts(name, path)
            if not accepted:
                continue
            accepted_by.append(name)
            total_fp += len(found)
            for finding in found:
                line = finding.evidence.line if finding.evidence else None
                print(f"   FP {name}: {finding.rule_id} line {line}")
            if warnings:
                print(f"   {name}: {len(warnings)} warnings, first: {warnings[0]}")
        print(f"  {path.parent.name}/{path.name}: {lines} lines, read by {accepted_by or 'nobody'}")
    print(f"  expected alerts 0, got {total_fp} (false positives {total_fp})")


def esxi(root: Path) -> None:
    print("== esxi (every labelled activity is an intrusion step: recall only) ==")
    rows = [json.loads(x) for x in (root / "esxi" / "esxi-log-examples.jsonl").open()]
    by_activity: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_activity[row["activity"]].append(row["line"])
    hit_activities = 0
    misses: list[str] = []
    lines_hit = 0
    with tempfile.TemporaryDirectory() as tmp:
        for index, (activity, lines) in enumerate(by_activity.items()):
            path = Path(tmp) / f"activity-{index}.log"
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            accepted, found, _ = alerts("esxi", path)
            sampled = {n for f in found for n in f.details.get("sample_lines", [])}
            lines_hit += len(sampled)
            label = activity.replace("\n", " ")[:90]
            if found:
                hit_activities += 1
                rules = sorted({f.rule_id for f in found})
                print(f"   hit  {label} -> {', '.join(rules)}")
            else:
                reason = "" if accepted else " (file not recognised by sniff)"
                misses.append(f"{label}{reason}")
    print(
        f"  activities: expected alerts {len(by_activity)}, got {hit_activities}, "
        f"missed {len(by_activity) - hit_activities}"
    )
    print(f"  lines: {len(rows)} labelled, {lines_hit} cited as finding evidence")
    for miss in misses:
        print(f"   MISS {miss}")


def _count(rows: Iterable[tuple[bool, bool]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for expected, got in rows:
        key = ("T" if expected == got else "F") + ("P" if got else "N")
        counts[key] += 1
    return counts


def cloudtrail(root: Path) -> None:
    print("== cloudtrail (each event analysed alone) ==")
    rows = [json.loads(x) for x in (root / "cloudtrail" / "rule-test-events.jsonl").open()]
    results: list[tuple[dict[str, object], bool, list[str]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for index, row in enumerate(rows):
            path = Path(tmp) / f"event-{index}.json"
            path.write_text(json.dumps(row["event"]), encoding="utf-8")
            _, found, _ = alerts("aws_cloudtrail", path)
            results.append((row, bool(found), sorted({f.rule_id for f in found})))
    for title, subset in (
        ("all events", results),
        ("in-scope rule topics", [r for r in results if str(r[0]["rule_id"]).startswith(IN_SCOPE)]),
    ):
        counts = _count((bool(r[0]["expected_result"]), r[1]) for r in subset)
        expected = sum(1 for r in subset if r[0]["expected_result"])
        got = sum(1 for r in subset if r[1])
        print(
            f"  {title}: {len(subset)} events, expected alerts {expected}, got {got}; "
            f"TP {counts['TP']} FP {counts['FP']} FN {counts['FN']} TN {counts['TN']}"
        )
    print("  false positives:")
    for row, got, rules in results:
        if got and not row["expected_result"]:
            print(f"   FP {row['rule_id']} / {row['test_name']} -> {', '.join(rules)}")
    print("  misses (in scope):")
    for row, got, _ in results:
        if row["expected_result"] and not got and str(row["rule_id"]).startswith(IN_SCOPE):
            name = row["event"].get("eventName") if isinstance(row["event"], dict) else None
            print(f"   FN {row['rule_id']} / {row['test_name']} ({name})")
    missed_out = Counter(
        str(r[0]["rule_id"])
        for r in results
        if r[0]["expected_result"] and not r[1] and not str(r[0]["rule_id"]).startswith(IN_SCOPE)
    )
    print(
        f"  misses outside scope: {sum(missed_out.values())} events over "
        f"{len(missed_out)} rules (e.g. {', '.join(sorted(missed_out)[:6])})"
    )


def main() -> int:
    location = os.environ.get("MADOGUCHI_CALIBRATION_DATA")
    if not location:
        print(
            "MADOGUCHI_CALIBRATION_DATA is not set: point it at the calibration data "
            "folder (the one holding vpn-benign/, esxi/ and cloudtrail/)."
        )
        return 2
    root = Path(location)
    for folder in ("vpn-benign", "esxi", "cloudtrail"):
        if not (root / folder).is_dir():
            print(f"{root / folder} is missing")
            return 2
    vpn_benign(root)
    esxi(root)
    cloudtrail(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
