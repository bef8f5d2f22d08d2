"""Disk images and triage collections, read with dissect.target (see ``image``, ``triage``).

Both analyzers open their input read-only, detect the operating system and run the
artefact families of :mod:`families` (persistence, execution evidence, logs, $MFT,
$UsnJrnl, a file-system walk with YARA and known-bad hashes), streaming their results
into findings, observables, sections and a super-timeline.
"""

from madoguchi.analyzers.disk.image import EXAMPLES, DiskImageAnalyzer
from madoguchi.analyzers.disk.triage import TriageCollectionAnalyzer

__all__ = ["EXAMPLES", "DiskImageAnalyzer", "TriageCollectionAnalyzer"]
