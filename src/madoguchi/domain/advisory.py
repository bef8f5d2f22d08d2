"""Advisories (注意喚起): what the desk tells the public about an attack it has seen.

An ``Advisory`` is the desk's working copy: bilingual text, affected products, CVEs,
the indicators it will carry and the cases it was drawn from. It moves
draft → in review → approved → published; an edit after approval or publication
sends it back to draft. Each publication freezes an ``AdvisoryRevision`` (the text and
the indicators exactly as published); revisions are never changed or removed, so the
public page can show the whole history.

This module also holds the pure checks publication needs: which fields name an
organisation (``fields_naming``), and the slug of a title.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from madoguchi.domain.tlp import TLP


class AdvisoryStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    PUBLISHED = "published"


LANGS = ("ja", "en")


@dataclass(frozen=True, slots=True)
class Bilingual:
    """One text in Japanese and English."""

    ja: str = ""
    en: str = ""

    def get(self, lang: str) -> str:
        """The text in ``lang``, falling back to the other language when it is empty."""
        first, second = (self.ja, self.en) if lang == "ja" else (self.en, self.ja)
        return first or second

    def is_empty(self) -> bool:
        return not (self.ja.strip() or self.en.strip())

    def to_dict(self) -> dict[str, str]:
        return {"ja": self.ja, "en": self.en}

    @classmethod
    def from_dict(cls, data: object) -> Bilingual:
        if isinstance(data, Mapping):
            return cls(ja=str(data.get("ja", "") or ""), en=str(data.get("en", "") or ""))
        return cls()


@dataclass(frozen=True, slots=True)
class AffectedProduct:
    """A product with the versions that are affected and the versions that fix it."""

    product: str
    versions: str = ""
    fixed: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"product": self.product, "versions": self.versions, "fixed": self.fixed}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AffectedProduct:
        return cls(
            product=str(data.get("product", "")),
            versions=str(data.get("versions", "")),
            fixed=str(data.get("fixed", "")),
        )


#: The bilingual text fields, in the order the pages show them.
TEXT_FIELDS = ("title", "summary", "observed", "checks", "mitigations", "change_note")


@dataclass(frozen=True, slots=True)
class AdvisoryContent:
    """Everything an advisory says. ``change_note`` describes what the next revision
    changes (shown in the revision history)."""

    title: Bilingual = field(default_factory=Bilingual)
    summary: Bilingual = field(default_factory=Bilingual)
    observed: Bilingual = field(default_factory=Bilingual)
    checks: Bilingual = field(default_factory=Bilingual)
    mitigations: Bilingual = field(default_factory=Bilingual)
    change_note: Bilingual = field(default_factory=Bilingual)
    affected: tuple[AffectedProduct, ...] = ()
    cves: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def text(self, name: str) -> Bilingual:
        value = getattr(self, name)
        assert isinstance(value, Bilingual)
        return value

    def products(self) -> list[str]:
        return [item.product for item in self.affected if item.product]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: self.text(name).to_dict() for name in TEXT_FIELDS}
        data["affected"] = [item.to_dict() for item in self.affected]
        data["cves"] = list(self.cves)
        data["references"] = list(self.references)
        data["tags"] = list(self.tags)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AdvisoryContent:
        texts = {name: Bilingual.from_dict(data.get(name)) for name in TEXT_FIELDS}
        return cls(
            **texts,
            affected=tuple(
                AffectedProduct.from_dict(item)
                for item in data.get("affected", ())
                if isinstance(item, Mapping)
            ),
            cves=tuple(str(c) for c in data.get("cves", ())),
            references=tuple(str(r) for r in data.get("references", ())),
            tags=tuple(str(t) for t in data.get("tags", ())),
        )

    def searchable_fields(self) -> dict[str, str]:
        """Every published text by a field name a person recognises (``title.ja`` …)."""
        found: dict[str, str] = {}
        for name in TEXT_FIELDS:
            text = self.text(name)
            found[f"{name}.ja"] = text.ja
            found[f"{name}.en"] = text.en
        for position, item in enumerate(self.affected, start=1):
            found[f"affected.{position}"] = f"{item.product} {item.versions} {item.fixed}"
        found["cves"] = " ".join(self.cves)
        found["references"] = " ".join(self.references)
        found["tags"] = " ".join(self.tags)
        return found


@dataclass(frozen=True, slots=True)
class PublishedIndicator:
    """An indicator as an advisory carried it when it was published."""

    type: str
    value: str
    description: str = ""
    confidence: int = 50
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    added: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "value": self.value,
            "description": self.description,
            "confidence": self.confidence,
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "added": self.added.isoformat() if self.added else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PublishedIndicator:
        return cls(
            type=str(data.get("type", "")),
            value=str(data.get("value", "")),
            description=str(data.get("description", "")),
            confidence=int(data.get("confidence", 50)),
            first_seen=_time(data.get("first_seen")),
            last_seen=_time(data.get("last_seen")),
            added=_time(data.get("added")),
        )


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


@dataclass(eq=False)
class Advisory:
    slug: str
    content: AdvisoryContent
    created_at: datetime
    updated_at: datetime
    id: int | None = None
    status: AdvisoryStatus = AdvisoryStatus.DRAFT
    tlp: TLP = TLP.CLEAR
    case_ids: tuple[int, ...] = ()
    indicator_ids: tuple[int, ...] = ()
    source: str = ""
    created_by: int | None = None
    updated_by: int | None = None
    review_requested_by: int | None = None
    approved_by: int | None = None
    approved_at: datetime | None = None
    published_at: datetime | None = None
    revision: int = 0

    @property
    def is_public(self) -> bool:
        """Published at least once (the last published revision is on the public site)."""
        return self.revision > 0

    def edited(self, content: AdvisoryContent, by: int | None, at: datetime) -> Advisory:
        """A copy with new content; any review or approval no longer holds."""
        return replace(
            self,
            content=content,
            updated_by=by,
            updated_at=at,
            status=AdvisoryStatus.DRAFT,
            review_requested_by=None,
            approved_by=None,
            approved_at=None,
        )


@dataclass(frozen=True, slots=True)
class AdvisoryRevision:
    """One publication of an advisory, frozen."""

    advisory_id: int
    number: int
    content: AdvisoryContent
    indicators: tuple[PublishedIndicator, ...]
    published_at: datetime
    published_by: int | None = None
    approved_by: int | None = None
    id: int | None = None


# --- slugs -------------------------------------------------------------------------------

_SLUG_STRIP = re.compile(r"[^a-z0-9]+")


def slugify(text: str, *, fallback: str = "advisory", limit: int = 60) -> str:
    """A URL-safe lower-case slug from an English title (``fallback`` when nothing is left)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _SLUG_STRIP.sub("-", ascii_text.lower()).strip("-")[:limit].strip("-")
    return slug or fallback


