"""TAXII 2.1 collections: what each token may read, one page at a time.

Two collections: the desk's indicators (with their sightings) and the published
advisories. A desk member reads everything. A member organisation reads TLP:CLEAR and
TLP:GREEN indicators, TLP:AMBER ones only when they were seen in (or taken from) a case
its organisation is a party to, and only the sightings from those cases — sightings
never say who saw them. AMBER+STRICT and RED never leave the desk through TAXII.

Objects are ordered by the time they were added; a page ends at a position
``(added, stream, id)`` that the opaque ``next`` token carries, so paging is stable
while new objects arrive.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from madoguchi.domain.errors import NotFoundError, ValidationError
from madoguchi.domain.indicator import IndicatorType
from madoguchi.domain.organisation import Actor
from madoguchi.domain.tlp import TLP
from madoguchi.i18n.catalogue import N_
from madoguchi.ports import IndicatorScope, UnitOfWork
from madoguchi.services import access, audit
from madoguchi.services.advisory_stix import (
    EPOCH,
    advisory_objects,
    identity_object,
    indicator_object,
    marking_objects,
    sighting_object,
)

MEDIA_TAXII = "application/taxii+json;version=2.1"
MEDIA_STIX = "application/stix+json;version=2.1"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_NAMESPACE = uuid.UUID("5d0c4f5e-2f4b-5a8e-8a47-6d61646f7461")
_LAST = 2**31 - 1  # above every id (ids are 32-bit integers)


@dataclass(frozen=True)
class Collection:
    alias: str
    title: str
    description: str

    @property
    def id(self) -> str:
        return str(uuid.uuid5(_NAMESPACE, self.alias))

    def resource(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "alias": self.alias,
            "can_read": True,
            "can_write": False,
            "media_types": [MEDIA_STIX],
        }


INDICATORS = Collection(
    "madoguchi-indicators",
    "madoguchi indicators",
    "Indicators the desk holds, with sightings from your own cases, as far as TLP allows.",
)
ADVISORIES = Collection(
    "madoguchi-advisories",
    "madoguchi advisories",
    "Published advisories (TLP:CLEAR): report, indicators and CVEs.",
)
COLLECTIONS = (INDICATORS, ADVISORIES)


def find_collection(key: str) -> Collection:
    for collection in COLLECTIONS:
        if key in (collection.id, collection.alias):
            return collection
    raise NotFoundError(N_("collection not found"))


@dataclass(frozen=True)
class ObjectQuery:
    added_after: datetime | None = None
    limit: int = DEFAULT_LIMIT
    next: str = ""
    ids: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    versions: frozenset[str] = frozenset()
    spec_versions: frozenset[str] = frozenset()


Position = tuple[datetime, int, int]


@dataclass(frozen=True)
class Entry:
    added: datetime
    stream: int
    key: int
    obj: dict[str, Any]

    @property
    def position(self) -> Position:
        return (self.added, self.stream, self.key)

    @property
    def version(self) -> str:
        return str(self.obj.get("modified") or self.obj.get("created") or "")


@dataclass(frozen=True)
class Page:
    entries: list[Entry] = field(default_factory=list)
    more: bool = False
    next: str = ""

    @property
    def first_added(self) -> datetime | None:
        return self.entries[0].added if self.entries else None

    @property
    def last_added(self) -> datetime | None:
        return self.entries[-1].added if self.entries else None


def taxii_time(moment: datetime) -> str:
    """TAXII timestamps: UTC with microseconds, so ``added_after`` can be exact."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise ValidationError(N_("not a valid timestamp"), where=name) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _encode(position: Position) -> str:
    text = f"{position[0].isoformat()}|{position[1]}|{position[2]}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(token: str) -> Position:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        moment, stream, key = raw.split("|")
        return (datetime.fromisoformat(moment), int(stream), int(key))
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise ValidationError(N_("the next token is not valid"), where="next") from error


# --- who reads what ----------------------------------------------------------------------


def _scope(uow: UnitOfWork, actor: Actor) -> tuple[IndicatorScope, list[int] | None]:
    """The indicator scope and the cases whose sightings the actor may read (None: all)."""
    if actor.is_desk:
        return IndicatorScope(levels=frozenset(TLP)), None
    cases = list(uow.advisories.party_case_ids(actor.organisation_ids))
    scope = IndicatorScope(
        levels=frozenset({TLP.CLEAR, TLP.GREEN}),
        case_levels=frozenset({TLP.AMBER}),
        case_ids=tuple(cases),
    )
    return scope, cases


_SDO_KINDS: dict[str, tuple[IndicatorType, ...]] = {
    "vulnerability": (IndicatorType.CVE,),
    "attack-pattern": (IndicatorType.ATTACK_TECHNIQUE,),
    "indicator": tuple(
        k for k in IndicatorType if k not in (IndicatorType.CVE, IndicatorType.ATTACK_TECHNIQUE)
    ),
}

