"""Refresh the message catalogues from the code and templates (``make i18n``).

Extracts every ``_()`` / ``N_()`` string with Babel, merges it into
``locales/ja/LC_MESSAGES/messages.po`` keeping existing translations, and lists the
messages that still need a Japanese translation (exit status 1 when there are any).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "src/madoguchi/i18n/locales/ja/LC_MESSAGES/messages.po"
POT = ROOT / "src/madoguchi/i18n/locales/messages.pot"


def main() -> int:
    babel = [sys.executable, "-m", "babel.messages.frontend"]
    subprocess.run(
        [
            *babel,
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "--no-location",
            "--sort-output",
            "--omit-header",
            "-o",
            str(POT),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    if PO.exists():
        subprocess.run(
            [
                *babel,
                "update",
                "-i",
                str(POT),
                "-o",
                str(PO),
                "-l",
                "ja",
                "--no-fuzzy-matching",
                "--omit-header",
                "--ignore-obsolete",
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    else:
        subprocess.run(
            [*babel, "init", "-i", str(POT), "-o", str(PO), "-l", "ja"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="ja")
    missing = [m.id for m in catalog if m.id and not m.string]
    for message in missing:
        print(f"untranslated: {message!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
