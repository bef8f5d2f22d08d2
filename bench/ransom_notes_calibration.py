"""Top-1 family accuracy of the ransom-note identifier on the calibration notes.

Input: ``$MADOGUCHI_CALIBRATION_DATA/ransom-notes`` (real third-party notes, never
copied into the repository) with ``labels.csv`` (path,family). Each note is read as
bytes and passed through the same text extraction and identification the analyzer
uses, with its real file name. A note counts as a hit when the verdict's id, name or
an alias equals the label (case and punctuation ignored). Results are printed, never
asserted. HTA/HTML notes contain script: they are only parsed as text here.

    MADOGUCHI_CALIBRATION_DATA=/path/to/data .venv/bin/python bench/ransom_notes_calibration.py
"""

from __future__ import annotations

import csv
import os
import re
import sys
from pathlib import Path

from madoguchi.analyzers.ransomware import Clues, identify_clues
from madoguchi.analyzers.ransomware.notetext import extract_note_text
from madoguchi.knowledge.ransomware_kb import default_kb


def fold(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def main() -> int:
    root = os.environ.get("MADOGUCHI_CALIBRATION_DATA")
    if not root:
        print("MADOGUCHI_CALIBRATION_DATA is not set: nothing to measure.")
        return 2
    folder = Path(root) / "ransom-notes"
    labels = folder / "labels.csv"
    if not labels.is_file():
        print(f"no labels.csv under {folder}")
        return 2
    kb = default_kb()
    rows = list(csv.DictReader(labels.open(encoding="utf-8")))
    hits = 0
    unknown = 0
    misses: list[str] = []
    for row in rows:
        path = folder / row["path"]
        label = row["family"]
        note = extract_note_text(path.read_bytes(), path.name)
        result = identify_clues(Clues(note_text=note.all_text, note_name=path.name), kb)
        family = result.family
        hit = family is not None and fold(label) in {fold(n) for n in family.names()}
        hits += hit
        unknown += result.verdict == "unknown"
        top = result.top
        top_text = f"{top.family.id} {top.score:.1f}" if top else "-"
        print(
            f"{'HIT ' if hit else 'MISS'} {label:15} verdict={result.verdict:15} "
            f"top={top_text:20} {row['path']}"
        )
        if not hit:
            reasons = "; ".join(top.reasons) if top else "no signal"
            misses.append(f"{label}: verdict {result.verdict} ({reasons})")
    total = len(rows)
    print(
        f"\ntop-1 accuracy: {hits}/{total} = {hits / total:.1%}; "
        f"answered unknown: {unknown}; wrong family: {total - hits - unknown}"
    )
    print("\nmisses:")
    for miss in misses:
        print(f"  {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