Stream = Callable[[Position | None, int], Iterable[Entry]]


def _stream_after(stream: int, after: Position | None) -> tuple[datetime, int] | None:
    """The (time, id) position of one stream that corresponds to a merged position."""
    if after is None:
        return None
    moment, after_stream, key = after
    if after_stream < stream:
        return (moment, 0)
    if after_stream == stream:
        return (moment, key)
    return (moment, _LAST)


def _fixed_stream(objects: list[dict[str, Any]]) -> Stream:
    return _stream_of([Entry(EPOCH, 0, n, obj) for n, obj in enumerate(objects, start=1)])


def _stream_of(entries: list[Entry]) -> Stream:
    """A stream over entries already in memory, sorted by position."""

    def read(after: Position | None, limit: int) -> Iterable[Entry]:
        return [e for e in entries if after is None or e.position > after][:limit]

    return read


def _indicator_streams(uow: UnitOfWork, actor: Actor, types: frozenset[str]) -> list[Stream]:
    scope, cases = _scope(uow, actor)
    streams: list[Stream] = []
    if not types or types & {"identity", "marking-definition"}:
        fixed = [*marking_objects(scope.levels | scope.case_levels), identity_object()]
        streams.append(_fixed_stream(fixed))
    kinds = tuple(k for name in sorted(types) for k in _SDO_KINDS.get(name, ()))
    if not types or kinds:
        indicator_scope = IndicatorScope(
            scope.levels, scope.case_levels, scope.case_ids, kinds=kinds
        )

        def indicators(after: Position | None, limit: int) -> Iterable[Entry]:
            rows = uow.advisories.indicator_stream(indicator_scope, _stream_after(1, after), limit)
            return [
                Entry(row.added, 1, row.indicator.id or 0, indicator_object(row)) for row in rows
            ]

        streams.append(indicators)
    if not types or "sighting" in types:

        def sightings(after: Position | None, limit: int) -> Iterable[Entry]:
            rows = uow.advisories.sighting_stream(scope, cases, _stream_after(2, after), limit)
            return [Entry(row.added, 2, row.id, sighting_object(row)) for row in rows]

        streams.append(sightings)
    return streams


def _advisory_stream(uow: UnitOfWork, base_url: str) -> Stream:
    entries: list[Entry] = []
    seen: set[tuple[str, str]] = set()
    published = sorted(uow.advisories.published(), key=lambda pair: pair[1].published_at)
    for advisory, revision in published:
        url = f"{base_url}/advisories/{advisory.slug}"
        for number, obj in enumerate(advisory_objects(advisory, revision, url)):
            version = str(obj.get("modified") or obj.get("created"))
            if (obj["id"], version) in seen:
                continue
            seen.add((obj["id"], version))
            key = (advisory.id or 0) * 100_000 + number
            entries.append(Entry(revision.published_at, 3, key, obj))
    entries.sort(key=lambda e: e.position)
    return _stream_of(entries)


def _matches(entry: Entry, query: ObjectQuery) -> bool:
    obj = entry.obj
    if query.ids and obj.get("id") not in query.ids:
        return False
    if query.types and obj.get("type") not in query.types:
        return False
    if query.spec_versions and obj.get("spec_version", "2.1") not in query.spec_versions:
        return False
    specific = query.versions - {"last", "first", "all"}
    return not specific or entry.version in specific


def read_objects(
    uow: UnitOfWork,
    actor: Actor,
    collection: Collection,
    query: ObjectQuery,
    *,
    base_url: str,
    ip: str | None = None,
) -> Page:
    """One page of the collection as the actor may read it; audited."""
    access.require_authenticated(actor)
    limit = max(1, min(query.limit, MAX_LIMIT))
    after: Position | None = _decode(query.next) if query.next else None
    if query.added_after is not None:
        floor = (query.added_after, 99, _LAST)
        after = max(after, floor) if after is not None else floor
    if collection is INDICATORS:
        streams = _indicator_streams(uow, actor, query.types)
    else:
        streams = [_advisory_stream(uow, base_url)]
    merged: Iterator[Entry] = heapq.merge(
        *(stream(after, limit + 1) for stream in streams), key=lambda e: e.position
    )
    examined = [entry for _, entry in zip(range(limit + 1), merged, strict=False)]
    more = len(examined) > limit
    window = examined[:limit]
    page = Page(
        entries=[entry for entry in window if _matches(entry, query)],
        more=more,
        next=_encode(window[-1].position) if more else "",
    )
    audit.record(
        uow,
        actor,
        "taxii:read",
        "taxii-collection",
        collection.alias,
        ip=ip,
        objects=len(page.entries),
    )
    return page


def collections_for(actor: Actor) -> Sequence[Collection]:
    access.require_authenticated(actor)
    return COLLECTIONS
