"""Fill untranslated Japanese messages from a Python dict file (translator's helper).

Usage: python tools/po_fill.py TRANSLATIONS.py — the file defines ``JA = {msgid: msgstr}``.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "src/madoguchi/i18n/locales/ja/LC_MESSAGES/messages.po"


def main() -> int:
    table = runpy.run_path(sys.argv[1])["JA"]
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="ja")
    missing = []
    for message in catalog:
        if message.id and not message.string:
            if message.id in table:
                message.string = table[message.id]
            else:
                missing.append(message.id)
    with PO.open("wb") as handle:
        write_po(handle, catalog, sort_output=True, no_location=True, omit_header=True)
    for message in missing:
        print(f"still untranslated: {message!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
