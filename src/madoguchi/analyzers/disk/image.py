"""Disk images: raw/dd, E01, VMDK (ESXi flat and sparse too), VHD, VHDX, VDI and QCOW2.

The image is opened read-only with dissect.target, its operating system detected, and
the artefact families for that OS run one by one (see :mod:`families`): persistence and
execution evidence, the event and system logs handed to their analyzers, the $MFT,
$UsnJrnl and a walk of the file system. Every family yields as it reads; a family that
fails becomes a warning and the others go on.

Run settings (``ctx.options.settings``): ``progress`` (callable ``(done, total, label)``),
``checkpoint_dir`` (folder for stop/resume), ``known_bad_hashes`` (MD5/SHA-1/SHA-256
strings), ``disk_timeline_limit``, ``disk_mft_timeline`` (``"all"``), ``disk_scan_scope``
(``"all"``), ``disk_scan_max_bytes``, ``disk_scan_max_files``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import AnalysisContext, BaseAnalyzer, EvidenceFile
from madoguchi.analyzers.disk.families import families_for
from madoguchi.analyzers.disk.filescan import load_yara
from madoguchi.analyzers.disk.handoff import prepare_handoffs
from madoguchi.analyzers.disk.pipeline import run_families
from madoguchi.analyzers.disk.scope import Scope
from madoguchi.analyzers.disk.targets import ImageOpenError, open_target, os_name
from madoguchi.domain.findings import AnalyzerOutput

_EXAMPLES = Path(__file__).parent / "examples"

#: Files the conformance test runs this analyzer on (made for the project; see
#: examples/README.md).
EXAMPLES = (_EXAMPLES / "linux-host.qcow2",)

_EWF_MAGIC = b"EVF\x09\x0d\x0a\xff\x00"


def is_later_segment(head: bytes) -> bool:
    """True for E02, E03… (dissect reads them through the first segment)."""
    if head.startswith(_EWF_MAGIC) and len(head) >= 11:
        segment: int = struct.unpack_from("<H", head, 9)[0]
        return segment > 1
    return False


class DiskImageAnalyzer(BaseAnalyzer):
    name: ClassVar[str] = "disk-image"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset({kinds.DISK_IMAGE})
    reads_rule_dirs: ClassVar[bool] = True

    def prepare(self, ctx: AnalysisContext) -> None:
        prepare_handoffs(ctx)
        load_yara(ctx)

    def sniff(self, evidence: EvidenceFile) -> bool:
        if evidence.kind not in self.accepts:
            return False
        return not is_later_segment(evidence.head)

    def analyze(self, evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[AnalyzerOutput]:
        try:
            target = open_target(evidence.local_path, where=evidence.path)
        except ImageOpenError as error:
            ctx.warn(error.message, path=evidence.path)
            return
        system = os_name(target)
        scope = Scope(self.name, evidence, ctx, target, system, host=_hostname(target))
        if system in ("unknown", "default"):
            ctx.warn(
                "no operating system recognised in the image: only the file-system scan runs",
                path=evidence.path,
            )
        yield from run_families(scope, families_for(system, mode="image"), version=self.version)


def _hostname(target: object) -> str | None:
    try:
        value = getattr(target, "hostname", None)
    except Exception:
        return None
    return str(value) if value else None
