"""Findings as CSV, one row a finding, for spreadsheets and ticket systems."""

from __future__ import annotations

import csv
import io

from madoguchi.analysis.render.cells import cell
from madoguchi.analysis.result import FindingRecord, ResultDocument

FINDING_COLUMNS = (
    "timestamp",
    "severity",
    "analyzer",
    "rule_id",
    "title",
    "host",
    "account",
    "source_ip",
    "attack",
    "cve",
    "stage",
    "path",
    "record_id",
    "line",
    "first_seen",
    "last_seen",
    "description",
    "details",
)


def finding_row(finding: FindingRecord) -> list[str]:
    evidence = finding.evidence
    values = {
        "timestamp": finding.timestamp,
        "severity": finding.severity,
        "analyzer": finding.analyzer,
        "rule_id": finding.rule_id,
        "title": finding.title,
        "host": finding.host,
        "account": finding.account,
        "source_ip": finding.source_ip,
        "attack": list(finding.attack),
        "cve": list(finding.cve),
        "stage": finding.stage,
        "path": evidence.path if evidence else None,
        "record_id": evidence.record_id if evidence else None,
        "line": evidence.line if evidence else None,
        "first_seen": finding.first_seen,
        "last_seen": finding.last_seen,
        "description": finding.description,
        "details": dict(finding.details) if finding.details else None,
    }
    return [cell(values[name]) for name in FINDING_COLUMNS]


def render_findings_csv(doc: ResultDocument) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(FINDING_COLUMNS)
    for finding in doc.findings:
        writer.writerow(finding_row(finding))
    # A BOM so Excel (including Japanese Excel) opens UTF-8 correctly.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
