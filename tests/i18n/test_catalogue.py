from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from madoguchi.i18n.catalogue import LOCALES, Translator, negotiate

ROOT = Path(__file__).resolve().parents[2]


def test_every_message_in_code_and_templates_has_a_japanese_translation(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with (LOCALES / "ja" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        translated = {m.id for m in read_po(handle, locale="ja") if m.id and m.string}
    assert len(wanted) > 100
    assert sorted(wanted - translated) == []


def test_placeholders_survive_translation() -> None:
    ja = Translator("ja")
    assert ja("Reference number: {reference}", reference="MDG-2026-00042") == (
        "受付番号: MDG-2026-00042"
    )
    assert Translator("en")("Title: {title}", title="x") == "Title: x"


def test_language_negotiation() -> None:
    assert negotiate("en-US,en;q=0.8", default="ja") == "en"
    assert negotiate("fr,ja;q=0.4,en;q=0.3", default="en") == "ja"
    assert negotiate("fr", default="en") == "en"
    assert negotiate("en", preferred="ja") == "ja"
    assert negotiate("en;q=bogus,ja;q=0.1", default="en") == "ja"
