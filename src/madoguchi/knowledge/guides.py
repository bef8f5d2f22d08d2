"""Product investigation guides: which logs exist, how to export and preserve them.

Each guide is ``knowledge/guides/<lang>/<id>.md`` (``ja`` and ``en``, same ids), Markdown
with YAML front matter::

    ---
    id: panos
    title: Palo Alto Networks PAN-OS / GlobalProtect
    products: [PAN-OS, GlobalProtect, Palo Alto Networks]
    analyzers: [panos, weblogs]
    updated: 2025-06-01
    references: [https://security.paloaltonetworks.com/CVE-2024-3400]
    ---

The body stays Markdown; the web layer renders it. ``guides_for_products`` matches the
"affected products" of a case against ``products`` ignoring case, punctuation and
version numbers ("PAN-OS 10.2.9" finds the PAN-OS guide).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from madoguchi.domain.errors import NotFoundError
from madoguchi.knowledge import yaml_load
from madoguchi.knowledge.datafiles import (
    KNOWLEDGE_DIR,
    LANGUAGES,
    Reader,
    check_lang,
    display_name,
    normalise_text,
)

GUIDE_DIR = KNOWLEDGE_DIR / "guides"
_FRONT = re.compile(r"\A---\s*\n(?P<meta>.*?)\n---\s*\n(?P<body>.*)\Z", re.DOTALL)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_WORD = re.compile(r"[a-z][a-z0-9]*|[^\x00-\x7f]+")
_ALLOWED = frozenset({"id", "title", "products", "analyzers", "updated", "references"})


@dataclass(frozen=True, slots=True)
class Guide:
    id: str
    lang: str
    title: str
    products: tuple[str, ...]
    analyzers: tuple[str, ...]
    updated: str
    references: tuple[str, ...]
    body: str
    path: str


def _words(text: str) -> tuple[str, ...]:
    """Lower-case words without punctuation or version numbers ("PAN-OS 10.2" -> pan, os)."""
    return tuple(_WORD.findall(normalise_text(text).lower()))


def _read(path: Path, lang: str, reader: Reader) -> Guide | None:
    name = display_name(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        reader.problem(name, "", f"cannot read: {exc.strerror or exc}")
        return None
    match = _FRONT.match(text)
    if match is None:
        reader.problem(name, "", "missing YAML front matter between '---' lines")
        return None
    try:
        meta = yaml_load.safe_load(match["meta"])
    except yaml.YAMLError as exc:
        reader.problem(name, "", f"front matter is not valid YAML: {exc}")
        return None
    if not isinstance(meta, dict):
        reader.problem(name, "", "front matter must be a mapping")
        return None
    reader.unknown_keys(name, "", meta, _ALLOWED)
    ident = str(meta.get("id", ""))
    if not _ID.match(ident) or ident != path.stem:
        reader.problem(name, "", f"id {ident!r} must be lower-case and equal the file name")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        reader.problem(name, ident, "title: missing")
        return None
    products = reader.strings(name, ident, meta.get("products"), "products")
    if not products:
        reader.problem(name, ident, "products: at least one product name is needed")
    if not match["body"].strip():
        reader.problem(name, ident, "the guide has no text")
    return Guide(
        id=ident,
        lang=lang,
        title=title.strip(),
        products=products,
        analyzers=reader.strings(name, ident, meta.get("analyzers"), "analyzers"),
        updated=str(meta.get("updated", "")),
        references=reader.strings(name, ident, meta.get("references"), "references"),
        body=match["body"].strip() + "\n",
        path=name,
    )


@cache
def _load(directory: Path) -> tuple[Guide, ...]:
    reader = Reader()
    guides: list[Guide] = []
    ids: dict[str, set[str]] = {}
    for lang in LANGUAGES:
        for path in sorted((directory / lang).glob("*.md")):
            guide = _read(path, lang, reader)
            if guide is not None:
                guides.append(guide)
                ids.setdefault(lang, set()).add(guide.id)
    ja, en = ids.get("ja", set()), ids.get("en", set())
    for missing in sorted(ja ^ en):
        where = "en" if missing in ja else "ja"
        reader.problem(f"guides/{where}/{missing}.md", missing, "guide exists in one language only")
    reader.raise_if_any()
    return tuple(guides)


def load_guides(directory: Path = GUIDE_DIR) -> list[Guide]:
    """Every guide in every language; raises ``KnowledgeDataError`` listing all problems."""
    return list(_load(directory))


def get_guide(guide_id: str, lang: str, directory: Path = GUIDE_DIR) -> Guide:
    wanted = check_lang(lang)
    for guide in _load(directory):
        if guide.id == guide_id and guide.lang == wanted:
            return guide
    raise NotFoundError(f"no guide {guide_id!r} in {wanted}", where="guide")


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    size = len(needle)
    return size > 0 and any(
        haystack[i : i + size] == needle for i in range(len(haystack) - size + 1)
    )


def guides_for_products(
    products: Iterable[str], lang: str, directory: Path = GUIDE_DIR
) -> list[Guide]:
    """Guides whose product names appear in any of ``products`` (case and versions ignored)."""
    wanted = check_lang(lang)
    asked = [_words(p) for p in products if p and p.strip()]
    found: list[Guide] = []
    for guide in _load(directory):
        if guide.lang != wanted:
            continue
        names = [_words(n) for n in guide.products]
        if any(_contains(words, name) for words in asked for name in names):
            found.append(guide)
    return sorted(found, key=lambda g: g.id)
