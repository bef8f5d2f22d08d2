"""Advice playbooks: Markdown files the desk picks sections from when it writes advice.

Each playbook exists in ``knowledge/playbooks/ja/<id>.md`` and ``.../en/<id>.md`` with
the same ids. A file starts with YAML front matter::

    ---
    id: ransomware-esxi
    title: First response to ransomware on VMware ESXi
    summary: One paragraph saying when to use it.
    order: 20
    applies_to:
      categories: [ransomware]
      products: ['\\besxi\\b', 'vcenter']     # case-insensitive patterns
      families: [akira, blacksuit]           # ransomware family ids, lowercase
    sources: [https://...]
    ---

Sections are level-2 headings carrying an id, ``## Keep the host running {#keep-running}``;
checklist items are task lines with an id, ``- [ ] Copy /var/log off the host {#copy-logs}``.
``{{name}}`` marks a placeholder the desk fills in (e.g. ``{{decryptor_availability}}``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from madoguchi.domain.case import Category
from madoguchi.domain.errors import NotFoundError
from madoguchi.knowledge import yaml_load
from madoguchi.knowledge.datafiles import (
    KNOWLEDGE_DIR,
    LANGUAGES,
    LocalText,
    Problem,
    Reader,
    any_pattern_matches,
    check_lang,
    display_name,
)

PLAYBOOK_DIR = KNOWLEDGE_DIR / "playbooks"

SCOPE_STATEMENT = LocalText(
    ja=(
        "この助言は、ご相談いただいた時点で窓口が把握している情報にもとづく技術的な参考情報です。"
        "インシデント報告書ではなく、法的な助言でもありません。対応の判断と実施は貴組織の責任で行ってください。"
    ),
    en=(
        "This advice is technical reference information based on what the desk knew when you "
        "consulted it. It is not an incident report and not legal advice; decisions on the "
        "response remain your organisation's."
    ),
)

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_FAMILY = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_HEADING = re.compile(r"^##\s+(?P<title>.+?)\s*(?:\{#(?P<id>[^}]*)\})?\s*$")
_TASK = re.compile(r"^\s*[-*]\s+\[[ xX]\]\s+(?P<text>.+?)\s*(?:\{#(?P<id>[^}]*)\})?\s*$")
_ATTRIBUTE = re.compile(r"\s*\{#[a-z0-9-]+\}")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)\s*\}\}")
_FRONT_KEYS = frozenset({"id", "title", "summary", "order", "applies_to", "sources"})
_APPLIES_KEYS = frozenset({"categories", "products", "families", "always"})
_CATEGORIES = frozenset(c.value for c in Category)

# Weights used to rank playbooks for a case: a family match says most, then a product.
FAMILY_WEIGHT = 4
PRODUCT_WEIGHT = 2
CATEGORY_WEIGHT = 1


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    id: str
    text: str


@dataclass(frozen=True, slots=True)
class PlaybookSection:
    id: str
    title: str
    markdown: str
    """The section as written, heading included, ids still in place."""
    checklist: tuple[ChecklistItem, ...]
    placeholders: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Playbook:
    id: str
    lang: str
    title: str
    summary: str
    order: int
    sections: tuple[PlaybookSection, ...]
    categories: tuple[str, ...] = ()
    products: tuple[re.Pattern[str], ...] = ()
    families: tuple[str, ...] = ()
    always: bool = False
    sources: tuple[str, ...] = ()

    def section(self, section_id: str) -> PlaybookSection:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise NotFoundError(f"playbook {self.id} has no section {section_id!r}", where=self.id)

    def score(
        self, categories: Iterable[str], products: Iterable[str], families: Iterable[str]
    ) -> int:
        """How well the playbook fits a case; 0 means it does not apply."""
        score = 0
        if set(self.families) & {f.lower() for f in families}:
            score += FAMILY_WEIGHT
        if any_pattern_matches(self.products, tuple(products)):
            score += PRODUCT_WEIGHT
        if set(self.categories) & {str(c) for c in categories}:
            score += CATEGORY_WEIGHT
        return score


@dataclass(frozen=True, slots=True)
class MemoSection:
    """A section ready for an advice memo: ids removed, placeholders filled where given."""

    playbook_id: str
    section_id: str
    title: str
    markdown: str
    unfilled: tuple[str, ...]
    """Placeholders still in ``markdown``; the handler must fill them before sending."""


# --- loading ------------------------------------------------------------------------------


def load_playbooks(lang: str, directory: Path | None = None) -> tuple[Playbook, ...]:
    """Every playbook in ``lang`` ('ja' or 'en'), ordered by ``order`` then id."""
    language = check_lang(lang)
    if directory is None:
        return _builtin_playbooks(language)
    return _load(directory / language, language)


@cache
def _builtin_playbooks(lang: str) -> tuple[Playbook, ...]:
    return _load(PLAYBOOK_DIR / lang, lang)


def _load(directory: Path, lang: str) -> tuple[Playbook, ...]:
    reader = Reader()
    paths = sorted(directory.glob("*.md"))
    if not paths:
        reader.problem(display_name(directory), "", "no playbooks (*.md)")
    playbooks: list[Playbook] = []
    seen: set[str] = set()
    for path in paths:
        playbook = _read_playbook(reader, path, lang)
        if playbook is None:
            continue
        if playbook.id in seen:
            reader.problem(display_name(path), playbook.id, "playbook id used twice")
        seen.add(playbook.id)
        playbooks.append(playbook)
    reader.raise_if_any()
    return tuple(sorted(playbooks, key=lambda p: (p.order, p.id)))


def _split_front_matter(text: str) -> tuple[str, str] | None:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    for end, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "\n".join(lines[1:end]), "\n".join(lines[end + 1 :])
    return None


def _read_playbook(reader: Reader, path: Path, lang: str) -> Playbook | None:
    name = display_name(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reader.problem(name, "", f"cannot read: {exc}")
        return None
    parts = _split_front_matter(text)
    if parts is None:
        reader.problem(name, "", "missing YAML front matter between '---' lines")
        return None
    front = _parse_front(reader, name, parts[0])
    if front is None:
        return None
    pid = front.get("id")
    if not isinstance(pid, str) or not _ID.match(pid):
        reader.problem(name, "", f"id {pid!r} must be lowercase letters, digits and '-'")
        return None
    if pid != path.stem:
        reader.problem(name, pid, f"id must equal the file name {path.stem!r}")
    reader.unknown_keys(name, pid, front, _FRONT_KEYS)
    title, summary = front.get("title"), front.get("summary")
    if not isinstance(title, str) or not title.strip():
        reader.problem(name, pid, "title: missing")
    if not isinstance(summary, str) or not summary.strip():
        reader.problem(name, pid, "summary: missing")
    order = front.get("order", 100)
    if not isinstance(order, int) or isinstance(order, bool):
        reader.problem(name, pid, "order must be an integer")
        order = 100
    applies = front.get("applies_to")
    if not isinstance(applies, Mapping):
        reader.problem(name, pid, "applies_to: expected a mapping")
        applies = {}
    reader.unknown_keys(name, pid, applies, _APPLIES_KEYS)
    categories = reader.strings(name, pid, applies.get("categories"), "applies_to.categories")
    for category in categories:
        if category not in _CATEGORIES:
            reader.problem(name, pid, f"applies_to.categories: unknown category {category!r}")
    families = reader.strings(name, pid, applies.get("families"), "applies_to.families")
    for family in families:
        if not _FAMILY.match(family):
            reader.problem(name, pid, f"applies_to.families: {family!r} must be a lowercase id")
    products = reader.patterns(name, pid, applies.get("products"), "applies_to.products")
    always = applies.get("always", False) is True
    if not (always or categories or products or families):
        reader.problem(name, pid, "applies_to selects no case")
    sources = reader.strings(name, pid, front.get("sources"), "sources")
    sections = _parse_sections(reader, name, pid, parts[1])
    if not isinstance(title, str) or not isinstance(summary, str):
        return None
    return Playbook(
        id=pid,
        lang=lang,
        title=title.strip(),
        summary=summary.strip(),
        order=order,
        sections=sections,
        categories=categories,
        products=products,
        families=families,
        always=always,
        sources=sources,
    )


def _parse_front(reader: Reader, name: str, text: str) -> Mapping[str, object] | None:
    try:
        data = yaml_load.safe_load(text)
    except yaml.YAMLError as exc:
        reader.problem(name, "", f"front matter is not valid YAML: {exc}")
        return None
    if not isinstance(data, Mapping):
        reader.problem(name, "", "front matter must be a mapping")
        return None
    return data


def _parse_sections(reader: Reader, name: str, pid: str, body: str) -> tuple[PlaybookSection, ...]:
    sections: list[PlaybookSection] = []
    current: list[str] = []
    heading: re.Match[str] | None = None
    in_code = False
    for line in [*body.splitlines(), None]:
        if line is not None and line.lstrip().startswith("```"):
            in_code = not in_code
        found = _HEADING.match(line) if line is not None and not in_code else None
        if line is None or found:
            if heading is not None:
                section = _make_section(reader, name, pid, heading, current)
                if section is not None:
                    sections.append(section)
            elif any(text.strip() for text in current):
                reader.problem(name, pid, "text before the first '## ' section heading")
            heading, current = found, []
            if line is not None:
                current.append(line)
        else:
            current.append(line)
    if not sections:
        reader.problem(name, pid, "no '## ... {#id}' sections")
    _check_unique_ids(reader, name, pid, sections)
    return tuple(sections)


def _make_section(
    reader: Reader, name: str, pid: str, heading: re.Match[str], lines: list[str]
) -> PlaybookSection | None:
    sid = heading.group("id")
    if sid is None or not _ID.match(sid):
        reader.problem(
            name, pid, f"section {heading.group('title')!r} needs an id '{{#lower-case-id}}'"
        )
        return None
    checklist: list[ChecklistItem] = []
    for line in lines[1:]:
        task = _TASK.match(line)
        if task is None:
            continue
        item_id = task.group("id")
        if item_id is None or not _ID.match(item_id):
            reader.problem(
                name, f"{pid}/{sid}", f"checklist item {task.group('text')!r} needs an id"
            )
            continue
        checklist.append(ChecklistItem(item_id, task.group("text").strip()))
    markdown = "\n".join(lines).strip()
    placeholders = tuple(dict.fromkeys(_PLACEHOLDER.findall(markdown)))
    return PlaybookSection(
        id=sid,
        title=heading.group("title").strip(),
        markdown=markdown,
        checklist=tuple(checklist),
        placeholders=placeholders,
    )


def _check_unique_ids(reader: Reader, name: str, pid: str, sections: list[PlaybookSection]) -> None:
    seen_sections: set[str] = set()
    seen_items: set[str] = set()
    for section in sections:
        if section.id in seen_sections:
            reader.problem(name, pid, f"section id {section.id!r} used twice")
        seen_sections.add(section.id)
        for item in section.checklist:
            if item.id in seen_items:
                reader.problem(name, f"{pid}/{section.id}", f"checklist id {item.id!r} used twice")
            seen_items.add(item.id)


def translation_problems() -> list[Problem]:
    """Differences in structure between the Japanese and English built-in playbooks.

    Both languages must have the same playbooks, the same section ids in the same order,
    the same checklist ids, placeholders and ``applies_to``.
    """
    ja = {p.id: p for p in load_playbooks("ja")}
    en = {p.id: p for p in load_playbooks("en")}
    problems: list[Problem] = []
    for pid in sorted(set(ja) ^ set(en)):
        missing = "en" if pid in ja else "ja"
        problems.append(Problem(f"playbooks/{missing}", pid, "playbook missing in this language"))
    for pid in sorted(set(ja) & set(en)):
        problems.extend(_compare(ja[pid], en[pid]))
    return problems


def _compare(ja: Playbook, en: Playbook) -> list[Problem]:
    file = f"playbooks/{{ja,en}}/{ja.id}.md"
    problems: list[Problem] = []

    def differ(what: str, left: object, right: object) -> None:
        if left != right:
            problems.append(Problem(file, ja.id, f"{what} differ: ja={left!r} en={right!r}"))

    differ("section ids", [s.id for s in ja.sections], [s.id for s in en.sections])
    differ(
        "checklist ids",
        [(s.id, [c.id for c in s.checklist]) for s in ja.sections],
        [(s.id, [c.id for c in s.checklist]) for s in en.sections],
    )
    differ(
        "placeholders",
        sorted({p for s in ja.sections for p in s.placeholders}),
        sorted({p for s in en.sections for p in s.placeholders}),
    )
    differ("categories", ja.categories, en.categories)
    differ("families", ja.families, en.families)
    differ("products", [p.pattern for p in ja.products], [p.pattern for p in en.products])
    differ("order", ja.order, en.order)
    differ("always", ja.always, en.always)
    return problems


# --- selection and memos ------------------------------------------------------------------


def playbooks_for(
    categories: Iterable[str],
    products: Iterable[str],
    families: Iterable[str],
    lang: str,
) -> list[Playbook]:
    """Playbooks that apply to a case, best fit first.

    A family match weighs most, then a product match, then a category; playbooks marked
    ``always`` come last. Ties keep the playbooks' own order.
    """
    wanted_categories = tuple(str(c) for c in categories)
    wanted_products = tuple(p for p in products if p)
    wanted_families = tuple(f.lower() for f in families if f)
    ranked: list[tuple[int, int, str, Playbook]] = []
    for playbook in load_playbooks(lang):
        score = playbook.score(wanted_categories, wanted_products, wanted_families)
        if score == 0 and not playbook.always:
            continue
        ranked.append((-score, playbook.order, playbook.id, playbook))
    ranked.sort(key=lambda entry: entry[:3])
    return [entry[3] for entry in ranked]


def compose_memo_sections(
    playbook_ids: Iterable[str],
    section_ids: Iterable[str] | None,
    lang: str,
    values: Mapping[str, str] | None = None,
) -> list[MemoSection]:
    """The chosen sections of the chosen playbooks, in playbook then section order.

    ``section_ids`` holds plain section ids (taken from every chosen playbook that has
    them) or ``"playbook-id/section-id"``; ``None`` takes every section. ``values`` fills
    ``{{placeholders}}``. Unknown playbook or section ids raise
    :class:`~madoguchi.domain.errors.NotFoundError`.
    """
    by_id = {p.id: p for p in load_playbooks(lang)}
    chosen: list[Playbook] = []
    for pid in playbook_ids:
        if pid not in by_id:
            raise NotFoundError(f"no playbook {pid!r}", where="playbook_ids")
        if by_id[pid] not in chosen:
            chosen.append(by_id[pid])
    wanted = None if section_ids is None else set(section_ids)
    used: set[str] = set()
    memo: list[MemoSection] = []
    for playbook in chosen:
        for section in playbook.sections:
            qualified = f"{playbook.id}/{section.id}"
            if wanted is not None and section.id not in wanted and qualified not in wanted:
                continue
            used.update({section.id, qualified})
            memo.append(_memo_section(playbook.id, section, values or {}))
    if wanted is not None and wanted - used:
        missing = sorted(wanted - used)
        raise NotFoundError(
            f"no such sections in the chosen playbooks: {missing}", where="section_ids"
        )
    return memo


def _memo_section(
    playbook_id: str, section: PlaybookSection, values: Mapping[str, str]
) -> MemoSection:
    markdown = _ATTRIBUTE.sub("", section.markdown)

    def fill(found: re.Match[str]) -> str:
        key = found.group(1)
        return values[key] if key in values else found.group(0)

    markdown = _PLACEHOLDER.sub(fill, markdown)
    unfilled = tuple(dict.fromkeys(_PLACEHOLDER.findall(markdown)))
    return MemoSection(playbook_id, section.id, section.title, markdown, unfilled)


def scope_statement(lang: str) -> str:
    """The statement every advice memo carries: not an incident report, not legal advice."""
    return SCOPE_STATEMENT.get(check_lang(lang))


__all__ = [
    "LANGUAGES",
    "SCOPE_STATEMENT",
    "ChecklistItem",
    "MemoSection",
    "Playbook",
    "PlaybookSection",
    "compose_memo_sections",
    "load_playbooks",
    "playbooks_for",
    "scope_statement",
    "translation_problems",
]
