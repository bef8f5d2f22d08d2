"""Advice playbooks: both languages load and agree, selection by case, memo composition."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from madoguchi.domain.errors import NotFoundError
from madoguchi.knowledge.datafiles import KNOWLEDGE_DIR, KnowledgeDataError
from madoguchi.knowledge.playbooks import (
    compose_memo_sections,
    load_playbooks,
    playbooks_for,
    scope_statement,
    translation_problems,
)

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
REQUIRED = {
    "ransomware-windows",
    "ransomware-esxi",
    "ransomware-cloud-storage",
    "edge-appliance-compromise",
    "targeted-attack-implant",
    "business-email-compromise",
    "evidence-preservation",
    "credential-reset-order",
    "reporting-contacts",
    "extortion-consultation",
}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_playbook_loads(lang: str) -> None:
    playbooks = load_playbooks(lang)
    assert {p.id for p in playbooks} == REQUIRED
    for playbook in playbooks:
        assert playbook.sections, playbook.id
        assert playbook.sources and all(s.startswith("https://") for s in playbook.sources)
        for text in (playbook.title, playbook.summary):
            assert bool(JAPANESE.search(text)) == (lang == "ja"), (playbook.id, text)
        if lang == "en":  # Japanese titles may be a bare name such as "JPCERT/CC"
            for section in playbook.sections:
                assert not JAPANESE.search(section.markdown), (playbook.id, section.id)


def test_japanese_and_english_have_the_same_structure() -> None:
    assert translation_problems() == []


def test_family_ids_are_known_ransomware_families() -> None:
    families_dir = KNOWLEDGE_DIR / "ransomware"
    if not families_dir.is_dir():
        pytest.skip("the ransomware family knowledge base is not present")
    known = {p.stem for p in families_dir.glob("*.yaml")}
    used = {f for p in load_playbooks("en") for f in p.families}
    assert used, "some playbook should name families"
    assert used <= known, sorted(used - known)


def test_checklist_items_are_parsed_with_ids() -> None:
    esxi = next(p for p in load_playbooks("en") if p.id == "ransomware-esxi")
    keep_running = esxi.section("keep-running")
    assert keep_running.title == "Do not restart the host"
    first = keep_running.checklist[0]
    assert first.id == "no-reboot"
    assert first.text.startswith("Do not restart or reinstall the ESXi host")
    assert "{#" not in first.text
    esxi_ja = next(p for p in load_playbooks("ja") if p.id == "ransomware-esxi")
    assert esxi_ja.section("keep-running").checklist[0].id == "no-reboot"


def test_esxi_ransomware_with_akira_ranks_the_esxi_playbook_first() -> None:
    for lang in ("ja", "en"):
        chosen = [
            p.id for p in playbooks_for(["ransomware"], ["VMware ESXi 7.0u3"], ["Akira"], lang)
        ]
        assert chosen[0] == "ransomware-esxi"
        assert {"extortion-consultation", "evidence-preservation", "credential-reset-order"} <= (
            set(chosen)
        )
        assert chosen[-1] == "reporting-contacts"
        for unrelated in (
            "targeted-attack-implant",
            "edge-appliance-compromise",
            "business-email-compromise",
            "ransomware-cloud-storage",
        ):
            assert unrelated not in chosen


def test_a_windows_only_family_ranks_the_windows_playbook_first() -> None:
    chosen = playbooks_for(["ransomware"], [], ["phobos"], "en")
    assert chosen[0].id == "ransomware-windows"


def test_device_and_cloud_cases_get_their_playbooks_first() -> None:
    device = playbooks_for(["device_vulnerability"], ["PAN-OS 10.2"], [], "en")
    assert device[0].id == "edge-appliance-compromise"
    cloud = playbooks_for(["ransomware"], ["AWS S3"], [], "en")
    assert cloud[0].id == "ransomware-cloud-storage"
    targeted = playbooks_for(["targeted_attack"], [], [], "ja")
    assert targeted[0].id == "targeted-attack-implant"


def test_memo_sections_come_in_order_without_ids() -> None:
    memo = compose_memo_sections(
        ["ransomware-esxi", "extortion-consultation"],
        ["extortion-consultation/sanctions", "keep-running", "collect"],
        "en",
    )
    assert [(m.playbook_id, m.section_id) for m in memo] == [
        ("ransomware-esxi", "keep-running"),
        ("ransomware-esxi", "collect"),
        ("extortion-consultation", "sanctions"),
    ]
    for section in memo:
        assert section.markdown.startswith("## ")
        assert "{#" not in section.markdown
    assert "- [ ] Do not restart or reinstall the ESXi host" in memo[0].markdown


def test_the_decryptor_placeholder_is_filled_or_reported() -> None:
    empty = compose_memo_sections(["extortion-consultation"], ["decryptor"], "ja")
    assert empty[0].unfilled == ("decryptor_availability",)
    assert "{{decryptor_availability}}" in empty[0].markdown
    text = "Akira の初期の Windows 版には無償の復号ツールがあります。"
    filled = compose_memo_sections(
        ["extortion-consultation"], ["decryptor"], "ja", {"decryptor_availability": text}
    )
    assert filled[0].unfilled == ()
    assert text in filled[0].markdown
    assert "{{" not in filled[0].markdown


def test_all_sections_when_none_are_named() -> None:
    memo = compose_memo_sections(["credential-reset-order"], None, "en")
    assert [m.section_id for m in memo] == ["before", "order", "verify"]


def test_unknown_playbooks_and_sections_are_refused() -> None:
    with pytest.raises(NotFoundError):
        compose_memo_sections(["no-such-playbook"], None, "en")
    with pytest.raises(NotFoundError, match="sanctions"):
        compose_memo_sections(["ransomware-esxi"], ["sanctions"], "en")


def test_scope_statement_says_not_a_report_and_not_legal_advice() -> None:
    assert "not an incident report" in scope_statement("en")
    assert "not legal advice" in scope_statement("en")
    assert "インシデント報告書ではなく" in scope_statement("ja")
    assert "法的な助言" in scope_statement("ja")


def test_unsupported_language_is_an_error() -> None:
    with pytest.raises(Exception, match="unsupported language"):
        load_playbooks("fr")


def _write(directory: Path, name: str, text: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text, encoding="utf-8")


def test_malformed_playbooks_report_every_problem(tmp_path: Path) -> None:
    en = tmp_path / "en"
    _write(
        en,
        "good.md",
        """---
