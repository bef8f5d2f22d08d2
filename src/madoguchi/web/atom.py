"""The Atom 1.0 feed of published advisories (RFC 4287), one feed per language.

Ids are ``urn:uuid:`` values derived from the desk's address, the advisory's slug and the
language, so they never change; ``updated`` is the time of the latest revision.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from madoguchi.domain.advisory import Advisory, AdvisoryRevision

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
_NAMESPACE = uuid.UUID("c5f3f0a6-7f43-5f0e-9b8a-6d61646f6174")
#: ``updated`` of a feed without entries.
EMPTY_UPDATED = datetime(2026, 1, 1, tzinfo=UTC)


def atom_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _urn(*parts: str) -> str:
    return "urn:uuid:" + str(uuid.uuid5(_NAMESPACE, "|".join(parts)))


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def advisory_feed(
    published: Sequence[tuple[Advisory, AdvisoryRevision]],
    *,
    base_url: str,
    lang: str,
    title: str,
    author: str,
) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": lang})
    _add(feed, "id", _urn(base_url, "advisories", lang))
    _add(feed, "title", title)
    newest = max((revision.published_at for _, revision in published), default=EMPTY_UPDATED)
    _add(feed, "updated", atom_time(newest))
    _add(feed, "link", rel="self", href=f"{base_url}/advisories.atom?lang={lang}")
    _add(feed, "link", rel="alternate", type="text/html", href=f"{base_url}/advisories?lang={lang}")
    _add(_add(feed, "author"), "name", author)
    _add(feed, "generator", "madoguchi")
    for advisory, revision in published:
        content = revision.content
        entry = _add(feed, "entry")
        _add(entry, "id", _urn(base_url, "advisory", advisory.slug, lang))
        _add(entry, "title", content.title.get(lang))
        _add(entry, "updated", atom_time(revision.published_at))
        _add(entry, "published", atom_time(advisory.published_at or revision.published_at))
        href = f"{base_url}/advisories/{advisory.slug}?lang={lang}"
        _add(entry, "link", rel="alternate", type="text/html", href=href)
        _add(
            entry,
            "link",
            rel="related",
            type="application/stix+json;version=2.1",
            href=f"{base_url}/advisories/{advisory.slug}.json",
        )
        _add(entry, "summary", content.summary.get(lang), type="text")
        for cve in content.cves:
            _add(entry, "category", term=cve)
    body: bytes = ET.tostring(feed, encoding="utf-8")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body
