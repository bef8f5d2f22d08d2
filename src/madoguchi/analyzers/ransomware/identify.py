"""Ranking ransomware families from whatever clues a victim has.

``identify_clues(clues, kb)`` is pure: it scores every family of the knowledge base
against the note text, the note's file name, encrypted file names, the first/last
bytes of an encrypted file and free text (contact addresses), and returns ranked
candidates, each with the signals that matched. It answers ``unknown`` when the
evidence is weak: one generic signal (a ``readme.txt``, a ``.locked`` suffix, a Tox
id) never names a family. Families built with leaked builders carry a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from madoguchi.domain.findings import EvidenceRef, Observable
from madoguchi.intel.extract import CONTACT_TYPES, FILE_EXTENSIONS, extract_observables
from madoguchi.knowledge.ransomware_kb import STRENGTHS, Family, RansomwareKB, default_kb

#: A family needs at least this score to be named.
VERDICT_THRESHOLD = 4.0
#: A note name or extension listed by this many families says nothing about which one.
GENERIC_SPREAD = 4
UNKNOWN = "unknown"

_PHOBOS_NAME = re.compile(r"\.id\[([0-9a-f]{8})-\d{4}\]\.\[([^\]]+)\]\.([^.\\/]+)$", re.IGNORECASE)
_VICTIM_ID = re.compile(
    r"(?:\b(?:personal|victim|your|decryption|unique|client|company|private)"
    r"(?:[\s_-]+[a-z]+){0,2}?[\s_-]*|^[ \t>*#-]*)"
    r"(?:id|key|code|identifier|number)\b\s*(?:is\b)?\s*[:：=\-]?\s*([A-Za-z0-9+/=_-]{12,2048})",
    re.IGNORECASE | re.MULTILINE,
)
_ID_BLOCK = re.compile(
    r"-{3,}\s*BEGIN [A-Z ]{0,30}(?:ID|IDENTIFIER|KEY)\s*-{3,}"
    r"\s*([A-Za-z0-9+/=\s]{16,4096}?)\s*-{3,}",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Clues:
    """Everything a victim can give the desk about one incident."""

    note_text: str | None = None
    note_name: str | None = None
    file_names: tuple[str, ...] = ()
    sample_head: bytes | None = None
    sample_tail: bytes | None = None
    free_text: str | None = None


@dataclass(frozen=True)
class Candidate:
    family: Family
    score: float
    reasons: tuple[str, ...]
    copycat_warning: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "family": self.family.id,
            "name": self.family.name,
            "aliases": list(self.family.aliases),
            "score": round(self.score, 2),
            "reasons": list(self.reasons),
            "copycat_warning": self.copycat_warning,
        }


@dataclass(frozen=True)
class Identification:
    verdict: str
    confidence: str
    candidates: tuple[Candidate, ...]
    observables: tuple[Observable, ...] = ()
    victim_id: str | None = None
    explanation: tuple[str, ...] = ()

    @property
    def top(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def family(self) -> Family | None:
        top = self.top
        return top.family if top is not None and self.verdict == top.family.id else None

    def decryptor(self) -> dict[str, Any]:
        family = self.family
        if family is None:
            return {
                "available": "unknown",
                "advice": "Keep the note and several encrypted files; check No More Ransom.",
                "tools": [{"name": "No More Ransom", "url": "https://www.nomoreransom.org/"}],
            }
        return dict(family.decryptor)

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "confidence": self.confidence,
            "candidates": [c.as_dict() for c in self.candidates],
            "victim_id": self.victim_id,
            "explanation": list(self.explanation),
            "decryptor": self.decryptor(),
        }


@dataclass
class _Score:
    points: float = 0.0
    reasons: list[str] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)

    def add(self, kind: str, points: float, reason: str) -> None:
        self.points += points
        self.kinds.add(kind)
        self.reasons.append(f"{reason} (+{points:g})")


def base_name(path: str) -> str:
    """The last path component, for both Windows and POSIX paths."""
    return PureWindowsPath(PurePosixPath(path.strip()).name).name


def _spread(kb: RansomwareKB) -> tuple[dict[str, int], dict[str, int]]:
    """How many families list each literal extension and each exact note name."""
    extensions: dict[str, int] = {}
    notes: dict[str, int] = {}
    for family in kb:
        for rule in family.extensions:
            if rule.kind == "literal":
                key = rule.value.lower()
                extensions[key] = extensions.get(key, 0) + 1
        for note in family.note_names:
            if note.kind == "exact":
                key = note.value.lower()
                notes[key] = notes.get(key, 0) + 1
    return extensions, notes


def _strength(declared: str, spread: int) -> float:
    return STRENGTHS["weak"] if spread >= GENERIC_SPREAD else STRENGTHS[declared]


def _looks_encrypted_name(name: str) -> bool:
    """``report.docx.Xk3j9aQ2b``: an original extension followed by one more suffix."""
    parts = name.rsplit(".", 2)
    return len(parts) == 3 and parts[1].lower() in FILE_EXTENSIONS


def _score_names(
    family: Family,
    score: _Score,
    note_names: list[str],
    note_spread: Mapping[str, int],
) -> None:
    for note in family.note_names:
        hit = next((name for name in note_names if note.matches(name)), None)
        if hit is not None:
            points = _strength(
                note.strength, note_spread.get(hit.lower(), 1) if note.kind == "exact" else 1
            )
            score.add("note-name", points, f"ransom-note name {hit!r} matches {note.value!r}")
            break


def _score_extensions(
    family: Family, score: _Score, file_names: list[str], ext_spread: Mapping[str, int]
) -> None:
    for rule in family.extensions:
        if rule.pattern is None:
            continue
        hits = [name for name in file_names if rule.pattern.search(name)]
        if rule.kind == "random":
            hits = [name for name in hits if _looks_encrypted_name(name)]
        if not hits:
            continue
        if rule.kind == "literal":
            points = _strength(rule.strength, ext_spread.get(rule.value.lower(), 1))
            label = f"encrypted file name ends with {rule.value!r}"
        elif rule.kind == "random":
            points = STRENGTHS[rule.strength]
            shape = rule.description or rule.value
            label = f"random per-victim extension of the family's shape ({shape})"
        elif rule.kind == "phobos":
            points = STRENGTHS[rule.strength]
            label = f"Phobos-style name .id[…].[mail].{rule.value}"
        else:
            points = STRENGTHS[rule.strength]
            label = f"file name pattern {rule.description or rule.value}"
        score.add("extension", points, f"{label}: {hits[0]!r}")
        return


def _score_text(family: Family, score: _Score, text: str) -> None:
    lower = text.lower()
    for marker in family.note_markers:
        if marker.matches(lower, text):
            score.add("content", marker.weight, marker.label)


def _score_contacts(family: Family, score: _Score, observables: Iterable[Observable]) -> None:
    contacts = family.contacts
    kinds = {o.type for o in observables}
    for observable in observables:
        if observable.type == "ioc:onion" and any(
            observable.value.startswith(prefix) for prefix in contacts.onion_prefixes
        ):
            score.add("contact", 5.0, f"onion address {observable.value} is known for the family")
        if observable.type == "ioc:email":
            domain = observable.value.rsplit("@", 1)[-1]
            if domain in contacts.email_domains:
                score.add("contact", 1.0, f"contact e-mail at {domain}, as the family uses")
    if not score.kinds:
        return  # a bare Tox id or onion says nothing about which family
    for kind, used, label in (
        ("ioc:tox", contacts.tox, "Tox id"),
        ("ioc:session", contacts.session, "Session id"),
        ("ioc:onion", contacts.tor, "Tor onion portal"),
    ):
        if used and kind in kinds:
            score.add("contact-shape", 0.5, f"note gives a {label}, as the family's notes do")


def _score_sample(family: Family, score: _Score, head: bytes | None, tail: bytes | None) -> None:
    for marker in family.file_markers:
        window = (head or b"")[:4096] if marker.where == "head" else (tail or b"")[-4096:]
        if window and marker.data in window:
            score.add(
                "file-marker",
                5.0,
                f"encrypted file {marker.where} carries {marker.label or marker.data!r}",
            )


def _copycat_warning(family: Family, kb: RansomwareKB) -> str | None:
    if family.built_with:
        base = kb.get(family.built_with)
        if base is not None and base.builder_leak:
            return (
                f"built with the leaked {base.builder_leak['what']}; shares the look of "
                f"{base.name} but is a different operation"
            )
    if family.builder_leak:
        when = family.builder_leak.get("when")
        leaked = f" (leaked {when})" if when else ""
        return (
            f"built with the leaked {family.builder_leak['what']}{leaked}; "
            f"may not be the {family.name} group"
        )
    return None


def find_victim_id(text: str, file_names: Iterable[str] = ()) -> str | None:
    """The victim/personal id a note or a Phobos-style file name carries."""
    for name in file_names:
        match = _PHOBOS_NAME.search(name)
        if match:
            return match.group(1).upper()
    for pattern in (_ID_BLOCK, _VICTIM_ID):
        for match in pattern.finditer(text):
            value = "".join(match.group(1).split())
            if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
                return value
    return None


def _names(clues: Clues) -> tuple[list[str], list[str]]:
    files = [base_name(name) for name in clues.file_names if name.strip()]
    notes = [base_name(clues.note_name)] if clues.note_name else []
    return files, notes + files


def clue_observables(clues: Clues) -> list[Observable]:
    """Contact and payment observables from the note and the free text."""
    result: list[Observable] = []
    seen: set[tuple[str, str]] = set()
    for label, text in (("ransom note", clues.note_text), ("free text", clues.free_text)):
        if not text:
            continue
        for observable in extract_observables(
            text,
            context=label,
            types=CONTACT_TYPES | {"ioc:url", "ioc:domain"},
            evidence=EvidenceRef(clues.note_name) if clues.note_name else None,
        ):
            if (observable.type, observable.value) not in seen:
                seen.add((observable.type, observable.value))
                result.append(observable)
    for name in clues.file_names:
        match = _PHOBOS_NAME.search(base_name(name))
        if match and ("ioc:email", match.group(2).lower()) not in seen:
            seen.add(("ioc:email", match.group(2).lower()))
            result.extend(
                extract_observables(
                    match.group(2), context="encrypted file name", types={"ioc:email"}
                )
            )
    return result


def contact_markers(clues: Clues) -> set[str]:
    """Normalised onion/Tox/Session/e-mail values, to link cases whose notes share them."""
    wanted = {"ioc:onion", "ioc:tox", "ioc:session", "ioc:email"}
    return {f"{o.type}:{o.value}" for o in clue_observables(clues) if o.type in wanted}


def identify_clues(clues: Clues, kb: RansomwareKB) -> Identification:
    """Rank the families of ``kb`` against ``clues``."""
    file_names, note_names = _names(clues)
    ext_spread, note_spread = _spread(kb)
    text = "\n".join(t for t in (clues.note_text, clues.free_text) if t)
    observables = clue_observables(clues)
    observed_exts = {name.rsplit(".", 1)[-1].lower() for name in file_names if "." in name}
    scored: list[tuple[Family, _Score]] = []
    for family in kb:
        score = _Score()
        _score_names(family, score, note_names, note_spread)
        _score_extensions(family, score, file_names, ext_spread)
        _score_text(family, score, text)
        _score_sample(family, score, clues.sample_head, clues.sample_tail)
        _score_contacts(family, score, observables)
        if (
            "note-name" in score.kinds
            and "extension" in score.kinds
            and any(
                ext and len(ext) >= 4 and ext in n.lower()
                for n in note_names
                for ext in observed_exts
                if not n.lower().endswith("." + ext)
            )
        ):
            score.add("link", 1.5, "the note's name carries the encrypted files' extension")
        if score.points > 0:
            scored.append((family, score))
    scored.sort(key=lambda item: (-item[1].points, -len(item[1].kinds), item[0].id))
    candidates = tuple(
        Candidate(family, score.points, tuple(score.reasons), _copycat_warning(family, kb))
        for family, score in scored[:8]
    )
    verdict, confidence, explanation = _verdict(scored)
    victim_id = find_victim_id(clues.note_text or "", file_names)
    return Identification(
        verdict, confidence, candidates, tuple(observables), victim_id, explanation
    )


def _verdict(scored: list[tuple[Family, _Score]]) -> tuple[str, str, tuple[str, ...]]:
    if not scored:
        return UNKNOWN, "none", ("no family signal matched",)
    family, best = scored[0]
    if best.points < VERDICT_THRESHOLD:
        return (
            UNKNOWN,
            "low",
            (
                f"evidence is weak: best candidate {family.name} scored {best.points:g} "
                f"(needs {VERDICT_THRESHOLD:g}); send the note text and an encrypted file",
            ),
        )
    if len(scored) > 1 and scored[1][1].points >= best.points:
        other = scored[1][0]
        return (
            UNKNOWN,
            "low",
            (f"ambiguous: {family.name} and {other.name} score the same ({best.points:g})",),
        )
    confidence = (
        "high"
        if best.points >= 8 and len(best.kinds) >= 2
        else ("medium" if best.points >= 5.5 else "low")
    )
    return family.id, confidence, ()


def identify(
    note_text: str | None = None,
    note_name: str | None = None,
    file_names: Iterable[str] = (),
    sample_head: bytes | None = None,
    sample_tail: bytes | None = None,
    free_text: str | None = None,
    kb: RansomwareKB | None = None,
) -> Identification:
    """What the web form calls: any combination of clues, the built-in KB by default."""
    clues = Clues(note_text, note_name, tuple(file_names), sample_head, sample_tail, free_text)
    return identify_clues(clues, kb if kb is not None else default_kb())


def listing_names(text: str) -> list[str]:
    """File names from a pasted ``dir`` / ``ls -l`` / plain one-per-line listing."""
    names: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.endswith((":", "<DIR>")) or " <DIR> " in line:
            continue
        # `dir` and `ls -l` put the name last, after date/size columns.
        columns = re.split(r"\s{2,}|\t", line)
        candidate = columns[-1]
        ls_match = re.match(
            r"^[-dlrwxsStT]{10}[.+@]?\s+\d+\s+\S+\s+\S+\s+\d+\s+\S+\s+\S+\s+\S+\s+(.+)$", line
        )
        if ls_match:
            candidate = ls_match.group(1)
        dir_match = re.match(
            r"^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AP]M)?\s+"
            r"(?:[\d,.]+|<DIR>)\s+(.+)$",
            line,
            re.IGNORECASE,
        )
        if dir_match:
            candidate = dir_match.group(1)
        candidate = candidate.split(" -> ", 1)[0].strip()
        if candidate:
            names.append(base_name(candidate))
    return names


def identify_listing(text: str, kb: RansomwareKB | None = None) -> Identification:
    """Identify from a pasted directory listing or a list of encrypted file names."""
    return identify(file_names=listing_names(text), kb=kb)
