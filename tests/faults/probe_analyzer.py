"""A test-only analyzer that holds a job open until the test lets it finish.

The worker-kill test installs it into worker subprocesses through the
``madoguchi.analyzers`` entry point (a ``.dist-info`` on ``PYTHONPATH``), so the real
``madoguchi worker`` command runs it like any third-party analyzer. It reads
``MADOGUCHI_FAULT_PROBE_DIR``: on start it writes ``started-<pid>-<n>`` there, then waits
until a ``release`` file appears (at most a minute) before yielding its results.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import AnalysisContext, BaseAnalyzer, EvidenceFile
from madoguchi.domain.findings import AnalyzerOutput, Finding, Observable, Severity

PROBE_DIR = "MADOGUCHI_FAULT_PROBE_DIR"
C2_ADDRESS = "198.51.100.23"
ENTRY_POINT = "tests.faults.probe_analyzer:ProbeAnalyzer"


class ProbeAnalyzer(BaseAnalyzer):
    name: ClassVar[str] = "fault-probe"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset({kinds.TEXT})

    def analyze(self, evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[AnalyzerOutput]:
        directory = Path(os.environ.get(PROBE_DIR, "."))
        (directory / f"started-{os.getpid()}-{uuid.uuid4().hex[:8]}").touch()
        deadline = time.monotonic() + 60
        while not (directory / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        ctx.count_events()
        yield Finding(
            analyzer=self.name,
            rule_id="fault-probe",
            title="Fault probe",
            severity=Severity.INFORMATIONAL,
            description="The probe ran to the end.",
            evidence=evidence.ref(line=1),
        )
        yield Observable("ioc:ipv4", C2_ADDRESS, "probe address", evidence.ref(line=1))


def install(site: Path) -> Path:
    """A ``.dist-info`` in ``site`` that registers the probe; put ``site`` on PYTHONPATH."""
    info = site / "madoguchi_fault_probe-1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: madoguchi-fault-probe\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[madoguchi.analyzers]\nfault-probe = {ENTRY_POINT}\n", encoding="utf-8"
    )
    return site
