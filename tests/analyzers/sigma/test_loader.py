"""Loading rules: metadata, files and directories, and every way a rule can fail to load."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
import yaml
from tests.analyzers.sigma.sigma_helpers import Loader, rule_doc, write_rules

from madoguchi.analyzers.forking import frozen_heap
from madoguchi.analyzers.sigma import load_rules, read_placeholders


def yaml_text(doc: dict[str, object]) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


GOOD = rule_doc({"sel": {"EventID": 4625}, "condition": "sel"}, title="good")

FULL_RULE = """
title: Encoded PowerShell
id: 5b7e1a1e-1c2d-4e5f-8a9b-0c1d2e3f4a5b
name: encoded_powershell
status: experimental
level: high
description: PowerShell started with an encoded command.
references:
  - https://example.org/a
tags:
  - attack.execution
  - attack.t1059.001
  - attack.T1027
  - car.2016-04-005
falsepositives:
  - admin scripts
x_desk_note: reviewed
logsource:
  product: windows
  category: process_creation
detection:
  sel:
    CommandLine|contains: ' -enc '
  condition: sel
"""


def test_metadata_is_kept(load: Loader) -> None:
    ruleset, errors = load(FULL_RULE)
    assert errors == []
    (rule,) = ruleset.rules
    assert rule.id == "5b7e1a1e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
    assert rule.name == "encoded_powershell"
    assert rule.title == "Encoded PowerShell"
    assert rule.level == "high"
    assert rule.status == "experimental"
    assert rule.description == "PowerShell started with an encoded command."
    assert rule.attack == ("T1059.001", "T1027")
    assert "car.2016-04-005" in rule.tags
    assert rule.references == ("https://example.org/a",)
    assert rule.falsepositives == ("admin scripts",)
    assert rule.custom == {"x_desk_note": "reviewed"}
    assert rule.path.endswith(".yml")
    assert rule.output


def test_related_types_of_either_specification_version_load(load: Loader) -> None:
    # Sigma 1 spelled it "obsoletes" (rule sets from before 2024 still do); Sigma 2 "obsolete"
    old_id, new_id = "0f9a3c1e-2b4d-4e6f-8a0b-1c2d3e4f5a6b", "1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d"
    old = rule_doc(
        {"sel": {"EventID": 104}, "condition": "sel"},
        title="sigma 1",
        id=old_id,
        related=[{"id": new_id, "type": "obsoletes"}, {"id": new_id, "type": "derived"}],
    )
    new = rule_doc(
        {"sel": {"EventID": 1102}, "condition": "sel"},
        title="sigma 2",
        related=[{"id": old_id, "type": "obsolete"}],
    )
    typo = rule_doc(
        {"sel": {"EventID": 4624}, "condition": "sel"},
        title="typo",
        related=[{"id": old_id, "type": "obsoleted"}],
    )
    ruleset, errors = load(old, new, typo)
    assert [r.title for r in ruleset.rules] == ["sigma 1", "sigma 2"]
    assert ruleset.match({"Channel": "Security", "EventID": 104})[0].rule.id == old_id
    assert len(errors) == 1
    assert "obsoleted" in errors[0].reason  # other unknown types are still refused, by name


def test_rule_without_uuid_gets_its_own_or_a_stable_id(tmp_path: Path) -> None:
    named = rule_doc({"sel": {"EventID": 1}, "condition": "sel"}, title="a", id="desk-0001")
    anonymous = rule_doc({"sel": {"EventID": 2}, "condition": "sel"}, title="b")
    (tmp_path / "one").mkdir()
    write_rules(tmp_path / "one" / "r.yml", [named, anonymous])
    first, errors = load_rules([tmp_path / "one"])
    assert errors == []
    ids = [r.id for r in first.rules]
    assert ids[0] == "desk-0001"
    assert ids[1].startswith("sigma-")
    again, _ = load_rules([tmp_path / "one"])
    assert [r.id for r in again.rules] == ids  # same file, same title: same id


def test_directories_are_walked_for_yml_and_yaml(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    write_rules(tmp_path / "a" / "one.yml", [GOOD])
    write_rules(
        tmp_path / "a" / "b" / "two.yaml",
        [rule_doc({"sel": {"EventID": 4624}, "condition": "sel"}, title="two")],
    )
    (tmp_path / "a" / "notes.txt").write_text("not a rule")
    ruleset, errors = load_rules([tmp_path / "a"])
    assert errors == []
    assert sorted(r.title for r in ruleset.rules) == ["good", "two"]


def test_multi_document_file_and_global_action(load: Loader) -> None:
    text = """
