from pathlib import Path

import pytest

from madoguchi.analyzers.devices.rulebook import RuleFileError, load_rules, match_rules
from madoguchi.domain.findings import Severity, Stage

RULES = """
rules:
  - id: demo.request
    title: {en: Demo, ja: デモ}
    severity: medium
    stage: attempt
    when: {url: '/admin/(?P<page>\\w+)'}
    unless: {src_ip: '^10\\.'}
    escalate:
      - when: {status: '^2\\d\\d$'}
        stage: exploited
        severity: critical
  - id: broken.regex
    title: Broken
    stage: attempt
    when: {url: '('}
  - id: broken.stage
    title: Broken
    stage: nowhere
    when: {url: 'x'}
"""


def test_load_collects_every_broken_rule_and_keeps_the_good_ones(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(RULES, encoding="utf-8")
    rules, problems = load_rules(path)
    assert [r.id for r in rules] == ["demo.request"]
    assert len(problems) == 2
    assert any("broken.regex" in p for p in problems)


def test_missing_rules_list_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text("nothing: here\n", encoding="utf-8")
    with pytest.raises(RuleFileError):
        load_rules(path)


def test_match_escalates_captures_and_vetoes(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(RULES, encoding="utf-8")
    rules, _ = load_rules(path)
    attempt = match_rules(rules, {"url": "/admin/users", "status": "404", "src_ip": "1.2.3.4"})
    assert attempt[0].stage is Stage.ATTEMPT and attempt[0].fields["page"] == "users"
    success = match_rules(rules, {"url": "/admin/users", "status": "200", "src_ip": "1.2.3.4"})
    assert success[0].stage is Stage.EXPLOITED and success[0].severity is Severity.CRITICAL
    assert match_rules(rules, {"url": "/admin/users", "src_ip": "10.0.0.1"}) == []
