"""Support catalogue, support-plan rules and out-of-scope detection."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from madoguchi.analyzers import kinds
from madoguchi.domain.case import Case, CaseKind, Purpose
from madoguchi.knowledge.datafiles import KnowledgeDataError
from madoguchi.knowledge.hearing import all_questions
from madoguchi.knowledge.support import (
    RULES_FILE,
    CaseFacts,
    detect_out_of_scope,
    evidence_kinds_vocabulary,
    load_catalogue,
    load_rules,
    recommend,
)

ISSUE_ITEMS = {
    "ioc_provision",
    "ransomware_family_identification",
    "log_analysis_second_opinion",
    "windows_event_log_investigation",
    "network_device_log_investigation",
    "cloud_log_investigation",
    "malware_analysis",
    "leaked_information_identification",
    "dark_web_leak_check",
    "initial_response_advice",
    "extortion_consultation",
    "similar_case_introduction",
    "product_investigation_guidance",
    "disk_image_forensics",
    "attacker_correlation",
    "advisory_reflection",
}


def ids(facts: CaseFacts) -> list[str]:
    return [r.item_id for r in recommend(facts)]


# --- catalogue and rules load -------------------------------------------------------------


def test_catalogue_offers_every_item_of_the_issue_in_both_languages() -> None:
    catalogue = load_catalogue()
    assert set(catalogue.item_ids()) == ISSUE_ITEMS
    for item in catalogue.items:
        assert item.title.ja != item.title.en
        assert item.description.ja and item.description.en
    out_of_scope = {o.id for o in catalogue.out_of_scope}
    assert {"incident_report_writing", "legal_advice", "decryption_or_recovery"} <= out_of_scope
    for item in catalogue.out_of_scope:
        assert item.reply.ja and item.reply.en


def _answer_refs(node: object) -> Iterator[dict[str, object]]:
    if isinstance(node, dict):
        if isinstance(node.get("answer"), dict):
            yield node["answer"]
        for value in node.values():
            yield from _answer_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _answer_refs(value)


def test_every_rule_references_existing_items_and_questions() -> None:
    raw = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    item_ids = set(load_catalogue().item_ids())
    questions = all_questions()
    refs = 0
    for rule in raw["rules"]:
        assert set(rule["recommend"]) <= item_ids, rule["id"]
        assert rule["reason"]["ja"] and rule["reason"]["en"], rule["id"]
        for answer in _answer_refs(rule["when"]):
            refs += 1
            assert answer["question"] in questions, (rule["id"], answer["question"])
    assert refs > 10
    assert len(load_rules()) == len(raw["rules"])


def test_every_catalogue_item_can_be_recommended_by_some_rule() -> None:
    recommended = {item for rule in load_rules() for item in rule.recommend}
    assert recommended == set(load_catalogue().item_ids())


def test_rule_file_errors_name_the_file_and_the_rule(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(
        """
evidence_kinds: [evtx]
rules:
  - id: unknown_item
    when: {categories: [ransomware]}
    recommend: [write_the_report_for_them]
    reason: {ja: "理由", en: "Reason"}
  - id: unknown_question
    when: {answer: {question: ransomware.favourite_colour, op: exists}}
    recommend: [ioc_provision]
    reason: {ja: "理由", en: "Reason"}
  - id: bad_choice
    when: {answer: {question: ransomware.backups_intact, op: equals, value: "perhaps"}}
    recommend: [ioc_provision]
    reason: {ja: "理由", en: "Reason"}
  - id: unknown_kind_and_condition
    when: {evidence_kinds: [pcapng], colour: blue}
    recommend: [ioc_provision]
    reason: {en: "English only"}
