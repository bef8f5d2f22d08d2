"""Every rule of the built-in pack is named by a test of this folder, so a rule added
without a test showing it fire (and stay quiet on a look-alike) fails the suite."""

from __future__ import annotations

from pathlib import Path

import yaml

from madoguchi.analyzers.windows_evtx.analyzer import RULES_DIR


def test_every_built_in_rule_is_exercised_by_a_test() -> None:
    here = Path(__file__).parent
    tests = "".join(
        p.read_text(encoding="utf-8")
        for p in sorted(here.glob("*.py"))
        if p.name != Path(__file__).name
    )
    untested = []
    for path in sorted(RULES_DIR.rglob("*.yml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc and doc["title"] not in tests and doc["id"] not in tests:
                untested.append(f"{path.relative_to(RULES_DIR)}: {doc['title']}")
    assert untested == []
