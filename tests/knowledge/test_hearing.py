"""Hearing questionnaires: the built-in files load, selection by case, answer checking."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from madoguchi.domain.case import Category
from madoguchi.knowledge.datafiles import KnowledgeDataError
from madoguchi.knowledge.hearing import (
    Question,
    QuestionType,
    all_questions,
    load_questionnaires,
    questionnaires_for,
    validate_answers,
    visible_questions,
)

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_every_builtin_questionnaire_loads_with_both_languages() -> None:
    questionnaires = load_questionnaires()
    ids = [q.id for q in questionnaires]
    assert ids[0] == "common"
    assert len(ids) == len(set(ids))
    questions = [q for questionnaire in questionnaires for q in questionnaire.questions]
    assert len(questions) == len({q.id for q in questions}), "question ids must be unique"
    for question in questions:
        assert JAPANESE.search(question.label.ja), question.id
        assert not JAPANESE.search(question.label.en), question.id
        for choice in question.choices:
            assert choice.label.ja and choice.label.en, f"{question.id}/{choice.id}"


def test_every_category_has_a_questionnaire() -> None:
    for category in Category:
        chosen = questionnaires_for([category.value], [])
        assert len(chosen) >= 2, f"no questionnaire for {category.value}"


def test_all_question_types_are_used() -> None:
    used = {q.type for q in all_questions().values()}
    assert used == set(QuestionType)


def test_ransomware_on_esxi_gets_common_ransomware_and_esxi_questions() -> None:
    chosen = questionnaires_for([Category.RANSOMWARE], ["VMware ESXi 7.0"])
    assert [q.id for q in chosen] == ["common", "ransomware", "esxi"]
    question_ids = {q.id for questionnaire in chosen for q in questionnaire.questions}
    assert {"ransomware.backups_intact", "ransomware.note_filename", "esxi.logs_copied"} <= (
        question_ids
    )


def test_selection_is_deduplicated_and_stable() -> None:
    chosen = questionnaires_for(
        ["ransomware", "ransomware", "device_vulnerability"],
        ["vCenter Server 8.0", "VMware ESXi 7.0", "PAN-OS 10.2"],
    )
    assert [q.id for q in chosen] == ["common", "ransomware", "device", "esxi", "panos"]


def test_product_patterns_match_common_spellings() -> None:
    def ids(product: str) -> list[str]:
        return [q.id for q in questionnaires_for([], [product])]

    assert ids("Ivanti Connect Secure 22.7R2.4") == ["common", "ivanti"]
    assert ids("Pulse Secure") == ["common", "ivanti"]
    assert ids("FortiGate 60F (FortiOS 7.2)") == ["common", "fortinet"]
    assert ids("Citrix NetScaler ADC 13.1") == ["common", "netscaler"]
    assert ids("AWS S3") == ["common", "aws"]
    assert ids("Microsoft 365") == ["common", "microsoft365"]
    assert ids("Windows Server 2019") == ["common"]


def test_a_case_without_facts_gets_only_the_common_questionnaire() -> None:
    assert [q.id for q in questionnaires_for([], [])] == ["common"]


def _questions(*ids: str) -> list[Question]:
    catalogue = all_questions()
    return [catalogue[i] for i in ids]


def test_valid_answers_of_every_type_pass() -> None:
    questions = _questions(
        "common.noticed_how",
        "common.first_noticed",
        "common.affected_count",
        "common.reporter_role",
        "ransomware.encrypted_scope",
        "ransomware.backups_intact",
        "ransomware.extension",
    )
    answers = {
        "common.noticed_how": "ファイルサーバのファイルが開けなくなった",
        "common.first_noticed": "2025-10-19",
        "common.affected_count": "1,200",
        "common.reporter_role": "victim",
        "ransomware.encrypted_scope": ["esxi_vms", "backups"],
        "ransomware.backups_intact": "no",
        "ransomware.extension": ".akira",
    }
    assert validate_answers(questions, answers) == []
    assert validate_answers(questions, {"common.first_noticed": date(2025, 10, 19)}) == []
    assert validate_answers(questions, {"ransomware.backups_intact": False}) == []


@pytest.mark.parametrize(
    ("question_id", "value", "code"),
    [
        ("common.reporter_role", "attacker", "unknown_choice"),
        ("ransomware.encrypted_scope", ["esxi_vms", "mainframe"], "unknown_choice"),
        ("ransomware.encrypted_scope", "esxi_vms", "wrong_type"),
        ("ransomware.backups_intact", "maybe", "unknown_choice"),
        ("common.first_noticed", "2025/10/19", "bad_date"),
        ("common.first_noticed", "2025-13-01", "bad_date"),
        ("common.affected_count", "many", "bad_number"),
        ("common.affected_count", -3, "out_of_range"),
        ("common.affected_count", True, "bad_number"),
        ("ransomware.extension", "x" * 1001, "too_long"),
        ("ransomware.extension", 42, "wrong_type"),
    ],
)
def test_wrong_answers_are_reported_with_the_question_id(
    question_id: str, value: object, code: str
) -> None:
    errors = validate_answers(_questions(question_id), {question_id: value})
    assert [(e.question_id, e.code) for e in errors] == [(question_id, code)]
    assert errors[0].message.ja and errors[0].message.en


def test_answers_to_unknown_questions_are_errors() -> None:
    chosen = questionnaires_for(["ransomware"], [])
    errors = validate_answers(chosen, {"esxi.version": "7.0"})
    assert [(e.question_id, e.code) for e in errors] == [("esxi.version", "unknown_question")]


def test_required_questions_are_checked_only_when_asked() -> None:
    chosen = questionnaires_for(["device_vulnerability"], [])
    assert validate_answers(chosen, {}) == []
    missing = {e.question_id for e in validate_answers(chosen, {}, check_required=True)}
    assert {"common.reporter_role", "common.noticed_how", "device.product_version"} <= missing
    answered = validate_answers(
        chosen, {"device.product_version": "PAN-OS 10.2.8"}, check_required=True
    )
    assert "device.product_version" not in {e.question_id for e in answered}


def test_empty_answers_count_as_not_yet_answered() -> None:
    questions = _questions("common.affected_count", "ransomware.encrypted_scope")
    answers = {"common.affected_count": "", "ransomware.encrypted_scope": []}
    assert validate_answers(questions, answers) == []


def test_broken_questionnaires_report_every_problem_with_file_and_id(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text(
        """
