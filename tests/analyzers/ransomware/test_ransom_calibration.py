"""The identifier on the real calibration notes (skipped when the data is not given).

It asserts only what must hold for any honest identifier: every note is read without
crashing, and a wrong family is rarer than a right one. Accuracy itself is measured
and printed by bench/ransom_notes_calibration.py, never asserted here.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from madoguchi.analyzers.ransomware import Clues, identify_clues
from madoguchi.analyzers.ransomware.notetext import extract_note_text
from madoguchi.knowledge.ransomware_kb import default_kb


def test_calibration_notes_are_read_and_wrong_verdicts_are_rare() -> None:
    root = os.environ.get("MADOGUCHI_CALIBRATION_DATA")
    if not root:
        pytest.skip("MADOGUCHI_CALIBRATION_DATA is not set; the ransom-note sample is needed")
    folder = Path(root) / "ransom-notes"
    kb = default_kb()
    right = wrong = 0
    with (folder / "labels.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            path = folder / row["path"]
            note = extract_note_text(path.read_bytes(), path.name)
            assert note.all_text.strip(), path
            result = identify_clues(Clues(note_text=note.all_text, note_name=path.name), kb)
            family = result.family
            if family is None:
                continue
            labels = {n.lower().replace(" ", "") for n in family.names()}
            if row["family"].lower() in labels:
                right += 1
            else:
                wrong += 1
    assert wrong < right
