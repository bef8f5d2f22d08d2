"""Rendering an advice memo: HTML (for the case page and the reporter) and PDF.

The memo is: title, case reference and date, the desk's own text, the chosen playbook
sections, the facts on reporting personal-data leaks when asked for, and always the
desk's scope statement (not an incident report, not legal advice). Markdown is rendered
with raw HTML switched off, so nothing a playbook or the desk writes can inject markup.

The PDF needs a font with Japanese glyphs: ``MADOGUCHI_PDF_FONT`` (a .ttf path), else the
IPA or Noto CJK fonts Debian installs (``fonts-ipafont-gothic``), else what ``fc-match``
names for Japanese. Without one, :class:`PdfFontError` says what to install.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt

from madoguchi.domain.errors import ConfigurationError
from madoguchi.i18n.catalogue import Translator
from madoguchi.knowledge.playbooks import MemoSection, scope_statement

KNOWN_FONTS = (
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansJP-Regular.ttf",
)
FONT_NAME = "memo"

#: Facts about Japan's personal-data breach reporting (APPI, amended April 2022), with the
#: source; shown as facts, never as legal advice.
PPC_SOURCE = "https://www.ppc.go.jp/personalinfo/legal/leakAction/"


class PdfFontError(ConfigurationError):
    code = "pdf_font"


@dataclass(frozen=True)
class MemoContent:
    lang: str
    title: str
    reference: str
    date: datetime
    intro: str
    sections: Sequence[MemoSection]
    personal_data_facts: bool = False


_TASK = re.compile(r"^(\s*[-*]\s+)\[([ xX])\]\s+", re.MULTILINE)


def _tasks(markdown: str) -> str:
    """Checklist lines as boxes ("□ do this"), which both HTML and PDF show."""
    return _TASK.sub(lambda m: m.group(1) + ("□ " if m.group(2) == " " else "■ "), markdown)


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def ppc_facts(lang: str) -> str:
    """The reporting facts as Markdown in the memo's language."""
    _ = Translator(lang)
    return "\n".join(
        [
            "- "
            + _(
                "Under Japan's amended Act on the Protection of Personal Information (in force "
                "since April 2022), a leak or possible leak of personal data caused by an "
                "unauthorised or malicious act, such as ransomware, must be reported to the "
                "Personal Information Protection Commission and the people concerned must be "
                "told."
            ),
            "- "
            + _(
                "The Commission's guidelines ask for a prompt preliminary report (about 3 to 5 "
                "days after the organisation learns of it) and a final report within 30 days, "
                "or 60 days where the leak was caused by an unauthorised or malicious act."
            ),
            "- " + _("Source: {url}", url=PPC_SOURCE),
            "- "
            + _(
                "These are facts for your reference, not legal advice; confirm your "
                "obligations with your legal counsel."
            ),
        ]
    )


def render_html(memo: MemoContent) -> str:
    """The memo as an HTML fragment (an ``<article>``); every text is escaped."""
    _ = Translator(memo.lang)
    md = _markdown()
    parts = [
        f'<article class="advice-memo" lang="{html.escape(memo.lang)}">',
        f"<h1>{html.escape(memo.title)}</h1>",
        '<p class="memo-meta">'
        + html.escape(_("Case {reference}", reference=memo.reference))
        + " · "
        + html.escape(memo.date.strftime("%Y-%m-%d"))
        + "</p>",
        f'<p class="memo-scope"><strong>{html.escape(scope_statement(memo.lang))}</strong></p>',
    ]
    if memo.intro.strip():
        parts.append(f'<div class="memo-intro">{md.render(memo.intro)}</div>')
    for section in memo.sections:
        parts.append(
            f'<section class="memo-section">{md.render(_tasks(section.markdown))}</section>'
        )
    if memo.personal_data_facts:
        parts.append(
            '<section class="memo-section"><h2>'
            + html.escape(_("Reporting a personal-data leak (facts)"))
            + "</h2>"
            + md.render(ppc_facts(memo.lang))
            + "</section>"
        )
    parts.append("</article>")
    return "\n".join(parts)


# --- PDF ------------------------------------------------------------------------------------


def _fc_match() -> str | None:
    program = shutil.which("fc-match")
    if program is None:
        return None
    try:
        found = subprocess.run(
            [program, "-f", "%{file}", ":lang=ja"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return found if found.lower().endswith((".ttf", ".otf")) else None


@cache
def find_font() -> Path:
    """A TrueType font with Japanese glyphs, or :class:`PdfFontError`."""
    configured = os.environ.get("MADOGUCHI_PDF_FONT", "").strip()
    candidates = [configured] if configured else []
    candidates += list(KNOWN_FONTS)
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    found = _fc_match()
    if found and Path(found).is_file():
        return Path(found)
    raise PdfFontError(
        "no Japanese font for PDF memos: install the Debian package fonts-ipafont-gothic "
        "(or set MADOGUCHI_PDF_FONT to a .ttf file)",
        where="MADOGUCHI_PDF_FONT",
    )


def render_pdf(memo: MemoContent) -> bytes:
    """The memo as a PDF (A4), with a Japanese-capable font."""
    from fpdf import FPDF, FontFace, TextStyle

    font = find_font()
    pdf = FPDF(format="A4")
    pdf.set_title(memo.title)
    pdf.set_creator("madoguchi")
    for style in ("", "B", "I", "BI"):
        pdf.add_font(FONT_NAME, style, str(font))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(FONT_NAME, size=10.5)
    pdf.write_html(
        render_html(memo),
        font_family=FONT_NAME,
        ul_bullet_char="•",
        tag_styles={
            "code": FontFace(family=FONT_NAME),
            "pre": TextStyle(font_family=FONT_NAME, t_margin=4),
        },
    )
    return bytes(pdf.output())
