"""Indicators as a MISP event, and indicators out of MISP event JSON.

Each indicator becomes an attribute with its MISP type, the category MISP's own
``describeTypes`` gives as default for that type, ``to_ids`` set, a ``tlp:…`` tag
(the MISP ``tlp`` taxonomy has the TLP 2.0 levels ``clear`` and ``amber+strict``)
and the indicator's own tags. The event is tagged with the most restrictive level
it contains. MISP has no type for Tox or Session ids or ATT&CK technique ids;
they travel as ``text`` and are recognised again on import by their shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymisp import MISPAttribute, MISPEvent

from madoguchi.domain.errors import ValidationError
from madoguchi.domain.indicator import Indicator, IndicatorSource, IndicatorType, SourceKind
from madoguchi.domain.tlp import TLP, most_restrictive
from madoguchi.intel.classifier import make_indicator
from madoguchi.intel.exchange import ImportProblem, ImportResult, within_ceiling

_TO_MISP: dict[IndicatorType, str] = {
    IndicatorType.IPV4: "ip-dst",
    IndicatorType.IPV6: "ip-dst",
    IndicatorType.CIDR: "ip-dst",
    IndicatorType.DOMAIN: "domain",
    IndicatorType.ONION: "domain",
    IndicatorType.URL: "url",
    IndicatorType.MD5: "md5",
    IndicatorType.SHA1: "sha1",
    IndicatorType.SHA256: "sha256",
    IndicatorType.IMPHASH: "imphash",
    IndicatorType.TLSH: "tlsh",
    IndicatorType.SSDEEP: "ssdeep",
    IndicatorType.FILENAME: "filename",
    IndicatorType.EMAIL: "email",
    IndicatorType.USER_AGENT: "user-agent",
    IndicatorType.CVE: "vulnerability",
    IndicatorType.MUTEX: "mutex",
    IndicatorType.REGISTRY: "regkey",
    IndicatorType.TOX: "text",
    IndicatorType.SESSION: "text",
    IndicatorType.ATTACK_TECHNIQUE: "text",
}

#: MISP attribute types read on import; ``None`` means "tell from the value".
_FROM_MISP: dict[str, IndicatorType | None] = {
    "ip-dst": None,
    "ip-src": None,
    "domain": None,
    "hostname": None,
    "url": IndicatorType.URL,
    "uri": IndicatorType.URL,
    "link": IndicatorType.URL,
    "md5": IndicatorType.MD5,
    "sha1": IndicatorType.SHA1,
    "sha256": IndicatorType.SHA256,
    "imphash": IndicatorType.IMPHASH,
    "tlsh": IndicatorType.TLSH,
    "ssdeep": IndicatorType.SSDEEP,
    "filename": IndicatorType.FILENAME,
    "email": IndicatorType.EMAIL,
    "email-src": IndicatorType.EMAIL,
    "email-dst": IndicatorType.EMAIL,
    "btc": IndicatorType.WALLET,
    "xmr": IndicatorType.WALLET,
    "user-agent": IndicatorType.USER_AGENT,
    "vulnerability": IndicatorType.CVE,
    "mutex": IndicatorType.MUTEX,
    "regkey": IndicatorType.REGISTRY,
    "text": None,
}
#: Composite types (``a|b``): the type of each half (``None``: tell from the value; skip).
_COMPOSITE: dict[str, tuple[IndicatorType | None, IndicatorType | bool | None]] = {
    "ip-dst|port": (None, False),
    "ip-src|port": (None, False),
    "domain|ip": (None, None),
    "hostname|port": (None, False),
    "filename|md5": (IndicatorType.FILENAME, IndicatorType.MD5),
    "filename|sha1": (IndicatorType.FILENAME, IndicatorType.SHA1),
    "filename|sha256": (IndicatorType.FILENAME, IndicatorType.SHA256),
    "filename|imphash": (IndicatorType.FILENAME, IndicatorType.IMPHASH),
    "filename|tlsh": (IndicatorType.FILENAME, IndicatorType.TLSH),
    "filename|ssdeep": (IndicatorType.FILENAME, IndicatorType.SSDEEP),
    "regkey|value": (IndicatorType.REGISTRY, False),
}


@dataclass(frozen=True)
class MispExport:
    event: MISPEvent
    exported: int
    dropped: int

    def to_json(self) -> str:
        return str(self.event.to_json(indent=2))


def _misp_type(indicator: Indicator) -> str:
    if indicator.type is IndicatorType.WALLET:
        return "xmr" if indicator.type.observable_type(indicator.value) == "ioc:xmr" else "btc"
    return _TO_MISP[indicator.type]


def export_event(
    indicators: Iterable[Indicator],
    *,
    ceiling: TLP,
    info: str = "madoguchi indicators",
    date: datetime | None = None,
) -> MispExport:
    """A MISP event of the indicators at or below ``ceiling``."""
    kept, dropped = within_ceiling(dict.fromkeys(indicators), ceiling)
    event = MISPEvent()
    event.info = info
    event.date = (date or datetime.now(UTC)).date()
    for indicator in kept:
        kind = _misp_type(indicator)
        category = event.describe_types["sane_defaults"][kind]["default_category"]
        options: dict[str, Any] = {
            "category": category,
            "to_ids": kind != "text",
            "comment": indicator.description,
        }
        if indicator.first_seen is not None:
            options["first_seen"] = indicator.first_seen
        if indicator.last_seen is not None:
            options["last_seen"] = indicator.last_seen
        attribute = event.add_attribute(kind, indicator.value, **options)
        if not isinstance(attribute, MISPAttribute):  # a list only for list values
            raise TypeError("one value gives one MISP attribute")
        attribute.add_tag(f"tlp:{indicator.tlp.value}")
        for tag in indicator.tags:
            attribute.add_tag(tag)
    if kept:
        event.add_tag(f"tlp:{most_restrictive([i.tlp for i in kept]).value}")
    return MispExport(event, len(kept), dropped)


def _tlp(tags: Iterable[Any]) -> TLP | None:
    found: list[TLP] = []
    for tag in tags:
        name = str(tag.get("name", "") if isinstance(tag, Mapping) else tag)
        if name.lower().startswith("tlp:"):
            try:
                found.append(TLP.parse(name))
            except ValueError:
                continue
    return most_restrictive(found) if found else None


def _tag_names(tags: Iterable[Any]) -> list[str]:
    names = [str(t.get("name", "")) if isinstance(t, Mapping) else str(t) for t in tags]
    return [name for name in names if name and not name.lower().startswith("tlp:")]


def import_event(
    document: str | bytes | Mapping[str, Any],
    *,
    source: IndicatorSource | None = None,
    default_tlp: TLP = TLP.AMBER,
) -> ImportResult:
    """Indicators from MISP event JSON (``{"Event": …}`` or the bare event).

    Attributes not marked ``to_ids`` are not imported (MISP's own signal that a
    value is context, not for detection); each is reported.
    """
    result = ImportResult()
    try:
        data = json.loads(document) if isinstance(document, str | bytes) else document
    except (ValueError, RecursionError) as error:
        result.problems.append(ImportProblem("event", f"not JSON: {error}"))
        return result
    event = data.get("Event", data) if isinstance(data, Mapping) else None
    if not isinstance(event, Mapping):
        result.problems.append(ImportProblem("event", "no MISP event found"))
        return result
    event_tlp = _tlp(_items(event.get("Tag"))) or default_tlp
    origin = source or IndicatorSource(SourceKind.FEED, f"misp:{event.get('info', '')}"[:120])
    attributes = _items(event.get("Attribute"))
    for obj in _items(event.get("Object")):
        if isinstance(obj, Mapping):
            attributes.extend(_items(obj.get("Attribute")))
    for number, attribute in enumerate(attributes, start=1):
        if not isinstance(attribute, Mapping):
            result.problems.append(ImportProblem(f"attribute {number}", "not a JSON object"))
            continue
        where = f"attribute {attribute.get('uuid') or number}"
        try:
            _import_attribute(attribute, where, event_tlp, origin, result)
        except (TypeError, AttributeError, ValueError, OverflowError, RecursionError) as error:
            # a field of the wrong JSON type (a number where a list belongs, ...)
            result.problems.append(ImportProblem(where, f"malformed attribute: {error}"))
    return result


def _items(value: object) -> list[Any]:
    """A JSON list as a list; anything else (missing, a number, an object) as empty."""
    return list(value) if isinstance(value, list | tuple) else []


def _import_attribute(
    attribute: Mapping[str, Any],
    where: str,
    event_tlp: TLP,
    origin: IndicatorSource,
    result: ImportResult,
) -> None:
    kind = str(attribute.get("type", ""))
    value = str(attribute.get("value", ""))
    if not _truthy(attribute.get("to_ids", True)) and kind != "text":
        result.problems.append(ImportProblem(where, f"{kind} {value!r} not marked to_ids"))
        return
    pairs = _pairs(kind, value)
    if pairs is None:
        result.problems.append(ImportProblem(where, f"MISP type {kind!r} is not read"))
        return
    tags = _items(attribute.get("Tag"))
    for indicator_type, part in pairs:
        try:
            result.indicators.append(
                make_indicator(
                    indicator_type,
                    part,
                    tlp=_tlp(tags) or event_tlp,
                    source=origin,
                    tags=_tag_names(tags),
                    description=str(attribute.get("comment") or ""),
                    first_seen=_time(attribute.get("first_seen")),
                    last_seen=_time(attribute.get("last_seen")),
                )
            )
        except ValidationError as error:
            result.problems.append(ImportProblem(where, error.message))


def _pairs(kind: str, value: str) -> list[tuple[IndicatorType | None, str]] | None:
    if kind in _FROM_MISP:
        return [(_FROM_MISP[kind], value)]
    composite = _COMPOSITE.get(kind)
    if composite is None:
        return None
    left, _, right = value.partition("|")
    pairs: list[tuple[IndicatorType | None, str]] = [(composite[0], left)]
    if composite[1] is not False and right:
        second = composite[1]
        pairs.append((second if isinstance(second, IndicatorType) else None, right))
    return pairs


def _truthy(value: object) -> bool:
    return value not in (False, 0, "0", "false", "False")


def _time(value: object) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