# --- organisation names in text ----------------------------------------------------------

_LEGAL_FORMS = (
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "一般社団法人",
    "一般財団法人",
    "公益社団法人",
    "公益財団法人",
    "独立行政法人",
    "国立大学法人",
    "学校法人",
    "医療法人",
    "社会福祉法人",
    "特定非営利活動法人",
    "(株)",
    "(有)",
    "㈱",
    "㈲",
)
_LATIN_FORMS = re.compile(
    r"\b(?:k\.?\s?k\.?|co\.?|ltd\.?|inc\.?|corp\.?|corporation|company|limited|llc|"
    r"gmbh|plc|s\.?a\.?|ag|holdings?|group)(?=\W|$)",
)
_SPACES = re.compile(r"\s+")


def _normal(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub(" ", folded).strip()


def _is_latin(text: str) -> bool:
    return all(ord(ch) < 0x3000 for ch in text)


def name_variants(name: str) -> set[str]:
    """The normalised name, and the name without its legal form (株式会社, K.K., Ltd. …)
    when enough of it is left to be specific."""
    full = _normal(name)
    variants = {full} if len(full) >= 2 else set()
    core = full
    for form in _LEGAL_FORMS:
        core = core.replace(_normal(form), " ")
    core = _LATIN_FORMS.sub(" ", core)
    core = _SPACES.sub(" ", core).strip(" ,.-・")
    minimum = 4 if _is_latin(core) else 2
    if len(core) >= minimum:
        variants.add(core)
    return variants


def _mentions(text: str, variant: str) -> bool:
    if _is_latin(variant):
        pattern = r"(?<![0-9a-z])" + re.escape(variant) + r"(?![0-9a-z])"
        return re.search(pattern, text) is not None
    return variant in text


def fields_naming(
    fields: Mapping[str, str], names: Iterable[str], exact: Iterable[str] = ()
) -> list[str]:
    """The field names whose text mentions any of ``names`` (with or without their legal
    form) or any of ``exact`` (domains, as they are); never says which one matched."""
    variants: set[str] = set()
    for name in names:
        if name and name.strip():
            variants |= name_variants(name)
    variants |= {_normal(value) for value in exact if len(_normal(value)) >= 4}
    if not variants:
        return []
    found = []
    for field_name, text in fields.items():
        normal = _normal(text)
        if normal and any(_mentions(normal, variant) for variant in variants):
            found.append(field_name)
    return found
