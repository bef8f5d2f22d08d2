"""The result document: one stable, versioned shape that every renderer and exporter reads.

``ResultDocument.to_dict()`` gives the JSON form documented in docs/result-format.md
(``"format": "madoguchi.result/1"``); ``from_dict`` reads it back. Lists are kept in a
deterministic order (:func:`normalise`) so two runs over the same evidence give the same
bytes apart from the timing fields (``run.started``, ``run.finished``, ``stats.seconds``).
:func:`merge` joins documents of evidence analysed in pieces, also deterministically.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import UTC, date, datetime
from operator import attrgetter
from pathlib import PurePath
from typing import Any, TypeVar, cast

import orjson

from madoguchi.domain.errors import InputFormatError
from madoguchi.domain.quick_init import quick_frozen_init

FORMAT = "madoguchi.result/1"
FORMAT_FAMILY = "madoguchi.result/"

R = TypeVar("R")


# -- records ---------------------------------------------------------------------------


def _pickled_by_fields(cls: type[R]) -> type[R]:
    """Pickle a frozen, slotted record as its class and field values.

    ``dataclasses`` gives slotted classes a ``__setstate__`` that looks the fields up
    anew for every object it loads. Worker processes hand back tens of thousands of
    records per file, and loading them that way took about a third of the main
    process's time; rebuilt through ``__init__`` they load about a quarter faster and
    are written in less than half the time.
    """
    names = tuple(f.name for f in fields(cast(Any, cls)))
    if len(names) < 2 or any(not f.init or f.kw_only for f in fields(cast(Any, cls))):
        raise TypeError(f"{cls.__name__}: needs two or more positional fields")
    values = attrgetter(*names)

    def reduce(self: Any) -> tuple[type[R], tuple[Any, ...]]:
        return cls, values(self)

    setattr(cls, "__reduce__", reduce)  # noqa: B010 - assigned after the class is made
    return cls


@dataclass(frozen=True)
class ToolInfo:
    name: str = "madoguchi"
    version: str = ""


@dataclass(frozen=True)
class RunInfo:
    started: str = ""
    finished: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalyzerInfo:
    name: str
    version: str


@_pickled_by_fields
@quick_frozen_init
@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    path: str
    record_id: int | None = None
    line: int | None = None


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class WarningRecord:
    analyzer: str
    message: str
    record_id: int | None = None
    line: int | None = None


@dataclass(frozen=True)
class InputRecord:
    path: str
    sha256: str
    size: int
    kind: str
    analyzers: tuple[str, ...] = ()
    warnings: tuple[WarningRecord, ...] = ()
    recognised: bool = False


@_pickled_by_fields
@quick_frozen_init
@dataclass(frozen=True, slots=True)
class FindingRecord:
    analyzer: str
    rule_id: str
    title: str
    severity: str
    attack: tuple[str, ...] = ()
    timestamp: str | None = None
    host: str | None = None
    account: str | None = None
    source_ip: str | None = None
    description: str = ""
    evidence: EvidenceRecord | None = None
    stage: str | None = None
    cve: tuple[str, ...] = ()
    first_seen: str | None = None
    last_seen: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@_pickled_by_fields
@quick_frozen_init
@dataclass(frozen=True, slots=True)
class TimelineRecord:
    timestamp: str
    source: str
    message: str
    timestamp_desc: str = "Event Recorded"
    host: str | None = None
    account: str | None = None
    evidence: EvidenceRecord | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


@_pickled_by_fields
@quick_frozen_init
@dataclass(frozen=True, slots=True)
class IndicatorRecord:
    type: str
    value: str
    context: str = ""
    evidence: EvidenceRecord | None = None
    count: int = 1


@dataclass(frozen=True)
class Stats:
    files: int = 0
    events: int = 0
    seconds: float = 0.0
    skipped_records: int = 0
    bytes: int = 0


@dataclass(frozen=True)
class RuleNotLoadedRecord:
    rule_file: str
    reason: str
    analyzer: str = ""


@dataclass(frozen=True)
class BrokenAnalyzerRecord:
    target: str
    reason: str


@dataclass(frozen=True)
class RunWarningRecord:
    """A problem not tied to one analysed input (an unreadable file, a rule folder)."""

    analyzer: str
    path: str
    message: str


_FIXED_KEYS = (
    "format",
    "tool",
    "run",
    "analyzers",
    "inputs",
    "findings",
    "timeline",
    "indicators",
    "stats",
    "rules_not_loaded",
    "broken_analyzers",
    "warnings",
)
RESERVED_SECTION_NAMES = frozenset(_FIXED_KEYS)


@dataclass(frozen=True)
class ResultDocument:
    tool: ToolInfo = field(default_factory=ToolInfo)
    run: RunInfo = field(default_factory=RunInfo)
    analyzers: tuple[AnalyzerInfo, ...] = ()
    inputs: tuple[InputRecord, ...] = ()
    findings: tuple[FindingRecord, ...] = ()
    timeline: tuple[TimelineRecord, ...] = ()
    indicators: tuple[IndicatorRecord, ...] = ()
    stats: Stats = field(default_factory=Stats)
    rules_not_loaded: tuple[RuleNotLoadedRecord, ...] = ()
    broken_analyzers: tuple[BrokenAnalyzerRecord, ...] = ()
    warnings: tuple[RunWarningRecord, ...] = ()
    sections: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)
    format: str = FORMAT

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = plain(self.shape())
        return out

    def shape(self) -> dict[str, Any]:
        """The document's keys in order, values still as records."""
        out: dict[str, Any] = {"format": self.format}
        for name in _FIXED_KEYS[1:]:
            out[name] = getattr(self, name)
        for name in sorted(self.sections):
            out[name] = self.sections[name]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResultDocument:
        fmt = data.get("format")
        if not isinstance(fmt, str) or not fmt.startswith(FORMAT_FAMILY):
            raise InputFormatError(f"not a madoguchi result document (format {fmt!r})")
        if fmt != FORMAT:
            raise InputFormatError(f"unsupported result format {fmt!r}; this reads {FORMAT}")
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {"format": fmt}
        for name in _FIXED_KEYS[1:]:
            if name in data:
                values[name] = decode(hints[name], data[name])
        values["sections"] = {
            name: tuple(dict(item) for item in items)
            for name, items in data.items()
            if name not in RESERVED_SECTION_NAMES and isinstance(items, list)
        }
        return cls(**values)

    def to_json(self, *, indent: bool = True) -> bytes:
        option = orjson.OPT_INDENT_2 if indent else 0
        return dumps(self.shape(), option=option | orjson.OPT_APPEND_NEWLINE)

    @classmethod
    def from_json(cls, data: bytes | str) -> ResultDocument:
        try:
            loaded = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise InputFormatError(f"result document is not JSON: {error}") from error
        if not isinstance(loaded, dict):
            raise InputFormatError("result document is not a JSON object")
        return cls.from_dict(loaded)