""",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeDataError) as raised:
        load_rules(path)
    by_rule: dict[str, list[str]] = {}
    for problem in raised.value.problems:
        assert problem.file == "rules.yml"
        by_rule.setdefault(problem.entry, []).append(problem.message)
    assert any("write_the_report_for_them" in m for m in by_rule["unknown_item"])
    assert any("ransomware.favourite_colour" in m for m in by_rule["unknown_question"])
    assert any("'perhaps'" in m for m in by_rule["bad_choice"])
    problems = " ".join(by_rule["unknown_kind_and_condition"])
    assert "pcapng" in problems and "colour" in problems and "'ja'" in problems


# --- recommendations ----------------------------------------------------------------------


def test_ransomware_with_a_note_on_esxi() -> None:
    facts = CaseFacts(
        categories=("ransomware",),
        purpose=Purpose.SUPPORT.value,
        products=("VMware ESXi 7.0",),
        evidence_kinds=("ransom-note",),
    )
    recommendations = recommend(facts)
    chosen = [r.item_id for r in recommendations]
    assert {
        "ransomware_family_identification",
        "product_investigation_guidance",
        "extortion_consultation",
        "initial_response_advice",
    } <= set(chosen)
    assert "network_device_log_investigation" not in chosen
    guidance = next(r for r in recommendations if r.item_id == "product_investigation_guidance")
    assert any("ESXi" in reason.text.en and "ESXi" in reason.text.ja for reason in guidance.reasons)


def test_panos_cve_2024_3400() -> None:
    facts = CaseFacts(
        categories=("device_vulnerability",),
        purpose="support",
        products=("PAN-OS 10.2",),
        cves=("CVE-2024-3400",),
    )
    chosen = ids(facts)
    assert {
        "network_device_log_investigation",
        "attacker_correlation",
        "advisory_reflection",
    } <= set(chosen)
    assert "ransomware_family_identification" not in chosen
    assert "extortion_consultation" not in chosen


def test_the_product_alone_is_enough_to_spot_an_edge_device() -> None:
    chosen = ids(CaseFacts(products=("Palo Alto Networks PA-3220 GlobalProtect",)))
    assert "network_device_log_investigation" in chosen
    assert "attacker_correlation" not in chosen, "no CVE and no device category yet"


def test_recommendations_follow_catalogue_order() -> None:
    facts = CaseFacts(
        categories=("ransomware", "data_leak"),
        products=("VMware ESXi 8.0", "FortiGate"),
        cves=("CVE-2024-21762",),
        evidence_kinds=("ransom-note", "evtx", "pe", "disk-image", "cloudtrail"),
        families=("akira",),
        answers={"common.ir_vendor": "yes", "common.share_indicators": True},
    )
    chosen = ids(facts)
    order = load_catalogue().item_ids()
    assert chosen == [i for i in order if i in chosen]
    assert len(chosen) == len(set(chosen))
    assert set(chosen) == ISSUE_ITEMS


def test_reasons_of_several_rules_are_merged() -> None:
    facts = CaseFacts(
        categories=("ransomware",),
        evidence_kinds=("ransom-note",),
        answers={"ransomware.backups_intact": "no", "ransomware.extension": ".akira"},
    )
    family = next(r for r in recommend(facts) if r.item_id == "ransomware_family_identification")
    assert [reason.rule_id for reason in family.reasons] == [
        "ransom_note_attached",
        "ransom_note_described",
        "backups_lost",
    ]


def test_hearing_answers_change_the_plan() -> None:
    base = CaseFacts(categories=("ransomware",))
    assert "windows_event_log_investigation" not in ids(base)
    with_logs = CaseFacts(
        categories=("ransomware",),
        answers={"ransomware.logs_available": ["windows_event", "vpn_firewall"]},
    )
    assert "windows_event_log_investigation" in ids(with_logs)
    with_mfa_vpn = CaseFacts(
        categories=("ransomware",),
        answers={"ransomware.remote_access": ["ssl_vpn"], "ransomware.remote_access_mfa": "yes"},
    )
    without_mfa_vpn = CaseFacts(
        categories=("ransomware",),
        answers={"ransomware.remote_access": ["ssl_vpn"], "ransomware.remote_access_mfa": "no"},
    )
    assert "network_device_log_investigation" not in ids(with_mfa_vpn)
    assert "network_device_log_investigation" in ids(without_mfa_vpn)


def test_answer_operators(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(
        """
