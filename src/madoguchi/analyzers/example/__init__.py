"""A living example analyzer: copy this package to start a new one.

It reads plain-text files, reports every line carrying the marker
``MADOGUCHI-EXAMPLE-MARKER`` as an informational finding and every URL as an
observable. See docs/how-to-write-an-analyzer.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import AnalysisContext, BaseAnalyzer, EvidenceFile
from madoguchi.domain.findings import AnalyzerOutput, Finding, Observable, Severity

MARKER = "MADOGUCHI-EXAMPLE-MARKER"
_URL = re.compile(r"https?://[^\s\"'<>]+")

#: Files the conformance test runs this analyzer on.
EXAMPLES = (Path(__file__).parent / "examples" / "marker-note.txt",)


class ExampleAnalyzer(BaseAnalyzer):
    name: ClassVar[str] = "example"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset({kinds.TEXT})

    def sniff(self, evidence: EvidenceFile) -> bool:
        return evidence.kind in self.accepts and MARKER.encode() in evidence.head

    def analyze(self, evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[AnalyzerOutput]:
        with evidence.open() as handle:
            for number, raw in enumerate(handle, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    ctx.skipped("line is not UTF-8", path=evidence.path, line=number)
                    continue
                ctx.count_events()
                if MARKER in line:
                    yield Finding(
                        analyzer=self.name,
                        rule_id="example-marker",
                        title="Example marker",
                        severity=Severity.INFORMATIONAL,
                        description="The line carries the example marker.",
                        evidence=evidence.ref(line=number),
                    )
                for url in _URL.findall(line):
                    yield Observable("ioc:url", url, "URL in text", evidence.ref(line=number))