# -- plain values ------------------------------------------------------------------------


def iso_utc(when: datetime | None) -> str | None:
    """UTC ISO 8601 with ``Z``; a naive datetime is taken as UTC."""
    if when is None:
        return None
    zone = when.tzinfo
    if zone is not UTC:  # most times are UTC already (a parsed evtx SystemTime is)
        when = when.replace(tzinfo=UTC) if zone is None else when.astimezone(UTC)
    return when.isoformat().replace("+00:00", "Z")


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def jsonable(value: Any) -> Any:
    """Any value an analyzer put in ``details``/``attributes``/sections as plain JSON."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=lambda v: orjson.dumps(v, option=orjson.OPT_SORT_KEYS))
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    return str(value)


_DUMP_OPTIONS = orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not part of a result document")


def plain(value: Any) -> Any:
    """A record (or tuple of records) as JSON-ready dicts and lists."""
    return orjson.loads(dumps(value))


def dumps(value: Any, *, option: int = 0) -> bytes:
    """JSON bytes of records, dicts and lists (orjson walks dataclasses itself).

    Tried first without non-string keys and without ``default``, which orjson does much
    faster; a value that needs either (a non-string key, a mapping that is not a dict)
    makes that attempt fail, and it is written again the careful way. Both give the
    same bytes wherever the first succeeds.
    """
    try:
        return orjson.dumps(value, option=option)
    except TypeError:
        return orjson.dumps(value, default=_default, option=option | _DUMP_OPTIONS)


def decode(hint: Any, value: Any) -> Any:
    """Rebuild a record field from its JSON form, following the type hint."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return decode(options[0], value)
    if origin is tuple:
        (item_hint, *_) = typing.get_args(hint)
        return tuple(decode(item_hint, v) for v in value or ())
    if origin is not None and issubclass(origin, Mapping):
        args = typing.get_args(hint)
        item_hint = args[1] if len(args) == 2 else Any
        return {str(k): decode(item_hint, v) for k, v in (value or {}).items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return record_from_dict(hint, value)
    if hint is float and isinstance(value, int):
        return float(value)
    return value


def record_from_dict(cls: type[R], data: Mapping[str, Any]) -> R:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cast(Any, cls))}
    values = {k: decode(hints[k], v) for k, v in data.items() if k in known}
    return cls(**values)


