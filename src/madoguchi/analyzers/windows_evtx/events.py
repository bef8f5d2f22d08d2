"""The flattened Windows event every reader produces and the Sigma engine reads.

A flattened event is a plain dict: the ``System`` fields the rules need under fixed
names (``EventID`` int, ``Channel``, ``Provider_Name``, ``Computer``, ``EventRecordID``
int, ``TimeCreated`` ISO-8601 UTC string, ``Level``, ``Task``, ``Keywords``,
``SecurityUserID`` where present) plus every ``EventData``/``UserData`` field by its
``Name``; unnamed data items go into ``Data`` (a list). A data field named like a System
field keeps the System value in place and goes under ``EventData_<name>`` or
``UserData_<name>`` (:func:`data_key`): the System log's 104 names the log that was
cleared in ``UserData/LogFileCleared/Channel``, which must not turn a System event into
one of that log.

:func:`flatten_event` reads the JSON shape that ``evtx`` (``records_json``) and
``evtx_dump`` write; the XML reader and the export readers build the same dict.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

FlatEvent = dict[str, Any]

#: Names of the System fields a flattened event carries.
SYSTEM_FIELDS = (
    "EventID",
    "Channel",
    "Provider_Name",
    "Computer",
    "EventRecordID",
    "TimeCreated",
    "Level",
    "Task",
    "Keywords",
    "SecurityUserID",
)
_SYSTEM_NAMES = frozenset(SYSTEM_FIELDS)


def data_key(name: str, block: str) -> str:
    """The flat-event key of the data field ``name`` of ``block`` (``EventData`` or
    ``UserData``): the name itself, unless a System field has it."""
    return f"{block}_{name}" if name in _SYSTEM_NAMES else name


class ReadEvent(NamedTuple):
    """One event as a reader hands it over: the flat dict and where it came from.

    A named tuple rather than a frozen dataclass: one is made per event, and a tuple is
    made in half the time (0.4 µs against 0.8 µs for these four fields).
    """

    event: FlatEvent
    record_id: int | None
    timestamp: datetime | None
    line: int | None = None


def parse_time(value: object) -> datetime | None:
    """An aware UTC datetime from an ISO-8601 string (``Z`` or offset), else ``None``."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(" UTC"):
        text = text[:-4]
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def iso_utc(when: datetime) -> str:
    """The ``TimeCreated`` string form: ``2024-04-12T00:13:42.123456Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def as_int(value: object) -> int | None:
    """An int from an int, a decimal string or a ``0x`` hex string; ``None`` otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text, 16) if text[:2].lower() == "0x" else int(text)
        except ValueError:
            return None
    if isinstance(value, dict):
        return as_int(value.get("#text"))
    return None


def _text_of(value: Any) -> Any:
    """``{"#attributes": …, "#text": v}`` → ``v``; other values unchanged."""
    if isinstance(value, dict) and "#text" in value:
        return value["#text"]
    return value


def _put_data(flat: FlatEvent, data: dict[str, Any], block: str) -> None:
    for name, value in data.items():
        if name == "#attributes":
            continue
        if name == "Data":
            inner = _text_of(value)
            if inner is None:
                continue
            flat["Data"] = inner if isinstance(inner, list) else [inner]
            continue
        key = data_key(name, block)
        if isinstance(value, dict):
            if "#text" in value:
                flat[key] = value["#text"]
                continue
            if "#attributes" in value and len(value) == 1:
                flat[key] = None
                continue
        flat[key] = value


def flatten_event(document: dict[str, Any], *, careful: bool = False) -> FlatEvent:
    """Flatten one ``{"Event": {"System": …, "EventData": …}}`` document.

    Also accepts the ``Event`` body without the wrapper. Raises ``KeyError`` or
    ``TypeError`` when the document has no ``System`` block; readers turn that into a
    skipped record. This runs once per event, so it keeps to plain dict operations: a
    plain ``EventData`` is merged in one ``update``, and only when that replaced a System
    field (the merged dict is smaller than both added up) is the event flattened again
    field by field (``careful``).
    """
    body = document.get("Event", document)
    system = body["System"]
    get = system.get
    eid = get("EventID")
    if type(eid) is not int:
        eid = as_int(eid)
    provider = get("Provider")
    if type(provider) is dict:
        attrs = provider.get("#attributes") or {}
        provider_name = attrs.get("Name") or attrs.get("EventSourceName")
    else:
        provider_name = get("Provider_Name")
    record = get("EventRecordID")
    if type(record) is not int:
        record = as_int(record)
    created = get("TimeCreated")
    if type(created) is dict:
        created = (created.get("#attributes") or {}).get("SystemTime")
    flat: FlatEvent = {
        "EventID": eid,
        "Channel": get("Channel"),
        "Provider_Name": provider_name,
        "Computer": get("Computer"),
        "EventRecordID": record,
        "TimeCreated": created,
        "Level": get("Level"),
        "Task": get("Task"),
        "Keywords": get("Keywords"),
    }
    security = get("Security")
    if type(security) is dict:
        user = (security.get("#attributes") or {}).get("UserID")
        if user:
            flat["SecurityUserID"] = user
    data = body.get("EventData")
    if type(data) is dict:
        if careful or "Data" in data or "#attributes" in data or dict in map(type, data.values()):
            _put_data(flat, data, "EventData")
        else:
            size = len(flat) + len(data)
            flat.update(data)
            if len(flat) != size:  # a data field took a System field's name: start again
                return flatten_event(document, careful=True)
    user_data = body.get("UserData")
    if type(user_data) is dict:
        for inner in user_data.values():
            if type(inner) is dict:
                _put_data(flat, inner, "UserData")
    return flat


def read_event(flat: FlatEvent, *, line: int | None = None) -> ReadEvent:
    """Wrap a flat event with its record id and parsed timestamp."""
    return ReadEvent(flat, flat.get("EventRecordID"), parse_time(flat.get("TimeCreated")), line)