id: good
title: Good
summary: Fine.
applies_to: {categories: [ransomware]}
---

## First {#first}

```
## not a heading inside code
```

- [ ] Do this {#do-this}
""",
    )
    _write(
        en,
        "broken.md",
        """---
id: renamed
title: Broken
summary: Broken.
applies_to: {families: [LockBit 3]}
---

Text before any section.

## No id here

## Twice {#twice}

- [ ] Task without an id

## Twice {#twice}
""",
    )
    _write(en, "no-front.md", "## Only a heading {#only}\n")
    with pytest.raises(KnowledgeDataError) as raised:
        load_playbooks("en", tmp_path)
    joined = "\n".join(str(p) for p in raised.value.problems)
    assert "id must equal the file name 'broken'" in joined
    assert "'LockBit 3' must be a lowercase id" in joined
    assert "text before the first" in joined
    assert "'No id here' needs an id" in joined
    assert "Task without an id" in joined
    assert "section id 'twice' used twice" in joined
    assert "no-front.md: missing YAML front matter" in joined
    assert "good.md" not in joined


def test_a_heading_inside_a_code_block_is_not_a_section(tmp_path: Path) -> None:
    _write(
        tmp_path / "en",
        "code.md",
        """---
id: code
title: Code
summary: Code.
applies_to: {always: true}
---

## Commands {#commands}

```
## this is a shell comment, not a section
```
""",
    )
    (playbook,) = load_playbooks("en", tmp_path)
    assert [s.id for s in playbook.sections] == ["commands"]