# -- ordering ------------------------------------------------------------------------------


def _time_key(value: str | None) -> tuple[int, str]:
    """Orders timestamps in time, those without one last.

    The key is the time as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC, whose text order is
    its time order. Records keep their times in that form whenever they have a fraction
    of a second (``iso_utc``), so most keys need no parsing: sorting a timeline of a
    few hundred thousand records used to spend most of its time parsing them back.
    """
    if not value:
        return (1, "")
    if len(value) == 27 and value[26] == "Z" and value[19] == "." and value[10] == "T":
        return (0, value)
    parsed = parse_time(value)
    assert parsed is not None
    return (0, parsed.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z")


def _canonical(value: Any) -> bytes:
    return dumps(value, option=orjson.OPT_SORT_KEYS)


def _evidence_key(evidence: EvidenceRecord | None) -> tuple[str, int, int]:
    if evidence is None:
        return ("", -1, -1)
    record = evidence.record_id if evidence.record_id is not None else -1
    line = evidence.line if evidence.line is not None else -1
    return (evidence.path, record, line)


def finding_key(item: FindingRecord) -> tuple[Any, ...]:
    return (*_finding_prefix(item), _canonical(item))


def timeline_key(item: TimelineRecord) -> tuple[Any, ...]:
    return (*_timeline_prefix(item), _canonical(item))


# The prefixes are flat (one tuple per record, not nested ones): the same order, less
# memory for the hundreds of thousands of keys a large timeline needs at once.


def _finding_prefix(item: FindingRecord) -> tuple[Any, ...]:
    return (*_time_key(item.timestamp or item.first_seen), *_evidence_key(item.evidence))


def _timeline_prefix(item: TimelineRecord) -> tuple[Any, ...]:
    return (*_time_key(item.timestamp), item.source, item.message)


def _sorted_records(items: Iterable[R], prefix: Callable[[R], tuple[Any, ...]]) -> tuple[R, ...]:
    """``items`` sorted by ``prefix`` then canonical JSON: the order of ``sorted(items,
    key=prefix + canonical)``, but the canonical JSON (the costly, memory-hungry part of
    the key) is only made for records whose prefixes tie.

    Sorts positions rather than (key, record) pairs: prefixes of plain values are
    dropped from the garbage collector's watch at its next pass, pairs holding a record
    never are, and a few hundred thousand of them set off full collections.
    """
    records = list(items)
    keys = [prefix(item) for item in records]
    order = sorted(range(len(records)), key=keys.__getitem__)
    out: list[R] = []
    start, count = 0, len(order)
    while start < count:
        key = keys[order[start]]
        stop = start + 1
        while stop < count and keys[order[stop]] == key:
            stop += 1
        if stop - start == 1:
            out.append(records[order[start]])
        else:
            out += sorted((records[i] for i in order[start:stop]), key=_canonical)
        start = stop
    return tuple(out)


def section_key(item: Mapping[str, Any]) -> tuple[str, bytes]:
    return (str(item.get("path", "")), _canonical(item))


def dedupe_indicators(items: Iterable[IndicatorRecord]) -> tuple[IndicatorRecord, ...]:
    """One indicator per (type, value): first evidence (by path, record, line), summed counts."""
    merged: dict[tuple[str, str], IndicatorRecord] = {}
    for item in items:
        key = (item.type, item.value)
        seen = merged.get(key)
        if seen is None:
            merged[key] = item
            continue
        first = min((seen, item), key=lambda r: (_evidence_key(r.evidence), r.context))
        merged[key] = replace(first, count=seen.count + item.count)
    return tuple(merged[key] for key in sorted(merged))


def normalise(doc: ResultDocument) -> ResultDocument:
    """The same document with every list in its documented order."""
    return replace(
        doc,
        analyzers=tuple(sorted(set(doc.analyzers), key=lambda a: (a.name, a.version))),
        findings=_sorted_records(doc.findings, _finding_prefix),
        timeline=_sorted_records(doc.timeline, _timeline_prefix),
        indicators=dedupe_indicators(doc.indicators),
        rules_not_loaded=tuple(
            sorted(set(doc.rules_not_loaded), key=lambda r: (r.analyzer, r.rule_file, r.reason))
        ),
        broken_analyzers=tuple(sorted(set(doc.broken_analyzers), key=lambda b: b.target)),
        sections={
            name: tuple(sorted(items, key=section_key))
            for name, items in sorted(doc.sections.items())
        },
    )


# -- merge ---------------------------------------------------------------------------------


def merge(docs: Iterable[ResultDocument]) -> ResultDocument:
    """One document from several (evidence analysed in pieces).

    Inputs keep the order of first appearance (an input seen twice joins its analyzers
    and warnings); every other list is re-sorted; indicators are deduplicated again and
    their counts summed; stats are added up. The result depends only on the documents
    and their order.
    """
    parts = list(docs)
    if not parts:
        return ResultDocument()
    inputs: dict[str, InputRecord] = {}
    for doc in parts:
        for item in doc.inputs:
            seen = inputs.get(item.path)
            inputs[item.path] = item if seen is None else _join_inputs(seen, item)
    options = [dict(doc.run.options) for doc in parts]
    sections: dict[str, list[Mapping[str, Any]]] = {}
    for doc in parts:
        for name, items in doc.sections.items():
            sections.setdefault(name, []).extend(items)
    merged = ResultDocument(
        tool=parts[0].tool,
        run=RunInfo(
            started=min((d.run.started for d in parts if d.run.started), default=""),
            finished=max((d.run.finished for d in parts if d.run.finished), default=""),
            options=options[0] if all(o == options[0] for o in options) else {"parts": options},
        ),
        analyzers=tuple(a for d in parts for a in d.analyzers),
        inputs=tuple(inputs.values()),
        findings=tuple(f for d in parts for f in d.findings),
        timeline=tuple(t for d in parts for t in d.timeline),
        indicators=tuple(i for d in parts for i in d.indicators),
        stats=Stats(
            files=len(inputs),
            events=sum(d.stats.events for d in parts),
            seconds=round(sum(d.stats.seconds for d in parts), 3),
            skipped_records=sum(d.stats.skipped_records for d in parts),
            bytes=sum(d.stats.bytes for d in parts),
        ),
        rules_not_loaded=tuple(r for d in parts for r in d.rules_not_loaded),
        broken_analyzers=tuple(b for d in parts for b in d.broken_analyzers),
        warnings=_unique(w for d in parts for w in d.warnings),
        sections={name: tuple(items) for name, items in sections.items()},
    )
    return normalise(merged)


def _join_inputs(first: InputRecord, second: InputRecord) -> InputRecord:
    return replace(
        first,
        analyzers=tuple(sorted(set(first.analyzers) | set(second.analyzers))),
        warnings=_unique((*first.warnings, *second.warnings)),
        recognised=first.recognised or second.recognised,
    )


def _unique(items: Iterable[R]) -> tuple[R, ...]:
    return tuple(dict.fromkeys(items))