action: global
title: Shared title
logsource:
  product: windows
  service: security
detection:
  condition: sel
---
detection:
  sel:
    EventID: 4720
---
detection:
  sel:
    EventID: 4726
"""
    ruleset, errors = load(text)
    assert errors == []
    assert len(ruleset.rules) == 2
    assert len(ruleset.match({"Channel": "Security", "EventID": 4726})) == 1


def test_broken_yaml_is_reported_with_its_file(load: Loader) -> None:
    _, errors = load("title: x\ndetection: [unclosed\n", name="broken.yml")
    assert len(errors) == 1
    assert errors[0].rule_file.endswith("broken.yml")
    assert "YAML" in errors[0].reason


def test_bad_rules_are_listed_and_the_rest_load(load: Loader) -> None:
    unknown_modifier = rule_doc(
        {"sel": {"Image|sideways": "x"}, "condition": "sel"}, title="modifier"
    )
    bad_condition = rule_doc({"sel": {"Image": "x"}, "condition": "sel and and"}, title="condition")
    missing_selection = rule_doc(
        {"sel": {"Image": "x"}, "condition": "sel and other"}, title="missing"
    )
    bad_regex = rule_doc({"sel": {"Image|re": "(unclosed"}, "condition": "sel"}, title="regex")
    ruleset, errors = load(
        GOOD, unknown_modifier, bad_condition, missing_selection, bad_regex, name="mixed.yml"
    )
    assert [r.title for r in ruleset.rules] == ["good"]
    by_title = {e.reason.split("'")[1]: e for e in errors}
    assert set(by_title) == {"modifier", "condition", "missing", "regex"}
    assert all(e.rule_file.endswith("mixed.yml") for e in errors)
    assert "modifier" in by_title["modifier"].reason.lower()
    assert "sideways" in by_title["modifier"].reason
    assert "other" in by_title["missing"].reason
    assert by_title["condition"].reason != "rule 'condition': "


def test_unknown_placeholder_is_reported(load: Loader) -> None:
    rule = rule_doc(
        {"sel": {"TargetUserName|expand": "%vips%"}, "condition": "sel"}, title="vip logon"
    )
    ruleset, errors = load(rule, placeholders={"admins": ["x"]}, name="vip.yml")
    assert ruleset.rules == []
    assert len(errors) == 1
    assert "%vips%" in errors[0].reason
    assert errors[0].rule_file.endswith("vip.yml")


def test_correlation_referencing_missing_rule_is_reported(load: Loader) -> None:
    correlation = """
title: Brute force
correlation:
  type: event_count
  rules: [no_such_rule]
  group-by: [TargetUserName]
  timespan: 5m
  condition:
    gte: 10
"""
    ruleset, errors = load(GOOD, correlation, name="corr.yml")
    assert ruleset.correlations == []
    assert len(errors) == 1
    assert "no_such_rule" in errors[0].reason
    assert errors[0].rule_file.endswith("corr.yml")


def test_duplicate_ids_and_missing_paths(tmp_path: Path) -> None:
    one = rule_doc(
        {"sel": {"EventID": 1}, "condition": "sel"},
        title="one",
        id="0f0e0d0c-0b0a-4909-8807-060504030201",
    )
    write_rules(tmp_path / "a.yml", [one])
    write_rules(tmp_path / "b.yml", [one])
    ruleset, errors = load_rules([tmp_path / "a.yml", tmp_path / "b.yml", tmp_path / "nope.yml"])
    assert len(ruleset.rules) == 1
    files = sorted(Path(e.rule_file).name for e in errors)
    assert files == ["b.yml", "nope.yml"]
    assert any("duplicate" in e.reason for e in errors)


def test_non_mapping_document_is_reported(load: Loader) -> None:
    _, errors = load("- just\n- a list\n", name="list.yml")
    assert len(errors) == 1
    assert "mapping" in errors[0].reason


def test_shift_jis_and_utf16_rule_files_load(tmp_path: Path) -> None:
    text = yaml_text(
        rule_doc(
            {"sel": {"ServiceName|contains": "不審"}, "condition": "sel"},
            title="不審なサービスの登録",
        )
    )
    (tmp_path / "sjis.yml").write_bytes(text.encode("cp932"))
    (tmp_path / "utf16.yml").write_bytes(text.replace("登録", "作成").encode("utf-16"))
    ruleset, errors = load_rules([tmp_path])
    assert errors == []
    assert sorted(r.title for r in ruleset.rules) == [
        "不審なサービスの作成",
        "不審なサービスの登録",
    ]
    event = {"Channel": "Security", "EventID": 1, "ServiceName": "不審なサービス"}
    assert len(ruleset.match(event)) == 2


def test_japanese_values_match(load: Loader) -> None:
    rule = rule_doc(
        {"sel": {"ServiceName|contains": "サービス"}, "condition": "sel"}, title="日本語のルール"
    )
    ruleset, errors = load(rule)
    assert errors == []
    assert ruleset.rules[0].title == "日本語のルール"
    assert (
        len(ruleset.match({"Channel": "Security", "EventID": 1, "ServiceName": "不審なサービス"}))
        == 1
    )


def test_unsupported_correlation_type_is_reported(load: Loader) -> None:
    metric = """
