"""Windows events as JSON: one event per line, or one JSON array.

Shapes accepted (each line or array item is recognised on its own):

- nested ``{"Event": {"System": …, "EventData": …}}`` as ``evtx_dump -o jsonl`` and the
  ``evtx`` library write it (also without the ``Event`` wrapper);
- ``Get-WinEvent | ConvertTo-Json`` objects (``Id``, ``ProviderName``, ``LogName``,
  ``MachineName``, ``RecordId``, ``TimeCreated`` as ``/Date(ms)/`` or ISO, ``Message``,
  positional ``Properties``): the named fields are read back from ``Message`` (see
  :mod:`message_fields`) and the property values kept as ``Data``;
- Winlogbeat / Elastic Common Schema documents (``winlog.event_id``, ``winlog.event_data``);
- already-flat events (``EventID``, ``Channel``, ``Provider_Name`` … at the top level).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import AnalysisContext, EvidenceFile
from madoguchi.analyzers.textio import iter_lines, open_maybe_gzip
from madoguchi.analyzers.windows_evtx.events import (
    FlatEvent,
    ReadEvent,
    as_int,
    data_key,
    flatten_event,
    iso_utc,
    parse_time,
)
from madoguchi.analyzers.windows_evtx.message_fields import message_fields

_DOTNET_DATE = re.compile(r"/Date\((-?\d+)(?:[+-]\d{4})?\)/")
_MAX_ARRAY = 512 * 1024 * 1024


class NotAnEventError(ValueError):
    """A JSON value that has none of the event shapes this reader knows."""


def _dotnet_time(value: object) -> str | None:
    if isinstance(value, str):
        match = _DOTNET_DATE.search(value)
        if match is not None:
            when = datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC)
            return iso_utc(when)
        parsed = parse_time(value)
        return iso_utc(parsed) if parsed is not None else None
    return None


def _property_value(item: object) -> Any:
    if isinstance(item, dict) and "Value" in item:
        value = item["Value"]
        if isinstance(value, dict) and "Value" in value:
            return value["Value"]
        return value
    return item


def _from_get_winevent(doc: dict[str, Any]) -> FlatEvent:
    provider = doc.get("ProviderName") or ""
    event_id = as_int(doc.get("Id"))
    user = doc.get("UserId")
    if isinstance(user, dict):
        user = user.get("Value")
    flat: FlatEvent = {
        "EventID": event_id,
        "Channel": doc.get("LogName") or doc.get("ContainerLog"),
        "Provider_Name": provider or None,
        "Computer": doc.get("MachineName"),
        "EventRecordID": as_int(doc.get("RecordId")),
        "TimeCreated": _dotnet_time(doc.get("TimeCreated")),
        "Level": doc.get("Level"),
        "Task": doc.get("Task"),
        "Keywords": doc.get("Keywords"),
    }
    if user:
        flat["SecurityUserID"] = user
    properties = doc.get("Properties")
    if isinstance(properties, list):
        flat["Data"] = [_property_value(p) for p in properties]
    message = doc.get("Message")
    if isinstance(message, str) and message:
        flat["Message"] = message
        fields = message_fields(message, provider=provider, event_id=event_id)
        for name, value in fields.items():
            flat.setdefault(name, value)
    return flat


def _from_ecs(doc: dict[str, Any]) -> FlatEvent:
    winlog = doc["winlog"]
    flat: FlatEvent = {
        "EventID": as_int(winlog.get("event_id")),
        "Channel": winlog.get("channel"),
        "Provider_Name": winlog.get("provider_name"),
        "Computer": winlog.get("computer_name"),
        "EventRecordID": as_int(winlog.get("record_id")),
        "TimeCreated": _dotnet_time(doc.get("@timestamp")),
        "Level": (doc.get("log") or {}).get("level") if isinstance(doc.get("log"), dict) else None,
        "Task": winlog.get("task"),
        "Keywords": winlog.get("keywords"),
    }
    for block, prefix in (("event_data", "EventData"), ("user_data", "UserData")):
        data = winlog.get(block)
        if isinstance(data, dict):
            for name, value in data.items():
                flat.setdefault(data_key(name, prefix), value)
    return flat


def _from_flat(doc: dict[str, Any]) -> FlatEvent:
    flat: FlatEvent = dict(doc)
    flat["EventID"] = as_int(doc.get("EventID"))
    flat["EventRecordID"] = as_int(doc.get("EventRecordID"))
    created = doc.get("TimeCreated")
    if isinstance(created, dict):
        created = created.get("SystemTime") or created.get("#attributes", {}).get("SystemTime")
    flat["TimeCreated"] = _dotnet_time(created)
    if "Provider_Name" not in flat:
        provider = doc.get("ProviderName") or doc.get("Provider")
        flat["Provider_Name"] = provider if isinstance(provider, str) else None
    for name in ("Channel", "Computer", "Level", "Task", "Keywords"):
        flat.setdefault(name, None)
    return flat


def to_flat_event(doc: object) -> FlatEvent:
    """Recognise the shape of one JSON value and flatten it."""
    if not isinstance(doc, dict):
        raise NotAnEventError("not a JSON object")
    if "Event" in doc or "System" in doc:
        flat = flatten_event(doc)
    elif isinstance(doc.get("winlog"), dict):
        flat = _from_ecs(doc)
    elif "EventID" in doc:
        flat = _from_flat(doc)
    elif "Id" in doc and ("ProviderName" in doc or "LogName" in doc):
        flat = _from_get_winevent(doc)
    else:
        raise NotAnEventError("no EventID, Event/System, winlog or Get-WinEvent fields")
    if flat.get("EventID") is None:
        raise NotAnEventError("EventID missing or not a number")
    return flat


def _starts_with_array(evidence: EvidenceFile) -> bool:
    head = evidence.head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        head = head.decode("utf-16", errors="replace").lstrip("\ufeff \t\r\n").encode()
    return head[:1] == b"["


def _read_array(evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[ReadEvent]:
    with open_maybe_gzip(evidence.local_path) as handle:
        data = handle.read(_MAX_ARRAY + 1)
    if len(data) > _MAX_ARRAY:
        ctx.skipped(
            "JSON array larger than 512 MiB; export it as JSON lines instead", path=evidence.path
        )
        return
    try:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            data = data.decode("utf-16").encode()
        items = orjson.loads(data.lstrip(b"\xef\xbb\xbf"))
    except (orjson.JSONDecodeError, UnicodeDecodeError) as error:
        ctx.skipped(f"damaged JSON document: {error}", path=evidence.path)
        return
    if isinstance(items, dict):
        items = [items]
    for index, item in enumerate(items, start=1):
        try:
            flat = to_flat_event(item)
        except (NotAnEventError, KeyError, TypeError, AttributeError) as error:
            ctx.skipped(f"array item {index} is not an event: {error}", path=evidence.path)
            continue
        yield ReadEvent(flat, flat.get("EventRecordID"), parse_time(flat.get("TimeCreated")))


def read_json(evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[ReadEvent]:
    """Yield the events of a JSON-lines file or a JSON array of events."""
    if evidence.kind == kinds.JSON or _starts_with_array(evidence):
        # One document: an array, or a single pretty-printed object (ConvertTo-Json).
        yield from _read_array(evidence, ctx)
        return

    def long_line(number: int) -> None:
        ctx.warn("line longer than 1 MiB was cut", path=evidence.path, line=number)

    for number, line in iter_lines(evidence.local_path, on_long_line=long_line):
        if not line.strip():
            continue
        try:
            flat = to_flat_event(orjson.loads(line))
        except orjson.JSONDecodeError as error:
            ctx.skipped(f"not valid JSON: {error}", path=evidence.path, line=number)
            continue
        except (NotAnEventError, KeyError, TypeError, AttributeError) as error:
            ctx.skipped(f"not a Windows event: {error}", path=evidence.path, line=number)
            continue
        yield ReadEvent(
            flat, flat.get("EventRecordID"), parse_time(flat.get("TimeCreated")), number
        )
