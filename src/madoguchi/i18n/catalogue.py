"""ja/en message catalogues read from the ``.po`` files with Babel.

The ``msgid`` is the English text, so English needs no catalogue; Japanese comes from
``locales/ja/LC_MESSAGES/messages.po``. The ``.po`` file is compiled in memory on first
use, so there is no build step and no compiled file in the repository.
"""

from __future__ import annotations

import gettext as _gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "messages"
LANGUAGES = ("ja", "en")
LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}


@lru_cache(maxsize=8)
def translations(language: str) -> _gettext.NullTranslations:
    po_path = LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language not in LANGUAGES or not po_path.exists():
        return _gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def gettext(language: str, message: str) -> str:
    return translations(language).gettext(message)


def ngettext(language: str, singular: str, plural: str, n: int) -> str:
    return translations(language).ngettext(singular, plural, n)


def negotiate(accept_language: str | None, *, preferred: str = "", default: str = "ja") -> str:
    """The user's own setting first, then the browser's Accept-Language, then the default."""
    if preferred in LANGUAGES:
        return preferred
    if accept_language:
        ranked: list[tuple[float, int, str]] = []
        for position, part in enumerate(accept_language.split(",")):
            tag, _, params = part.strip().partition(";")
            quality = 1.0
            if params.strip().startswith("q="):
                try:
                    quality = float(params.strip()[2:])
                except ValueError:
                    quality = 0.0
            ranked.append((-quality, position, tag.strip().lower().split("-")[0]))
        for _, _, tag in sorted(ranked):
            if tag in LANGUAGES:
                return tag
    return default if default in LANGUAGES else "ja"


class Translator:
    """Bound to one language; what services and templates call ``_``."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else "en"
        self._t = translations(self.language)

    def __call__(self, message: str, **values: object) -> str:
        text = self._t.gettext(message)
        return text.format(**values) if values else text

    def plural(self, singular: str, plural: str, n: int, **values: object) -> str:
        text = self._t.ngettext(singular, plural, n)
        return text.format(n=n, **values)


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message
