"""The knowledge base and the identifier agree: strong markers name, generic ones do not."""

from __future__ import annotations

import pytest

from madoguchi.analyzers.ransomware import identify
from madoguchi.knowledge.ransomware_kb import default_kb

# The shared facts list these as strong single indicators.
STRONG = [
    ("akira_readme.txt", [], "akira"),
    ("cAcTuS.readme.txt", [], "cactus"),
    ("README.BlackSuit.txt", [], "blacksuit"),
    ("!!!READ_ME_MEDUSA!!!.txt", [], "medusa"),
    ("CriticalBreachDetected.pdf", [], "rhysida"),
    ("money_message.log", [], "moneymessage"),
    ("readme_safepay.txt", [], "safepay"),
    ("R3ADM3.txt", ["plan.docx.ENCRT"], "gunra"),
    (None, ["a.pdf.id[00AA11BB-1024].[help@onionmail.org].faust"], "faust"),
]


@pytest.mark.parametrize(("note", "files", "family"), STRONG)
def test_strong_single_indicators(note: str | None, files: list[str], family: str) -> None:
    assert identify(note_name=note, file_names=files).verdict == family


@pytest.mark.parametrize(
    "name",
    [
        "readme.txt",
        "README.txt",
        "ReadMe.txt",
        "info.hta",
        "How To Restore Your Files.txt",
        "README.TXT",
        "Read_Me.txt",
        "_readme.txt.bak",
    ],
)
def test_generic_note_names_alone_stay_unknown(name: str) -> None:
    assert identify(note_name=name).verdict == "unknown"


@pytest.mark.parametrize("files", [["a.docx.locked"], ["b.xlsx.crypt"], ["c.pdf.encrypted"]])
def test_generic_extensions_alone_stay_unknown(files: list[str]) -> None:
    assert identify(file_names=files).verdict == "unknown"


def test_every_unique_strong_note_name_names_its_family() -> None:
    kb = default_kb()
    owners: dict[str, set[str]] = {}
    for family in kb:
        for note in family.note_names:
            if note.kind == "exact":
                owners.setdefault(note.value.lower(), set()).add(family.id)
    wrong = []
    for family in kb:
        for note in family.note_names:
            if note.kind != "exact" or note.strength != "strong":
                continue
            if owners[note.value.lower()] != {family.id}:
                continue
            verdict = identify(note_name=note.value, kb=kb).verdict
            if verdict != family.id:
                wrong.append((note.value, family.id, verdict))
    assert wrong == []
