"""The compiled rule pack is reused within a process, yet edits and errors still show."""

from __future__ import annotations

import os
from pathlib import Path

from madoguchi.analyzers.base import AnalysisContext, RunOptions
from madoguchi.analyzers.windows_evtx import EvtxAnalyzer, load_rule_pack

RULE = """title: {title}
id: 5d6c1f0e-1111-4222-8333-{suffix:012d}
logsource: {{product: windows, service: security}}
detection:
  sel: {{EventID: 4624, TargetUserName: {user}}}
  condition: sel
level: high
"""

EVENT = {"Channel": "Security", "EventID": 4624, "TargetUserName": "mallory"}


def _titles(rule_dir: Path) -> list[str]:
    loaded = load_rule_pack((rule_dir,))
    assert loaded.ruleset is not None
    return [m.rule.title for m in loaded.ruleset.match(EVENT)]


def test_an_edited_rule_directory_is_loaded_afresh(tmp_path: Path) -> None:
    rule = tmp_path / "mine.yml"
    rule.write_text(RULE.format(title="Mallory logs on", suffix=1, user="mallory"), "utf-8")
    assert _titles(tmp_path) == ["Mallory logs on"]
    assert _titles(tmp_path) == ["Mallory logs on"]  # the same pack, reused
    rule.write_text(RULE.format(title="Eve logs on", suffix=1, user="eve"), "utf-8")
    stat = rule.stat()
    os.utime(rule, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert _titles(tmp_path) == []
    (tmp_path / "more.yml").write_text(
        RULE.format(title="Mallory again", suffix=2, user="mallory"), "utf-8"
    )
    assert _titles(tmp_path) == ["Mallory again"]


def test_every_run_is_told_about_rules_that_did_not_load(tmp_path: Path) -> None:
    (tmp_path / "broken.yml").write_text("title: broken\ndetection: [not, a, mapping]\n", "utf-8")
    for _ in range(2):  # the second run reuses the compiled pack
        ctx = AnalysisContext(options=RunOptions(rule_dirs=(tmp_path,)), analyzer="windows-evtx")
        EvtxAnalyzer().prepare(ctx)
        assert [Path(e.rule_file).name for e in ctx.rules_not_loaded] == ["broken.yml"]
