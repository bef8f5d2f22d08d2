"""Ransom-note analyzer: which family wrote this note, and what contact markers it holds.

The analyzer reads text, HTML/HTA, RTF and PDF files whose name or content looks
like a ransom note, ranks the families of the knowledge base
(:mod:`madoguchi.knowledge.ransomware`) and reports a section with the ranked
candidates, one finding (``ransomware-note-<family>`` or ``ransomware-note-unknown``)
and the note's contact and payment observables. ``identify`` and
``identify_listing`` serve the web form and pasted directory listings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import AnalysisContext, BaseAnalyzer, EvidenceFile
from madoguchi.analyzers.ransomware.identify import (
    UNKNOWN,
    Candidate,
    Clues,
    Identification,
    base_name,
    contact_markers,
    identify,
    identify_clues,
    identify_listing,
)
from madoguchi.analyzers.ransomware.notetext import MAX_NOTE_BYTES, NoteText, extract_note_text
from madoguchi.analyzers.textio import decode_bytes
from madoguchi.domain.findings import (
    AnalyzerOutput,
    EvidenceRef,
    Finding,
    Observable,
    Section,
    Severity,
)
from madoguchi.knowledge.ransomware_kb import RansomwareKB, default_kb

__all__ = [
    "EXAMPLES",
    "Candidate",
    "Clues",
    "Identification",
    "RansomNoteAnalyzer",
    "contact_markers",
    "identify",
    "identify_clues",
    "identify_listing",
    "looks_like_note",
]

#: Files the conformance test runs this analyzer on.
EXAMPLES = (
    Path(__file__).parent / "examples" / "akira_readme.txt",
    Path(__file__).parent / "examples" / "unknown-note-utf16.txt",
)

_VOCABULARY = re.compile(
    r"encrypt|decrypt|ransom|暗号化|復号|復元|身代金|cifrad|verschl|chiffr", re.IGNORECASE
)
_CONTACT = re.compile(
    r"\.onion\b|\btox\b|[0-9a-f]{76}|bitcoin|\bbtc\b|monero|@[a-z0-9-]+\.[a-z]{2,}|tor browser"
    r"|personal (?:id|key)|your (?:files|data|network)|ファイル|連絡",
    re.IGNORECASE,
)
_NOTE_EXTENSIONS = (".txt", ".html", ".htm", ".hta", ".rtf", ".pdf", ".log", ".md", ".url")


def looks_like_note(text: str) -> bool:
    """Ransom vocabulary (English or Japanese) together with a contact or victim address."""
    return _VOCABULARY.search(text) is not None and _CONTACT.search(text) is not None


def _name_matches(kb: RansomwareKB, name: str, *, strong_only: bool) -> bool:
    for family in kb:
        for note in family.note_names:
            if note.matches(name) and (not strong_only or note.strength != "weak"):
                return True
    return False


class RansomNoteAnalyzer(BaseAnalyzer):
    name: ClassVar[str] = "ransomware"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset(
        {kinds.TEXT, kinds.HTML, kinds.XML, kinds.RTF, kinds.PDF, kinds.CSV}
    )

    def __init__(self, kb: RansomwareKB | None = None) -> None:
        self._kb = kb

    @property
    def kb(self) -> RansomwareKB:
        if self._kb is None:
            self._kb = default_kb()
        return self._kb

    def prepare(self, ctx: AnalysisContext) -> None:
        ctx.cached("ransomware-kb", lambda: self.kb)

    def sniff(self, evidence: EvidenceFile) -> bool:
        if evidence.kind not in self.accepts:
            return False
        name = base_name(evidence.path)
        if _name_matches(self.kb, name, strong_only=False):
            return True
        if evidence.kind == kinds.PDF:
            return False  # PDF text is compressed: only named PDFs are read
        text, _ = decode_bytes(evidence.head)
        return looks_like_note(text[:20000])

    def _read(self, evidence: EvidenceFile, ctx: AnalysisContext) -> NoteText | None:
        try:
            with evidence.open() as handle:
                data = handle.read(MAX_NOTE_BYTES + 1)
        except OSError as error:
            ctx.warn(f"cannot read the note: {error}", path=evidence.path)
            return None
        note = extract_note_text(data, base_name(evidence.path))
        for warning in note.warnings:
            ctx.warn(warning, path=evidence.path)
        return note

    def analyze(self, evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[AnalyzerOutput]:
        note = self._read(evidence, ctx)
        if note is None:
            return
        ctx.count_events()
        name = base_name(evidence.path)
        text = note.all_text
        named = _name_matches(self.kb, name, strong_only=True)
        if not named and not looks_like_note(text):
            return  # a generic readme.txt that is not a ransom note
        result = identify_clues(Clues(note_text=text, note_name=name), self.kb)
        ref = evidence.ref()
        yield Section(
            "ransomware",
            {
                "path": evidence.path,
                "format": note.format,
                "encoding": note.encoding,
                "candidates": [candidate.as_dict() for candidate in result.candidates],
                "verdict": result.verdict,
                "confidence": result.confidence,
                "explanation": list(result.explanation),
                "victim_id": result.victim_id,
                "decryptor": result.decryptor(),
                "contact_markers": sorted(contact_markers(Clues(note_text=text, note_name=name))),
            },
        )
        yield _finding(self.name, result, ref)
        for observable in result.observables:
            yield Observable(observable.type, observable.value, observable.context, ref)
        if result.victim_id:
            yield Observable(
                "ransomware:victim-id", result.victim_id, "victim id given in the ransom note", ref
            )


def _finding(analyzer: str, result: Identification, evidence: EvidenceRef) -> Finding:
    family = result.family
    top = result.top
    details: dict[str, object] = {
        "verdict": result.verdict,
        "confidence": result.confidence,
        "candidates": [c.as_dict() for c in result.candidates[:5]],
        "decryptor": result.decryptor(),
        "victim_id": result.victim_id,
    }
    if family is None or top is None:
        details["ja"] = {
            "title": "ランサムノートを検出（ファミリー不明）",
            "description": "ランサムノートと思われるファイルを検出しました。証拠が弱いため"
            "ファミリーは特定していません。ノート本文と暗号化ファイルを保全してください。",
        }
        return Finding(
            analyzer=analyzer,
            rule_id=f"ransomware-note-{UNKNOWN}",
            title="Ransom note found (family unknown)",
            severity=Severity.HIGH,
            description="A file that looks like a ransom note was found; the evidence is too "
            "weak to name a family. " + " ".join(result.explanation),
            attack=("T1486",),
            evidence=evidence,
            details=details,
        )
    reasons = "; ".join(top.reasons)
    warning = f" Warning: {top.copycat_warning}." if top.copycat_warning else ""
    details["copycat_warning"] = top.copycat_warning
    details["ja"] = {
        "title": f"ランサムノートを検出（{family.name}）",
        "description": f"ランサムノートから {family.name} と推定しました"
        f"（確度: {result.confidence}）。"
        + (
            "流出したビルダーで作成された可能性があり、同グループとは限りません。"
            if top.copycat_warning
            else ""
        )
        + "暗号化ファイルとノートを保全し、復号ツールの有無を確認してください。",
    }
    return Finding(
        analyzer=analyzer,
        rule_id=f"ransomware-note-{family.id}",
        title=f"Ransom note of {family.name}",
        severity=Severity.CRITICAL,
        description=f"The note matches {family.name} ({result.confidence} confidence): "
        f"{reasons}.{warning}",
        attack=("T1486",),
        evidence=evidence,
        details=details,
    )
