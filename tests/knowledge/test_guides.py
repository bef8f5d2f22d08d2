from pathlib import Path

import pytest

from madoguchi.domain.errors import NotFoundError
from madoguchi.knowledge.datafiles import KnowledgeDataError
from madoguchi.knowledge.guides import get_guide, guides_for_products, load_guides

REQUIRED = {
    "windows",
    "panos",
    "ivanti-connect-secure",
    "fortios",
    "netscaler",
    "sonicwall",
    "esxi",
    "aws",
    "azure-entra",
    "microsoft-365",
}


def test_every_required_guide_exists_in_both_languages() -> None:
    guides = load_guides()
    for lang in ("ja", "en"):
        assert {g.id for g in guides if g.lang == lang} >= REQUIRED


def test_guides_are_markdown_with_the_expected_parts() -> None:
    for guide in load_guides():
        assert guide.body.startswith("# "), guide.path
        assert guide.body.count("\n## ") >= 4, guide.path
        assert guide.references, guide.path
        assert guide.updated
        if guide.lang == "ja":
            assert any("\u3040" <= ch <= "\u30ff" for ch in guide.body), guide.path


def test_guides_name_only_existing_analyzers() -> None:
    from madoguchi.analyzers.registry import load_registry

    registry = load_registry(plugins=False)
    known = set(registry.names()) | {"windows-evtx", "ransomware", "malware-triage"}
    for guide in load_guides():
        assert set(guide.analyzers) <= known, (guide.path, guide.analyzers)


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        (["PAN-OS 10.2.9"], {"panos"}),
        (["globalprotect"], {"panos"}),
        (["Pulse Secure 9.1R11"], {"ivanti-connect-secure"}),
        (["Ivanti Connect Secure 22.7R2.4"], {"ivanti-connect-secure"}),
        (["FortiGate 60F", "FortiOS 7.2.4"], {"fortios"}),
        (["Citrix ADC 13.1"], {"netscaler"}),
        (["NetScaler Gateway"], {"netscaler"}),
        (["sonicwall gen7"], {"sonicwall"}),
        (["VMware ESXi 8.0U2"], {"esxi"}),
        (["Amazon S3"], {"aws"}),
        (["Entra ID"], {"azure-entra"}),
        (["Microsoft 365"], {"microsoft-365"}),
        (["Windows Server 2019"], {"windows"}),
        (["ＡＷＳ"], {"aws"}),
        (["Apache Tomcat"], set()),
        (["laws and rules"], set()),
    ],
)
def test_product_matching_is_tolerant(asked, expected) -> None:
    assert {g.id for g in guides_for_products(asked, "en")} == expected
    assert {g.id for g in guides_for_products(asked, "ja")} == expected


def test_get_guide_and_unknown_ids() -> None:
    guide = get_guide("esxi", "ja")
    assert guide.lang == "ja" and "ESXi" in guide.title
    with pytest.raises(NotFoundError):
        get_guide("nope", "en")


def test_broken_guide_folder_reports_every_problem(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "ja").mkdir()
    (tmp_path / "en" / "one.md").write_text("no front matter\n", encoding="utf-8")
    (tmp_path / "en" / "two.md").write_text(
        "---\nid: wrong\ntitle: T\nproducts: [X]\n---\n# T\n", encoding="utf-8"
    )
    with pytest.raises(KnowledgeDataError) as caught:
        load_guides(tmp_path)
    text = str(caught.value)
    assert "one.md" in text
    assert len(caught.value.problems) >= 3  # front matter, id, missing ja copies
