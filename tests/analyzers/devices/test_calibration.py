"""False-positive check on benign vendor syslog samples (calibration data, not committed)."""

import os
from pathlib import Path

import pytest

from madoguchi.analyzers.devices.ivanti import IvantiAnalyzer
from madoguchi.analyzers.devices.panos import PanosAnalyzer

DATA = os.environ.get("MADOGUCHI_CALIBRATION_DATA")
pytestmark = pytest.mark.skipif(
    not DATA, reason="MADOGUCHI_CALIBRATION_DATA is not set (public calibration data folder)"
)


@pytest.mark.parametrize(
    ("folder", "analyzer"),
    [("panw_globalprotect", PanosAnalyzer), ("pulse_connect_secure", IvantiAnalyzer)],
)
def test_benign_vpn_logs_raise_no_findings(folder, analyzer, analyze) -> None:
    files = sorted((Path(str(DATA)) / "vpn-benign" / folder).glob("*.log"))
    assert files, f"no files under vpn-benign/{folder}"
    for path in files:
        out = analyze(analyzer(), path)
        assert out.accepted, path.name
        assert out.findings == [], [f.rule_id for f in out.findings]
        assert out.ctx.events > 0
