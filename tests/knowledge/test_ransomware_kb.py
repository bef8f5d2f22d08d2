"""The ransomware family knowledge base loads, is broad, and rejects broken entries loudly."""

from __future__ import annotations

from pathlib import Path

import pytest

from madoguchi.knowledge.ransomware_kb import KnowledgeBaseError, load_kb

# Every family of the shared facts table (section A.3), by our canonical id.
FACTS_FAMILIES = (
    "akira",
    "megazord",
    "lockbit2",
    "lockbit3",
    "lockbit_green",
    "lockbit4",
    "lockbit5",
    "alphv",
    "blackbasta",
    "royal",
    "blacksuit",
    "play",
    "8base",
    "phobos",
    "medusa",
    "medusalocker",
    "rhysida",
    "cactus",
    "qilin",
    "ransomhub",
    "hunters",
    "bianlian",
    "clop",
    "conti",
    "hive",
    "esxiargs",
    "babuk",
    "cuba",
    "trigona",
    "noescape",
    "mallox",
    "lynx",
    "inc",
    "interlock",
    "fog",
    "embargo",
    "dragonforce",
    "beast",
    "moneymessage",
    "snatch",
    "vicesociety",
    "abyss",
    "safepay",
    "gunra",
    "nitrogen",
    "underground",
    "ransomhouse",
)


def test_every_builtin_family_loads_and_the_kb_is_broad() -> None:
    kb = load_kb()
    assert len(kb) >= 150
    missing = [family for family in FACTS_FAMILIES if kb.get(family) is None]
    assert missing == []


def test_every_entry_has_references_confidence_and_identification_data() -> None:
    for family in load_kb():
        assert family.references, family.id
        assert family.confidence in {"low", "medium", "high"}
        assert family.extensions or family.note_names or family.note_markers, family.id


def test_aliases_resolve() -> None:
    kb = load_kb()
    assert kb.resolve("BlackCat") is kb.get("alphv")
    assert kb.resolve("Sodinokibi") is kb.get("revil")
    assert kb.resolve("Crysis") is kb.get("dharma")


def test_leaked_builders_are_marked() -> None:
    kb = load_kb()
    for family_id in ("lockbit3", "babuk", "conti", "chaos"):
        family = kb.get(family_id)
        assert family is not None and family.builder_leak is not None, family_id


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


GOOD = """id: demo
name: Demo
confidence: low
active: {from: "2024-01"}
references: [https://example.org/demo]
extensions: [{literal: ".demo"}]
"""


def test_a_valid_custom_folder_loads(tmp_path: Path) -> None:
    write(tmp_path, "demo.yaml", GOOD)
    kb = load_kb([tmp_path])
    family = kb.get("demo")
    assert family is not None and family.extensions[0].value == ".demo"


def test_schema_errors_name_the_file_and_the_field_and_are_all_collected(tmp_path: Path) -> None:
    write(
        tmp_path,
        "bad.yaml",
        GOOD.replace("id: demo", "id: bad")
        .replace("confidence: low", "confidence: certain")
        .replace('[{literal: ".demo"}]', '[{literal: "demo"}]')
        + "colour: red\nnote_names: [{regex: '('}]\n",
    )
    write(tmp_path, "other.yaml", GOOD.replace("https://example.org/demo", "http://insecure"))
    write(tmp_path, "broken.yaml", "id: [unclosed\n")
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb([tmp_path])
    problems = "\n".join(caught.value.problems)
    assert "bad.yaml: confidence:" in problems
    assert "bad.yaml: colour: unknown field" in problems
    assert "bad.yaml: extensions[0].literal:" in problems
    assert "bad.yaml: note_names[0].regex: bad regular expression" in problems
    assert "other.yaml: id: must equal the file name" in problems
    assert "other.yaml: references: not an https URL" in problems
    assert "broken.yaml: (file): not valid YAML" in problems


def test_unknown_related_family_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "demo.yaml", GOOD + "related: [{id: ghost, relation: fork}]\n")
    with pytest.raises(KnowledgeBaseError, match="unknown family 'ghost'"):
        load_kb([tmp_path])
