"""Fuzz ransom-note text extraction (plain text, HTML, RTF, PDF) from raw bytes."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from madoguchi.analyzers.ransomware.notetext import extract_note_text

NAMES = ("", "note.txt", "note.html", "note.hta", "note.rtf", "note.pdf")


def one_input(data: bytes) -> None:
    name = NAMES[data[0] % len(NAMES)] if data else ""
    note = extract_note_text(data[1:], name)
    assert isinstance(note.all_text, str)


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
