"""Reading appliance log lines: syslog headers, key=value pairs, CSV rows, timestamps.

Appliance logs arrive in many wrappings: written by the device itself, relayed by a
syslog server that adds its own RFC 3164 header, sent as RFC 5424, or exported as CSV
from a web UI. ``parse_header`` peels those wrappings off one line and keeps the most
precise timestamp it saw (one with a year and a zone beats one without).

Timestamps without a zone are read as UTC; analyzers say so once per file.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from madoguchi.analyzers.base import EvidenceFile
from madoguchi.analyzers.textio import detect_encoding

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}

_PRI = re.compile(r"^<(\d{1,3})>")
_TS_3164 = re.compile(
    r"^(?P<mon>[A-Z][a-z]{2})\s+(?P<day>\d{1,2})\s+(?P<time>\d\d:\d\d:\d\d)(?:\.\d+)?"
    r"(?:\s+(?P<year>\d{4}))?\s+"
)
_TS_ISO = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)\s+"
)
_VERSION_ISO = re.compile(r"^1\s+(?=\d{4}-\d\d-\d\d)")
_ESXI_LEVEL = re.compile(r"^(?:In|No|Wa|Er|Db|Al|Cr|Em)\(\d+\)\s+")
_TAG = re.compile(r"^(?P<tag>[A-Za-z][\w\-./]*)(?:\[(?P<pid>\d+)\])?:(?:\s|$)")
_HOST = re.compile(r"^(?P<host>[\w\-.:]+)\s+")
_SD = re.compile(r"^(?:-|(?:\[[^\]]*\])+)\s?")

_ISO_INNER = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?(Z|[+-]\d\d:?\d\d)?"
)
_SLASH_TS = re.compile(r"(\d{4})/(\d\d)/(\d\d)[ T](\d\d):(\d\d):(\d\d)")
_US_TS = re.compile(r"(\d\d)/(\d\d)/(\d{4})[: ](\d\d):(\d\d):(\d\d)")
_CLF_TS = re.compile(r"(\d\d)/([A-Za-z]{3})/(\d{4}):(\d\d):(\d\d):(\d\d)\s*([+-]\d{4})?")
_KV = re.compile(r'(?P<key>[A-Za-z_][\w.\-]*)=(?:"(?P<q>(?:[^"\\]|\\.)*)"|(?P<v>[^\s"]*))')


@dataclass(frozen=True, slots=True)
class Header:
    """What a syslog wrapping said about one line, and the message inside it."""

    timestamp: datetime | None
    host: str | None
    tag: str | None
    message: str
    has_year: bool = True


def parse_header(line: str, *, year: int | None = None) -> Header:
    """Peel PRI, RFC 3164 / RFC 5424 / ISO headers, host and program tag off a line."""
    rest = line.lstrip("\ufeff")
    match = _PRI.match(rest)
    if match:
        rest = rest[match.end() :]
    best: datetime | None = None
    best_has_year = False
    host: str | None = None
    tag: str | None = None
    for _ in range(3):
        progressed = False
        version = _VERSION_ISO.match(rest)
        if version:
            rest = rest[version.end() :]
            iso = _TS_ISO.match(rest)
            if iso:
                best, best_has_year = parse_timestamp(iso["ts"]), True
                rest = rest[iso.end() :]
                return _rfc5424(rest, best, host)
        iso = _TS_ISO.match(rest)
        if iso:
            best, best_has_year = parse_timestamp(iso["ts"]) or best, True
            rest = rest[iso.end() :]
            progressed = True
        else:
            bsd = _TS_3164.match(rest)
            if bsd:
                stamp = _from_3164(bsd["mon"], bsd["day"], bsd["time"], bsd["year"], year)
                if not best_has_year:
                    best = stamp
                    best_has_year = bsd["year"] is not None
                rest = rest[bsd.end() :]
                progressed = True
        if not progressed:
            break
        level = _ESXI_LEVEL.match(rest)
        if level:
            rest = rest[level.end() :]
        tag_match = _TAG.match(rest)
        if tag_match:
            tag = tag_match["tag"]
            rest = rest[tag_match.end() :]
            break
        host_match = _HOST.match(rest)
        if host_match:
            after = rest[host_match.end() :]
            if _TAG.match(after) or _TS_ISO.match(after) or _VERSION_ISO.match(after):
                host = host or host_match["host"]
                rest = after
                tag_match = _TAG.match(rest)
                if tag_match:
                    tag = tag_match["tag"]
                    rest = rest[tag_match.end() :]
                    break
    return Header(best, host, tag, rest, best_has_year or best is None)


def _rfc5424(rest: str, stamp: datetime | None, host: str | None) -> Header:
    parts = rest.split(" ", 4)
    if len(parts) < 4:
        return Header(stamp, host, None, rest)
    host5424, app, _procid, _msgid = parts[:4]
    remainder = parts[4] if len(parts) > 4 else ""
    sd = _SD.match(remainder)
    if sd:
        remainder = remainder[sd.end() :]
    return Header(
        stamp,
        host or (None if host5424 == "-" else host5424),
        None if app == "-" else app.rstrip(":"),
        remainder,
    )


def _from_3164(
    mon: str, day: str, clock: str, year_text: str | None, year: int | None
) -> datetime | None:
    month = _MONTHS.get(mon.lower())
    if month is None:
        return None
    hour, minute, second = (int(x) for x in clock.split(":"))
    now = datetime.now(UTC)
    chosen = int(year_text) if year_text else (year or now.year)
    try:
        stamp = datetime(chosen, month, int(day), hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None
    if not year_text and year is None and stamp > now + timedelta(days=2):
        stamp = stamp.replace(year=chosen - 1)
    return stamp


def parse_timestamp(text: str) -> datetime | None:
    """Read the timestamp shapes appliances write; zone-less values are taken as UTC."""
    text = text.strip()
    match = _ISO_INNER.search(text)
    if match:
        year, month, day, hour, minute, second = (int(x) for x in match.groups()[:6])
        micro = int((match[7] or "0")[:6].ljust(6, "0"))
        zone = match[8]
        try:
            stamp = datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
        except ValueError:
            return None
        if zone and zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4]))
            stamp -= sign * offset
        return stamp
    for pattern, order in ((_SLASH_TS, "ymd"), (_US_TS, "mdy")):
        match = pattern.search(text)
        if match:
            a, b, c, hour, minute, second = (int(x) for x in match.groups())
            year, month, day = (a, b, c) if order == "ymd" else (c, a, b)
            try:
                return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
            except ValueError:
                return None
    match = _CLF_TS.search(text)
    if match:
        clf_month = _MONTHS.get(match[2].lower())
        if clf_month is None:
            return None
        try:
            stamp = datetime(
                int(match[3]),
                clf_month,
                int(match[1]),
                int(match[4]),
                int(match[5]),
                int(match[6]),
                tzinfo=UTC,
            )
        except ValueError:
            return None
        if match[7]:
            sign = 1 if match[7][0] == "+" else -1
            stamp -= sign * timedelta(hours=int(match[7][1:3]), minutes=int(match[7][3:5]))
        return stamp
    return None


def parse_kv(text: str) -> dict[str, str]:
    """``key=value key2="quoted value"`` pairs (FortiOS, SonicOS), keys lower-cased."""
    fields: dict[str, str] = {}
    for match in _KV.finditer(text):
        value = match["q"] if match["q"] is not None else (match["v"] or "")
        fields[match["key"].lower()] = value.replace('\\"', '"')
    return fields


def split_csv(text: str) -> list[str] | None:
    """One CSV row, or None when the line is not valid CSV."""
    try:
        rows = list(csv.reader([text], strict=True))
    except csv.Error:
        return None
    return rows[0] if rows else []


def peek_text(evidence: EvidenceFile, size: int = 32 * 1024) -> str:
    """The first ``size`` bytes of the file as text, gunzipped when needed (for sniffing)."""
    head = evidence.head
    if head.startswith(b"\x1f\x8b"):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, size)
        except zlib.error:
            try:
                with gzip.open(evidence.local_path, "rb") as handle:
                    head = handle.read(size)
            except (OSError, EOFError):
                return ""
    sample = head[:size]
    return sample.decode(detect_encoding(sample), errors="replace").lstrip("\ufeff")


def head_lines(evidence: EvidenceFile, count: int = 40) -> list[str]:
    """The first lines of a file (gunzipped), for sniffing."""
    lines = io.StringIO(peek_text(evidence)).read().splitlines()
    return lines[:count]


def any_line(evidence: EvidenceFile, pattern: re.Pattern[str], count: int = 60) -> bool:
    """True when one of the first lines matches ``pattern`` (for sniffing)."""
    return any(pattern.search(line) for line in head_lines(evidence, count))
