"""One event as the matcher sees it: field lookup without regard to case, values cached.

A flattened Windows event is a plain mapping. Sigma names fields without regard to
case, so a lookup first tries the exact name and then a lower-cased index of the
event's keys, built once per event and only when needed. Lower-cased string forms
of values are cached per event, so twenty rules reading ``CommandLine`` lower it once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import Any, Final

MISSING: Final = object()
"""A field that is not in the event (different from a field whose value is null)."""

Lowered = str | list[str] | None
"""A value in the matcher's string form: one string, several (a list field), or none."""


def as_text(value: Any) -> str | list[str] | None:
    """The string form of an event value, as Sigma compares it (``None`` for null)."""
    if value is None or value is MISSING:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        out: list[str] = []
        for item in value:
            text = as_text(item)
            if isinstance(text, list):
                out.extend(text)
            elif text is not None:
                out.append(text)
        return out
    return str(value)


def _lower(text: str | list[str] | None) -> Lowered:
    if text is None:
        return None
    if isinstance(text, str):
        return text.lower()
    return [t.lower() for t in text]


_KEY_INDEXES: dict[tuple[Any, ...], dict[str, Any]] = {}
_KEY_INDEXES_KEPT = 4096


def _key_index(event: Mapping[str, Any]) -> dict[str, Any]:
    """The lower-cased index of ``event``'s keys (lower-cased key -> key).

    Events of one kind have the same keys in the same order, so the index is kept per
    key tuple (at most :data:`_KEY_INDEXES_KEPT` of them) instead of being rebuilt for
    every event. Callers must not change it.
    """
    keys = tuple(event)
    index = _KEY_INDEXES.get(keys)
    if index is None:
        index = {str(k).lower(): k for k in keys}
        if all(k.__class__ is str for k in keys):  # other keys may be equal yet print apart
            if len(_KEY_INDEXES) >= _KEY_INDEXES_KEPT:
                _KEY_INDEXES.clear()
            _KEY_INDEXES[keys] = index
    return index


class EventView:
    """Per-event lookups and caches; build one per event and throw it away."""

    __slots__ = ("_all", "_joined", "_keys", "_lower", "_text", "event")

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.event = event
        self._keys: dict[str, str] | None = None
        self._lower: dict[str, Lowered] = {}
        self._text: dict[str, str | list[str] | None] = {}
        self._all: list[str] | None = None
        self._joined: str | None = None

    def key(self, name: str, lname: str) -> str | None:
        """The event's own key for a field named ``name`` (any case), or ``None``."""
        if name in self.event:
            return name
        keys = self._keys
        if keys is None:
            keys = self._keys = _key_index(self.event)
        return keys.get(lname)

    def raw(self, name: str, lname: str) -> Any:
        """The value as stored, or :data:`MISSING`."""
        event = self.event
        if name in event:
            return event[name]
        key = self.key(name, lname)
        return MISSING if key is None else event[key]

    def text(self, name: str, lname: str) -> str | list[str] | None:
        """The value's string form with its case kept (for ``cased``, regexes, CIDR)."""
        cache = self._text
        if lname in cache:
            return cache[lname]
        value = as_text(self.raw(name, lname))
        cache[lname] = value
        return value

    def lowered(self, name: str, lname: str) -> Lowered:
        """The value's string form, lower-cased (the default, case-insensitive match)."""
        cache = self._lower
        if lname in cache:
            return cache[lname]
        value = _lower(self.text(name, lname))
        cache[lname] = value
        return value

    def all_lowered(self) -> list[str]:
        """Every value in the event, lower-cased (for keyword search and pre-filtering)."""
        if self._all is None:
            out: list[str] = []
            for value in self.event.values():
                if isinstance(value, str):
                    out.append(value.lower())
                    continue
                text = _lower(as_text(value))
                if isinstance(text, str):
                    out.append(text)
                elif text:
                    out.extend(text)
            self._all = out
        return self._all

    def fields_lowered(self, fields: tuple[tuple[str, str], ...]) -> str:
        """The values of ``fields`` ((name, lower-case name) pairs; absent ones skipped),
        lower-cased, one per line: the pre-filter text when the rules name their fields."""
        return _joined_lower([self.raw(name, lname) for name, lname in fields])

    def joined_lowered(self) -> str:
        """Every value in the event, lower-cased, one per line (for the pre-filter).

        Joining first and lowering once is much cheaper than lowering value by value;
        the result is the same text as ``"\\n".join(self.all_lowered())``.
        """
        joined = self._joined
        if joined is None:
            if self._all is not None:
                joined = "\n".join(self._all)
            else:
                joined = _joined_lower(self.event.values())
            self._joined = joined
        return joined


def _joined_lower(values: Iterable[Any]) -> str:
    """Values in their string form (lists item by item; null and missing left out),
    one per line, lower-cased."""
    out: list[str] = []
    for value in values:
        if value.__class__ is str:
            out.append(value)
            continue
        if value is None:
            continue
        if value.__class__ is int:
            out.append(str(value))
            continue
        text = as_text(value)  # None for MISSING
        if isinstance(text, str):
            out.append(text)
        elif text:
            out.extend(text)
    return "\n".join(out).lower()


_SHAPES_KEPT = 1024  # key layouts a FieldPicker remembers


class FieldPicker:
    """The pre-filter text of a fixed list of fields, read by the event's own keys.

    :meth:`EventView.fields_lowered` looks each field up by name, and a field the event
    lacks as written sends it to the lower-cased index of the event's keys. Which key
    holds which field depends only on the event's keys, and events of one kind have the
    same keys in the same order, so the picker works that out once per key layout (at
    most :data:`_SHAPES_KEPT` of them) and then takes the values with one ``itemgetter``
    call. The text is the same as ``fields_lowered``'s.
    """

    __slots__ = ("_by_keys", "fields")

    def __init__(self, fields: tuple[tuple[str, str], ...]) -> None:
        self.fields = fields
        self._by_keys: dict[tuple[Any, ...], tuple[_Getter, dict[str, Any]]] = {}

    def lowered(self, view: EventView) -> str:
        """The values of the fields, lower-cased, one per line. Also hands ``view`` the
        index of its keys, which the rules' own lookups of absent fields then use."""
        event = view.event
        keys = tuple(event)
        known = self._by_keys.get(keys)
        if known is None:
            if not all(k.__class__ is str for k in keys):  # see _key_index
                return view.fields_lowered(self.fields)
            own = [view.key(name, lname) for name, lname in self.fields]
            known = (_getter([k for k in own if k is not None]), _key_index(event))
            if len(self._by_keys) >= _SHAPES_KEPT:
                self._by_keys.clear()
            self._by_keys[keys] = known
        pick, index = known
        if view._keys is None:
            view._keys = index
        return _joined_lower(pick(event))


_Getter = Callable[[Mapping[str, Any]], Sequence[Any]]


def _getter(keys: list[str]) -> _Getter:
    """A function giving the values of ``keys`` as a sequence (``itemgetter`` gives a bare
    value for one key)."""
    if len(keys) > 1:
        return itemgetter(*keys)
    if keys:
        (only,) = keys
        return lambda event: (event[only],)
    return lambda event: ()