id: bad
title: {ja: "壊れた質問", en: "Broken"}
applies_to: {categories: [ransomware, nonsense]}
questions:
  - id: bad.no_japanese
    type: text
    label: {en: "English only"}
  - id: bad.odd_type
    type: slider
    label: {ja: "スライダー", en: "Slider"}
  - id: other.wrong_prefix
    type: yes_no_unknown
    label: {ja: "はい/いいえ", en: "Yes/no"}
  - id: bad.one_choice
    type: single_choice
    label: {ja: "選択", en: "Choice"}
    choices:
      - {id: only, label: {ja: "一つ", en: "One"}}
""",
        encoding="utf-8",
    )
    (tmp_path / "broken_yaml.yml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeDataError) as raised:
        load_questionnaires(tmp_path)
    messages = [str(p) for p in raised.value.problems]
    joined = "\n".join(messages)
    assert "unknown category 'nonsense'" in joined
    assert "bad.no_japanese" in joined and "missing or empty 'ja'" in joined
    assert "bad.odd_type" in joined and "slider" in joined
    assert "other.wrong_prefix" in joined and "must start with 'bad.'" in joined
    assert "bad.one_choice" in joined and "at least two" in joined
    assert any(m.startswith("broken_yaml.yml") for m in messages)
    assert all(p.file in {"bad.yml", "broken_yaml.yml"} for p in raised.value.problems)


def test_follow_up_questions_appear_only_when_relevant() -> None:
    chosen = questionnaires_for(["ransomware"], [])

    def shown(answers: dict[str, object]) -> set[str]:
        return {q.id for q in visible_questions(chosen, answers)}

    assert "ransomware.vpn_product" not in shown({})
    assert "ransomware.remote_access_mfa" not in shown({"ransomware.remote_access": ["none"]})
    with_vpn = shown({"ransomware.remote_access": ["rdp", "ssl_vpn"]})
    assert {"ransomware.vpn_product", "ransomware.remote_access_mfa"} <= with_vpn
    assert "ransomware.backups_intact" in shown({})


def test_show_if_must_point_to_an_earlier_question_and_a_real_choice(tmp_path: Path) -> None:
    (tmp_path / "follow.yml").write_text(
        """
id: follow
title: {ja: "追加の質問", en: "Follow-up"}
applies_to: {always: true}
questions:
  - id: follow.first
    type: yes_no_unknown
    label: {ja: "最初", en: "First"}
    show_if: {question: follow.second, op: exists}
  - id: follow.second
    type: yes_no_unknown
    label: {ja: "次", en: "Second"}
    show_if: {question: follow.first, op: equals, value: "perhaps"}
""",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeDataError) as raised:
        load_questionnaires(tmp_path)
    problems = {p.entry: p.message for p in raised.value.problems}
    assert "follow.second" in problems["follow.first"]
    assert "'perhaps'" in problems["follow.second"]
