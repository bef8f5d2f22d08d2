"""Golden result documents over small fixtures.

Each folder in ``golden/`` holds ``input/`` (the evidence), ``case.json`` (options:
``analyzers``, ``since``, ``until``, ``passwords``) and ``expected.json`` (the result
document with the fields that vary between runs removed). Set
``MADOGUCHI_REGEN_GOLDEN=1`` to rewrite ``expected.json`` from the current code, then
review the diff before committing it.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from madoguchi.analysis.runner import AnalysisRequest, run_analysis

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p for p in GOLDEN.iterdir() if (p / "case.json").is_file())


def stable(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without what changes from run to run or machine to machine."""
    doc = dict(doc)
    doc["run"] = {"options": doc["run"]["options"]}
    doc["stats"] = {k: v for k, v in doc["stats"].items() if k != "seconds"}
    doc["tool"] = {"name": doc["tool"]["name"]}
    doc.pop("broken_analyzers")  # depends on which plugins are installed
    return doc


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_golden(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    options = orjson.loads((case / "case.json").read_bytes())
    monkeypatch.chdir(case)  # display paths start at input/
    request = AnalysisRequest(
        paths=(Path("input"),),
        only=tuple(options.get("analyzers", ())),
        since=_time(options.get("since")),
        until=_time(options.get("until")),
        passwords=tuple(options.get("passwords", ())),
    )
    actual = stable(run_analysis(request).to_dict())
    rendered = orjson.dumps(actual, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    expected_file = case / "expected.json"
    if os.environ.get("MADOGUCHI_REGEN_GOLDEN") == "1":
        expected_file.write_bytes(rendered)
    assert expected_file.is_file(), f"{expected_file} missing: run with MADOGUCHI_REGEN_GOLDEN=1"
    expected = orjson.loads(expected_file.read_bytes())
    assert actual == expected