evidence_kinds: [evtx]
rules:
  - id: equals
    when: {answer: {question: ransomware.backups_intact, op: equals, value: "no"}}
    recommend: [initial_response_advice]
    reason: {ja: "a", en: "a"}
  - id: in
    when: {answer: {question: common.business_impact, op: in, value: [major, stopped]}}
    recommend: [ioc_provision]
    reason: {ja: "b", en: "b"}
  - id: contains_choice
    when: {answer: {question: ransomware.encrypted_scope, op: contains, value: nas}}
    recommend: [malware_analysis]
    reason: {ja: "c", en: "c"}
  - id: contains_text
    when: {answer: {question: targeted.malware_names, op: contains, value: noopdoor}}
    recommend: [attacker_correlation]
    reason: {ja: "d", en: "d"}
  - id: exists
    when: {answer: {question: ransomware.note_filename, op: exists}}
    recommend: [ransomware_family_identification]
    reason: {ja: "e", en: "e"}
  - id: truthy
    when: {answer: {question: common.affected_count, op: truthy}}
    recommend: [disk_image_forensics]
    reason: {ja: "f", en: "f"}
""",
        encoding="utf-8",
    )
    rules = load_rules(path)

    def chosen(answers: dict[str, object]) -> set[str]:
        return {r.item_id for r in recommend(CaseFacts(answers=answers), rules=rules)}

    assert chosen({"ransomware.backups_intact": False}) == {"initial_response_advice"}
    assert chosen({"ransomware.backups_intact": "unknown"}) == set()
    assert chosen({"common.business_impact": "stopped"}) == {"ioc_provision"}
    assert chosen({"common.business_impact": "partial"}) == set()
    assert chosen({"ransomware.encrypted_scope": ["windows_pcs", "nas"]}) == {"malware_analysis"}
    assert chosen({"targeted.malware_names": "NOOPDOOR, Cobalt Strike"}) == {"attacker_correlation"}
    assert chosen({"ransomware.note_filename": "akira_readme.txt"}) == {
        "ransomware_family_identification"
    }
    assert chosen({"ransomware.note_filename": ""}) == set()
    assert chosen({"common.affected_count": 0}) == set()
    assert chosen({"common.affected_count": 12}) == {"disk_image_forensics"}


# --- out of scope -------------------------------------------------------------------------


def _found(texts: list[str], purpose: str | None = "support") -> list[str]:
    return [m.item_id for m in detect_out_of_scope(purpose, texts)]


def test_a_request_to_write_the_incident_report_is_out_of_scope_in_english() -> None:
    matches = detect_out_of_scope("support", ["Hello. Please write our incident report."])
    assert [m.item_id for m in matches] == ["incident_report_writing"]
    assert "write our incident report" in matches[0].phrase
    assert "does not write" in matches[0].reply.en
    assert "作成や代筆" in matches[0].reply.ja


def test_a_request_to_write_the_incident_report_is_out_of_scope_in_japanese() -> None:
    assert _found(["インシデント報告書を作成してほしい"]) == ["incident_report_writing"]
    assert _found(["報告書の作成をお願いできますか。"]) == ["incident_report_writing"]


def test_a_report_already_written_is_not_a_request() -> None:
    assert _found(["We already wrote our incident report and sent it to the board."]) == []
    assert _found(["インシデント報告書は既に作成済みです。"]) == []
    assert _found(["報告書を作成しました。ログを見ていただけますか。"]) == []


def test_each_sentence_is_judged_on_its_own() -> None:
    text = "We already wrote our incident report. Could you please decrypt our files?"
    assert _found([text]) == ["decryption_or_recovery"]


@pytest.mark.parametrize(
    ("text", "item"),
    [
        ("We need legal advice on whether we must notify customers.", "legal_advice"),
        ("法的な責任について助言がほしいです。", "legal_advice"),
        ("Can you help us recover our data?", "decryption_or_recovery"),
        ("暗号化されたファイルを復号してください。", "decryption_or_recovery"),
        ("データを復旧してほしい", "decryption_or_recovery"),
        ("Please negotiate with the attackers for us.", "attacker_negotiation"),
        ("攻撃者との交渉を代わりにお願いしたい", "attacker_negotiation"),
        ("Could you send an engineer to our data center?", "onsite_dispatch"),
        ("現地に来て調査してほしい", "onsite_dispatch"),
    ],
)
def test_other_out_of_scope_requests(text: str, item: str) -> None:
    assert _found([text]) == [item]


@pytest.mark.parametrize(
    "text",
    [
        "Can you tell us whether a decryptor exists for this family?",
        "この種類の復号ツールがあるか教えてください。",
        "Our lawyer has already been informed.",
        "Please look at the attached event logs.",
        "VPN 装置のログを確認していただけますか。",
        "The attacker left a note saying they can decrypt our files.",
    ],
)
def test_ordinary_requests_are_not_out_of_scope(text: str) -> None:
    assert _found([text]) == []


def test_information_only_cases_are_not_checked_for_requests() -> None:
    assert _found(["Please write our incident report."], purpose="information_only") == []
    assert _found(["Please write our incident report."], purpose=None) == [
        "incident_report_writing"
    ]


def test_pasted_ransom_notes_are_not_taken_for_requests() -> None:
    """Measured on real notes when the calibration data is available."""
    root = os.environ.get("MADOGUCHI_CALIBRATION_DATA")
    if not root:
        pytest.skip("MADOGUCHI_CALIBRATION_DATA is not set; the ransom-note sample is needed")
    notes = Path(root) / "ransom-notes"
    with (notes / "labels.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    flagged = []
    for row in rows:
        raw = (notes / row["path"]).read_bytes()
        text = (
            raw.decode("utf-16")
            if raw[:2] in (b"\xff\xfe", b"\xfe\xff")
            else raw.decode("utf-8", errors="replace")
        )
        if detect_out_of_scope("support", [text]):
            flagged.append(row["family"])
    # A note is the attacker's text, not the reporter's request; allow at most one in 20.
    assert len(flagged) * 20 <= len(rows), flagged


def test_full_width_and_half_width_japanese_input_is_understood() -> None:
    assert _found(["ｲﾝｼﾃﾞﾝﾄ報告書を作成してください"]) == ["incident_report_writing"]
    assert _found(["Ｐｌｅａｓｅ ｗｒｉｔｅ ｏｕｒ ｉｎｃｉｄｅｎｔ ｒｅｐｏｒｔ"]) == [
        "incident_report_writing"
    ]
    assert "network_device_log_investigation" in ids(CaseFacts(products=("ＰＡＮ－ＯＳ 10.2",)))


def test_facts_from_a_case() -> None:
    case = Case(
        reference="MDG-2026-00042",
        title="ESXi encrypted",
        kind=CaseKind.CONSULTATION,
        purpose=Purpose.SUPPORT,
        categories=["ransomware"],
        products=["VMware ESXi 7.0"],
    )
    facts = CaseFacts.from_case(
        case, evidence_kinds=["ransom-note", "ransom-note"], families=["akira"]
    )
    assert facts.purpose == "support"
    assert facts.evidence_kinds == ("ransom-note",)
    assert "similar_case_introduction" in ids(facts)
    assert "ransomware_family_identification" in ids(facts)


def test_rule_vocabulary_includes_the_analyzers_content_kinds() -> None:
    vocabulary = set(evidence_kinds_vocabulary())
    assert {kinds.EVTX, kinds.PE, kinds.ELF, kinds.DISK_IMAGE} <= vocabulary
    assert "ransom-note" in vocabulary
