"""Triage collections: KAPE, CyLR, Velociraptor offline collector, UAC, drive copies.

The runner expands a collection's zip and walks its files; this analyzer recognises the
collection from its anchor file (see :mod:`layout`), opens the collection root with
dissect.target (read-only) and runs the same artefact families as for a disk image.
Event logs, auth logs and web logs are *not* handed off here: the runner already gives
every one of those files to its own analyzer. YARA over the collection runs only with
the setting ``disk_yara_in_triage`` (the malware analyzer already scans each binary).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import AnalysisContext, BaseAnalyzer, EvidenceFile
from madoguchi.analyzers.disk.families import families_for
from madoguchi.analyzers.disk.filescan import load_yara
from madoguchi.analyzers.disk.layout import find_collection, is_marker_name, root_display
from madoguchi.analyzers.disk.pipeline import run_families
from madoguchi.analyzers.disk.scope import Scope
from madoguchi.analyzers.disk.targets import ImageOpenError, open_target, os_name
from madoguchi.domain.findings import AnalyzerOutput, Section

_EXAMPLES = Path(__file__).parent / "examples" / "kape-triage"

#: The anchor file of a small KAPE-style collection made for the project.
EXAMPLES = (_EXAMPLES / "2025-03-03T101500_ConsoleLog.txt",)


class TriageCollectionAnalyzer(BaseAnalyzer):
    name: ClassVar[str] = "triage-collection"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset(
        {kinds.TEXT, kinds.BINARY, kinds.JSON, kinds.CSV, kinds.XML}
    )

    def prepare(self, ctx: AnalysisContext) -> None:
        if ctx.options.settings.get("disk_yara_in_triage"):
            load_yara(ctx)

    def sniff(self, evidence: EvidenceFile) -> bool:
        if evidence.kind not in self.accepts or not is_marker_name(evidence.local_path.name):
            return False
        collection = find_collection(evidence.local_path)
        return collection is not None and collection.anchor == evidence.local_path

    def analyze(self, evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[AnalyzerOutput]:
        collection = find_collection(evidence.local_path)
        if collection is None:
            ctx.warn("not a triage collection marker", path=evidence.path)
            return
        display = root_display(evidence.path, collection)
        collection_evidence = EvidenceFile(
            display, evidence.local_path, evidence.kind, evidence.size
        )
        try:
            target = open_target(collection.root, where=display)
        except ImageOpenError as error:
            ctx.warn(error.message.replace("image", "collection", 1), path=evidence.path)
            return
        system = os_name(target)
        yield Section(
            "disk_triage_collection",
            {
                "collection": display,
                "layout": collection.layout,
                "anchor": evidence.path,
                "os": system,
            },
        )
        host = None
        try:
            host = str(target.hostname) if target.hostname else None
        except Exception:
            host = None
        scope = Scope(self.name, collection_evidence, ctx, target, system, host=host, mode="triage")
        if system in ("unknown", "default"):
            ctx.warn(
                "no operating system recognised in the collection: only the file scan runs",
                path=evidence.path,
            )
        yield from run_families(scope, families_for(system, mode="triage"), version=self.version)