title: Bytes out
correlation:
  type: value_sum
  rules: [good]
  group-by: [IpAddress]
  timespan: 1h
  condition: {field: Bytes, gt: 1000}
"""
    named = rule_doc({"sel": {"EventID": 4625}, "condition": "sel"}, title="good", name="good")
    ruleset, errors = load(named, metric, name="sum.yml")
    assert ruleset.correlations == []
    assert len(errors) == 1
    assert "value_sum" in errors[0].reason


def test_rules_loaded_inside_a_frozen_heap_are_frozen_as_the_folder_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from madoguchi.analyzers.sigma import loader

    monkeypatch.setattr(loader, "_FREEZE_EVERY_FILES", 2)
    folder = tmp_path / "rules"
    folder.mkdir()
    for n in range(6):
        write_rules(folder / f"r{n}.yml", [rule_doc({"sel": {"EventID": n}, "condition": "sel"})])
    with frozen_heap():
        before = gc.get_freeze_count()
        ruleset, errors = load_rules([folder])
        assert gc.get_freeze_count() > before  # the compiled rules joined the frozen heap
    assert errors == []
    assert len(ruleset.indexed) == 6
    assert gc.get_freeze_count() == 0


def test_placeholder_file_values_japanese_and_numbers(load: Loader, tmp_path: Path) -> None:
    values = tmp_path / "site.yml"
    text = "'%管理端末%': [経理-PC01, 'JUMP-*']\nrdp_port: 3389\nempty:\n"
    values.write_bytes(text.encode("cp932"))
    assert read_placeholders(values) == {
        "管理端末": ["経理-PC01", "JUMP-*"],
        "rdp_port": ["3389"],
        "empty": [],
    }
    rule = rule_doc(
        {"sel": {"WorkstationName|expand": "%管理端末%"}, "condition": "sel"}, title="admin pc"
    )
    ruleset, errors = load(rule, placeholders=read_placeholders(values))
    assert errors == []
    assert ruleset.match({"Channel": "Security", "EventID": 4624, "WorkstationName": "経理-pc01"})


def test_a_regex_outside_the_sigma_flavour_is_refused_quietly(
    load: Loader, capfd: pytest.CaptureFixture[str]
) -> None:
    # Look-ahead is outside Sigma's regular-expression flavour: the rule is listed with
    # RE2's reason, and RE2's own log line does not reach the terminal.
    lookahead = rule_doc({"sel": {"CommandLine|re": "https?://[0-9.]+(?!/)"}, "condition": "sel"})
    flagged = rule_doc({"sel": {"CommandLine|re|i": "^WMIC .*SHADOWCOPY"}, "condition": "sel"})
    ruleset, errors = load(lookahead, flagged)
    assert [e.reason for e in errors] == [
        "rule 'test rule': Regular expression 'https?://[0-9.]+(?!/)' is invalid: "
        "b'invalid perl operator: (?!'"
    ]
    assert ruleset.match({"Channel": "Security", "EventID": 4688, "CommandLine": "wmic shadowcopy"})
    assert capfd.readouterr().err == ""
